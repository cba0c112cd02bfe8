// app.js — the shell: routing with clean paths, the navigation, page-wide
// notices, and sending people to sign in (and back) when their session ends.
// Plain ES modules, no build step. Every text that comes from a person is
// inserted as text (see dom.js), never as HTML.

import { h, replace, setText } from './dom.js';
import { apiExists, onUnauthorized } from './api.js';
import { session } from './session.js';
import { routes, matchRoute } from './routes.js';
import { liveSocket, stopLive, onAlert } from './live/shared.js';

const els = {
  main: document.getElementById('main'),
  view: document.getElementById('view'),
  navList: document.getElementById('nav-list'),
  nav: document.getElementById('main-nav'),
  menu: document.getElementById('menu-toggle'),
  status: document.getElementById('status'),
  alert: document.getElementById('alert'),
};

let current = null;    // {route, destroy} of the screen on show
let renderSeq = 0;     // a newer navigation makes older, slower ones give up
let pendingNotice = null;

// ---- notices: page-wide live regions, kept for one navigation ----

function announce(message, kind = 'status') {
  const [on, off] = kind === 'error' ? [els.alert, els.status] : [els.status, els.alert];
  setText(off, '');
  setText(on, '');
  requestAnimationFrame(() => setText(on, message));
}

function clearNotices() {
  setText(els.status, '');
  setText(els.alert, '');
}

// ---- where people may go ----

/** A path to come back to after signing in: only our own, never sign-in itself. */
export function safeNext(next) {
  if (typeof next !== 'string' || !/^\/(?![/\\])/.test(next)) return '/';
  if (/^\/(signin|register)(\/|\?|$)/.test(next)) return '/';
  return next;
}

function here() {
  return location.pathname + location.search;
}

async function usable(route) {
  if (!route.view) return false;
  if (route.roles && !session.hasRole(...route.roles)) return false;
  if (route.needs && !(await apiExists(route.needs))) return false;
  return true;
}

// ---- navigation ----

function navigate(to, opts = {}) {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  if (opts.notice) pendingNotice = opts.notice;
  return render({ focus: true });
}

async function render({ focus }) {
  const seq = ++renderSeq;
  const url = new URL(location.href);
  const found = matchRoute(url.pathname);
  const user = session.user;
  closeMenu();

  if (found && found.route.auth && !user) {
    pendingNotice = pendingNotice || { text: 'Please sign in to continue.' };
    return navigate('/signin?next=' + encodeURIComponent(here()), { replace: true });
  }
  if (found && found.route.guest && user) {
    return navigate(safeNext(url.searchParams.get('next')), { replace: true });
  }
  els.main.setAttribute('aria-busy', 'true');
  let shown;
  try {
    const route = found && (await usable(found.route)) ? found.route : null;
    const mod = route ? await route.view() : await import('./views/notfound.js');
    const ctx = {
      params: found ? found.params : {}, query: url.searchParams, session, navigate,
      announce, safeNext,
    };
    shown = await mod.default(ctx);
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e && e.status === 401) return; // the sign-in redirect is on its way
    console.error(e);
    shown = {
      title: 'Something went wrong',
      node: h('section', { class: 'page' },
        h('h1', { tabindex: '-1' }, 'Something went wrong'),
        h('p', null, (e && e.name === 'ApiError' && e.message) ||
          'This page could not be shown. Please try again in a little while.'),
        h('p', null, h('a', { href: '/' }, 'Go to the start page'))),
    };
  }
  if (seq !== renderSeq) { // overtaken by a newer navigation
    if (shown && shown.destroy) shown.destroy();
    return;
  }
  if (current && current.destroy) current.destroy();
  current = shown;
  replace(els.view, shown.node);
  els.main.classList.toggle('wide', !!(shown.node.classList &&
    shown.node.classList.contains('page-wide')));
  els.main.removeAttribute('aria-busy');
  document.title = shown.title ? `${shown.title} — Hearth` : 'Hearth';
  clearNotices();
  if (pendingNotice) {
    announce(pendingNotice.text, pendingNotice.kind);
    pendingNotice = null;
  }
  markCurrentNav();
  if (focus) {
    window.scrollTo(0, 0);
    const target = els.view.querySelector('h1') || els.main;
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus();
  }
}

