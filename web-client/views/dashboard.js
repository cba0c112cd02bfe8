// views/dashboard.js — the facilitators' dashboard (and the manager's view
// of it): alerts, applications to review, each group's waitlist, and on the
// boards: topics nobody has answered, members who have gone quiet, flagged
// posts, posts held for approval, and people whose posting is paused.
//
// Alerts: the history comes from GET /api/v1/alerts (newest first, "Load
// older" pages back). Alerts this page's connection receives while it is open
// (live/shared.js) go on top, unless the history already holds them.

import { h, replace, insertServerRenderedHtml } from '../dom.js';
import { api } from '../api.js';
import { receivedAlerts, onAlert, liveSocket, serverNow } from '../live/shared.js';
import { page, card, badge, note, loadError, confirmDialog } from '../ui/common.js';
import { fmtShort, ago, plural } from '../ui/format.js';

/** A live frame (from live/shared.js) in the shape of a history item of /api/v1/alerts. */
function fromFrame({ frame: f, at }) {
  if (f.type === 'notification') {
    return { kind: 'crisis', where: 'board', topic: f.topic, post: f.post, user: { id: f.user }, at };
  }
  return { kind: f.kind, where: f.conversation ? 'conversation' : 'session', session: f.session,
    seq: f.seq, conversation: f.conversation, user: f.user || {}, text: f.text, at };
}

/**
 * Do live alert a and history item b record the same alert? By their ids where
 * the live frame has them (a session's seq, a board post); else (a
 * conversation, a check-in drop) by the words when both have them, or by a
 * time close enough. Each history item stands for one live alert at most.
 */
function sameAlert(a, b) {
  if (a.kind !== b.kind || a.where !== b.where || (a.user && a.user.id) !== (b.user && b.user.id)) return false;
  if (a.where === 'board') return a.post === b.post;
  if (a.where === 'session' && a.kind === 'crisis') return a.session === b.session && a.seq === b.seq;
  const near = Math.abs(a.at - b.at) < 2 * 60_000;
  if (a.where === 'session') return a.session === b.session && near;
  return a.conversation === b.conversation && (a.text && b.text ? a.text === b.text : near);
}

function alertItem(a, manager) {
  const who = a.user && a.user.name ? a.user.name : 'Someone';
  let where = null;
  if (a.where === 'board') {
    where = h('a', { href: `/boards/posts/${a.post}` }, 'Go to the post');
  } else if (a.where === 'session' && a.session && !manager) {
    where = h('a', { href: `/sessions/${a.session}` }, 'Go to the session');
  } else if (a.where === 'conversation') {
    where = h('span', { class: 'note' }, 'In a private conversation.');
  }
  return h('li', { class: 'alert-item', tabindex: '-1' },
    h('p', null, badge(a.kind === 'checkin_drop' ? 'Check-in drop' : 'Crisis phrase', 'danger'), ' ',
      a.kind === 'checkin_drop' ? `${who}’s check-in score fell sharply.`
        : `${who} wrote something that may need your attention${a.where === 'board'
          ? ' on a message board' : ''}.`,
      h('span', { class: 'note' }, ` ${a.group && a.group.name ? `${a.group.name} · ` : ''}${ago(a.at, serverNow())}.`)),
    a.text ? h('p', { class: 'pre-line alert-text' }, a.text) : null,
    where ? h('p', null, where) : null);
}

