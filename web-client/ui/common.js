// ui/common.js — small pieces many screens share: page and card frames,
// badges, a confirmation dialog, the "not found" page, and a keyed list
// update that keeps focus and scrolling where they were.

import { h, setText } from '../dom.js';
import { openDialog } from './dialog.js';

/** A page: <section class="page"> with its <h1> and content. */
export function page(title, ...children) {
  // "you are here" links come before the heading
  const crumbs = children[0] && children[0].classList && children[0].classList.contains('crumbs')
    ? children.shift() : null;
  return h('section', { class: 'page' }, crumbs, h('h1', null, title), ...children);
}

/** A card section with a heading (h2) that names it. */
export function card(id, title, ...children) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

export function badge(text, kind = '') {
  return h('span', { class: ['badge', kind && `badge-${kind}`] }, text);
}

export function note(text) {
  return h('p', { class: 'note' }, text);
}

/** The answer for something that is not there (or not the viewer's to see). */
export function notFoundView(what = 'We cannot find that page') {
  return {
    title: 'Not found',
    node: page(what,
      h('p', null, 'It may have been removed, or it may belong to a group you are not part of.'),
      h('p', null, h('a', { href: '/' }, 'Go to the start page'))),
  };
}

/** The error to show when a part of a page could not be loaded. */
export function loadError(e) {
  return h('p', { class: 'form-msg', role: 'alert' },
    (e && e.message) || 'This could not be loaded. Please try again in a little while.');
}

/**
 * Ask a yes/no question in a dialog. Resolves true when confirmed.
 * opts: {title, text (string or nodes), confirm (button label), cancel,
 * danger}.
 */
export function confirmDialog(opts) {
  return new Promise((resolve) => {
    let answered = false;
    let dlg = null;
    const yes = h('button', { type: 'button', class: ['btn', opts.danger && 'btn-danger'],
      on: { click: () => { answered = true; resolve(true); dlg.close(); } } }, opts.confirm);
    const no = h('button', { type: 'button', class: 'btn btn-quiet',
      on: { click: () => dlg.close() } }, opts.cancel || 'Cancel');
    dlg = openDialog({
      title: opts.title,
      content: [
        ...[].concat(opts.text).map((t) => (typeof t === 'string' ? h('p', null, t) : t)),
        h('div', { class: 'actions' }, yes, no),
      ],
      initialFocus: no,
      onClose: () => { if (!answered) resolve(false); },
    });
  });
}

/**
 * Bring a list's children in line with items, in order, reusing the element
 * of an item whose key and signature are unchanged. build(item) makes an
 * element. Focus inside a rebuilt element moves to the element with the same
 * data-focus-key in its replacement.
 */
export function morph(list, items, { key, sig = () => '', build }) {
  const old = new Map();
  for (const el of [...list.children]) old.set(el.dataset.key, el);
  const active = document.activeElement;
  let focusKey = null;
  let focusItem = null;
  for (const [k, el] of old) {
    if (active && el.contains(active) && active.dataset.focusKey) {
      focusKey = active.dataset.focusKey;
      focusItem = k;
    }
  }
  let prev = null;
  const keep = new Set();
  for (const item of items) {
    const k = String(key(item));
    const s = String(sig(item));
    let el = old.get(k);
    if (!el || el.dataset.sig !== s) {
      const fresh = build(item);
      fresh.dataset.key = k;
      fresh.dataset.sig = s;
      if (el) el.replaceWith(fresh);
      el = fresh;
      if (focusItem === k) {
        const target = el.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
        if (target) requestAnimationFrame(() => target.focus());
      }
    }
    keep.add(k);
    const want = prev ? prev.nextSibling : list.firstChild;
    if (want !== el) list.insertBefore(el, want);
    prev = el;
  }
  for (const [k, el] of old) if (!keep.has(k)) el.remove();
}

/** A live region that speaks each message once (polite). */
export function announcer() {
  const el = h('div', { class: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'false' });
  return {
    el,
    say(text) {
      const p = h('p', null, text);
      el.appendChild(p);
      while (el.children.length > 5) el.firstChild.remove();
    },
    clear() { setText(el, ''); },
  };
}

/** Run fn every ms while the returned stopper has not been called. */
export function every(ms, fn) {
  const t = setInterval(fn, ms);
  return () => clearInterval(t);
}