// ---- the navigation ----

async function renderNav() {
  const user = session.user;
  const items = [h('li', null, h('a', { href: '/' }, 'Home'))];
  for (const route of routes) {
    if (!route.nav || (route.auth && !user)) continue;
    if (!(await usable(route))) continue;
    items.push(h('li', null, h('a', { href: route.path }, route.nav)));
  }
  if (user) {
    items.push(h('li', null, h('button', {
      type: 'button', class: 'linklike', id: 'sign-out',
      on: { click: signOut },
    }, 'Sign out')));
  } else {
    items.push(h('li', null, h('a', { href: '/signin' }, 'Sign in')));
    items.push(h('li', null, h('a', { href: '/register' }, 'Create an account')));
  }
  if (user !== session.user) return; // changed while we were asking
  replace(els.navList, ...items);
  markCurrentNav();
}

function markCurrentNav() {
  for (const a of els.navList.querySelectorAll('a')) {
    if (a.getAttribute('href') === location.pathname) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function signOut() {
  try {
    await session.signOut();
    navigate('/', { notice: { text: 'You have signed out. Take care.' } });
  } catch (e) {
    announce(e.message || 'Signing out did not work. Please try again.', 'error');
  }
}

function closeMenu() {
  els.nav.classList.remove('open');
  els.menu.setAttribute('aria-expanded', 'false');
}

// ---- the live connection and facilitators' alerts ----

// Facilitators and the manager keep the shared connection open from any
// page, so that an alert reaches them wherever they are; a live room shows
// its own session's alerts itself.
function followSession(user) {
  if (!user) {
    stopLive();
    return;
  }
  if (user.role === 'facilitator' || user.role === 'manager') liveSocket();
}

function alertNotice(f) {
  if (f.type === 'alert' && f.session && location.pathname === `/sessions/${f.session}`) return;
  const who = f.user && f.user.name ? f.user.name : 'Someone';
  const where = f.type === 'notification' ? 'on a message board'
    : f.conversation ? 'in a private conversation' : f.session ? 'in a live session' : '';
  const what = f.kind === 'checkin_drop' ? `${who}’s check-in score dropped sharply`
    : `${who} wrote something ${where} that may need your attention`;
  announce(`Alert: ${what}. The dashboard lists it.`, 'error');
}

// ---- start ----

function onLinkClick(ev) {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey ||
      ev.altKey) return;
  const a = ev.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download') || a.dataset.native !== undefined) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  if (a.getAttribute('href').startsWith('#')) return;
  ev.preventDefault();
  if (url.pathname + url.search === here()) {
    render({ focus: true }); // same page again: start it afresh
    return;
  }
  navigate(url.pathname + url.search);
}

function start() {
  document.documentElement.classList.add('js');
  document.addEventListener('click', onLinkClick);
  window.addEventListener('popstate', () => render({ focus: true }));

  // the skip link moves focus without adding "#main" to the address
  document.querySelector('.skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    els.main.focus();
  });
  els.menu.addEventListener('click', () => {
    const open = !els.nav.classList.contains('open');
    els.nav.classList.toggle('open', open);
    els.menu.setAttribute('aria-expanded', String(open));
  });

  onUnauthorized((e) => {
    if (!session.user) return;
    session.set(null);
    navigate('/signin?next=' + encodeURIComponent(here()), {
      replace: true, notice: { text: e.message || 'Please sign in again.' },
    });
  });
  session.refresh()
    .catch((e) => announce(e.message || 'Hearth cannot be reached just now.', 'error'))
    .finally(() => {
      session.subscribe((user) => { followSession(user); renderNav(); });
      onAlert(alertNotice);
      followSession(session.user);
      renderNav();
      render({ focus: false });
    });
}

start();