export default async function dashboard({ session, announce }) {
  const me = session.user;
  const manager = me.role === 'manager';
  liveSocket();
  const alertsBox = h('div');
  const appsBox = h('div');
  const groupsBox = h('div');
  const siteBox = h('div');

  // the alerts card: the history loaded so far, and the live ones on top
  let history = [];
  let nextBefore = null;
  let historyError = null;

  async function loadAlerts(before) {
    // a page of ten keeps the rest of the dashboard in sight
    const d = await api.get(`/api/v1/alerts?limit=10${before ? `&before_id=${before}` : ''}`);
    const seen = new Set(history.map((a) => a.id));
    history = before ? history.concat(d.alerts.filter((a) => !seen.has(a.id))) : d.alerts;
    nextBefore = d.next_before_id;
    historyError = null;
  }

  function mergedAlerts() {
    const used = new Set();
    const fresh = [];
    for (const a of receivedAlerts().map(fromFrame).reverse()) { // oldest first
      const known = history.find((b) => !used.has(b) && sameAlert(a, b));
      if (known) used.add(known);
      else fresh.push(a);
    }
    return [...fresh.reverse(), ...history];
  }

  async function loadOlder(ev) {
    const button = ev.currentTarget;
    const had = history.length;
    button.disabled = true;
    try {
      await loadAlerts(nextBefore);
    } catch (e) {
      button.disabled = false;
      announce(e.message, 'error');
      return;
    }
    const first = history[had];
    announce(first ? `${plural(history.length - had, 'older alert')} shown.` : 'There are no older alerts.');
    drawAlerts(nextBefore !== null || !first ? 'more' : first);
  }

  /** focus: 'more' (the "Load older" button, or the last alert once it is gone), or an alert to move to. */
  function drawAlerts(focus) {
    const active = document.activeElement;
    if (!focus && active && alertsBox.contains(active) && active.classList.contains('alert-more')) focus = 'more';
    const list = mergedAlerts();
    const items = new Map(list.map((a) => [a, alertItem(a, manager)]));
    const more = nextBefore !== null ? h('button', { type: 'button', class: 'btn btn-small btn-quiet alert-more',
      on: { click: loadOlder } }, 'Load older alerts') : null;
    replace(alertsBox,
      note('Alerts come when someone writes a crisis phrase, or when a check-in score drops ' +
        'sharply. ' + (manager ? 'You see every alert, without what was written. '
        : 'You see those of the groups you facilitate. ') + 'Alerts from the boards are also ' +
        'e-mailed to you when you are away.'),
      historyError ? loadError(historyError) : null,
      list.length ? h('ul', { class: 'alert-list' }, ...items.values())
        : h('p', null, historyError ? 'No new alerts have come in since this page opened.'
          : 'There have been no alerts.'),
      more ? h('div', { class: 'actions actions-tight' }, more) : null);
    if (focus === 'more') (more || [...items.values()].at(-1))?.focus();
    else if (focus && items.has(focus)) items.get(focus).focus();
  }

  async function loadApps() {
    const { applications } = await api.get('/api/v1/applications?status=pending');
    replace(appsBox, applications.length
      ? h('ul', { class: 'plain-list row-list' }, ...applications.map((a) => h('li', null,
        h('p', null, manager ? h('strong', null, a.applicant.name)
          : h('a', { href: `/dashboard/applications/${a.id}` }, `${a.applicant.name}`),
        ` applied to ${a.group.name}`, h('span', { class: 'note' }, ` · ${fmtShort(a.created_at)}`)))))
      : h('p', null, 'No applications are waiting.'),
    manager ? note('Screening answers are read only by each group’s facilitators.') : null);
  }

  async function boardSection(url, label) {
    let d;
    try {
      d = await api.get(url);
    } catch (e) {
      if (e.status === 403 || e.status === 404) return null;
      return [loadError(e)];
    }
    const out = [];
    out.push(h('h3', null, `Topics with no reply for ${plural(d.unanswered_days, 'day')}`),
      d.unanswered.length ? h('ul', { class: 'plain-list' }, ...d.unanswered.map((t) => h('li', null,
        h('a', { href: `/topics/${t.id}` }, t.subject), h('span', { class: 'note' },
          ` by ${t.author.name}, ${fmtShort(t.created_at)}`))))
        : note('Every topic has had a reply.'));
    if (d.group_id) {
      out.push(h('h3', null, `Members who have not posted for ${plural(d.quiet_days, 'day')}`),
        d.quiet_members.length ? h('ul', { class: 'plain-list' }, ...d.quiet_members.map((m) => h('li', null,
          m.name, h('span', { class: 'note' }, m.last_post_at ? ` · last post ${fmtShort(m.last_post_at)}`
            : ' · has not posted yet'), ' ',
          h('a', { href: `/messages?with=${m.id}`, class: 'small-link' }, 'Send a message',
            h('span', { class: 'visually-hidden' }, ` to ${m.name}`)))))
          : note('Everyone has posted this week.'));
    }
    out.push(h('h3', null, 'Flagged posts'),
      d.flags.length ? h('ul', { class: 'plain-list row-list' }, ...d.flags.map((f) => h('li', null,
        h('p', null, h('a', { href: `/boards/posts/${f.post_id}` }, f.subject),
          h('span', { class: 'note' }, ` · post by ${f.author.name}; flagged by ${f.reporter.name}, ${fmtShort(f.created_at)}`)),
        h('p', { class: 'pre-line quote-box' }, f.reason),
        h('div', { class: 'actions actions-tight' }, h('button', { type: 'button', class: 'btn btn-small btn-quiet',
          on: { click: async () => {
            try {
              await api.post(`/api/v1/flags/${f.id}/resolve`, {});
              announce('The flag is marked as dealt with.');
              await reloadGroups();
            } catch (e) {
              announce(e.message, 'error');
            }
          } } }, 'Mark as dealt with')))))
        : note('No flags to look at.'));
    out.push(h('h3', null, 'Posts waiting for approval'),
      d.held.length ? h('ul', { class: 'plain-list row-list' }, ...d.held.map((p) => {
        const body = h('div', { class: 'post-body quote-box' });
        insertServerRenderedHtml(body, p.html);
        return h('li', null,
          h('p', null, h('a', { href: `/boards/posts/${p.id}` }, p.subject),
            h('span', { class: 'note' }, ` · by ${p.author.name}, ${fmtShort(p.created_at)}`)),
          body,
          h('div', { class: 'actions actions-tight' },
            h('button', { type: 'button', class: 'btn btn-small', on: { click: () => heldAction(p, true) } },
              'Approve', h('span', { class: 'visually-hidden' }, ` the post by ${p.author.name}`)),
            h('button', { type: 'button', class: 'btn btn-small btn-danger', on: { click: () => heldAction(p, false) } },
              'Delete', h('span', { class: 'visually-hidden' }, ` the post by ${p.author.name}`))));
      })) : note('Nothing is waiting.'));
    out.push(h('h3', null, 'People whose posting is paused'),
      d.blocked.length ? h('ul', { class: 'plain-list' }, ...d.blocked.map((b) => h('li', null,
        b.name, h('span', { class: 'note' }, ` · since ${fmtShort(b.since)}`), ' ',
        h('button', { type: 'button', class: 'btn btn-small btn-quiet', on: { click: async () => {
          try {
            await api.del(d.group_id ? `/api/v1/groups/${d.group_id}/board-blocks/${b.id}`
              : `/api/v1/boards/blocks/${b.id}`);
            announce(`${b.name} can post again.`);
            await reloadGroups();
          } catch (e) {
            announce(e.message, 'error');
          }
        } } }, 'Let them post again', h('span', { class: 'visually-hidden' }, ` (${b.name})`)))))
        : note('Nobody.'));
    return [h('h3', { class: 'visually-hidden' }, label), ...out];
  }

  async function heldAction(p, approve) {
    if (!approve && !(await confirmDialog({ title: 'Delete this post?', text: 'It will not be ' +
      'shown to anyone.', confirm: 'Delete the post', danger: true }))) return;
    try {
      if (approve) await api.post(`/api/v1/posts/${p.id}/approve`, {});
      else await api.del(`/api/v1/posts/${p.id}`);
      announce(approve ? 'The post is approved.' : 'The post has been deleted.');
      await reloadGroups();
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  async function reloadGroups() {
    const { groups } = manager ? await api.get('/api/v1/groups') : await api.get('/api/v1/me/groups');
    const mine = groups.filter((g) => manager || g.my_role === 'facilitator');
    const cards = [];
    for (const g of mine) {
      const parts = [];
      const wl = await api.get(`/api/v1/groups/${g.id}/waitlist`).catch(() => null);
      parts.push(h('h3', null, 'Waitlist'));
      parts.push(wl && wl.waitlist.length ? h('ol', { class: 'plain-list' }, ...wl.waitlist.map((w) => h('li', null,
        w.user.name, h('span', { class: 'note' }, ` · waiting since ${fmtShort(w.added_at)}`),
        w.offer ? [' ', badge(`Seat offered until ${fmtShort(w.offer.expires_at)}`, 'wait')] : null)))
        : note('Nobody is waiting.'));
      if (!manager) {
        const boards = await boardSection(`/api/v1/groups/${g.id}/board-dashboard`, `Boards of ${g.name}`);
        if (boards) parts.push(...boards);
      }
      cards.push(card(`d-g${g.id}`, g.name,
        h('p', { class: 'note' }, `${g.seats_left} of ${g.capacity} seats free.`), ...parts));
    }
    if (!mine.length) cards.push(h('p', null, 'You are not facilitating a group at the moment.'));
    replace(groupsBox, ...cards);
    const site = await boardSection('/api/v1/boards/dashboard', 'The open boards');
    replace(siteBox, site ? card('d-site', 'The open boards (everyone on Hearth)', ...site) : null);
  }

  await Promise.all([
    loadAlerts().catch((e) => { historyError = e; }),
    loadApps().catch((e) => replace(appsBox, loadError(e))),
    reloadGroups().catch((e) => replace(groupsBox, loadError(e))),
  ]);
  drawAlerts();
  const off = onAlert(() => drawAlerts());

  return {
    title: 'Dashboard',
    node: page('Dashboard',
      card('d-alerts', 'Alerts', alertsBox),
      card('d-apps', 'Applications to review', appsBox),
      groupsBox, siteBox),
    destroy: off,
  };
}
