// views/dashboard.js — the facilitators' dashboard (and the manager's view
// of it): alerts, applications to review, each group's waitlist, and on the
// boards: topics nobody has answered, members who have gone quiet, flagged
// posts, posts held for approval, and people whose posting is paused.
//
// Alerts have no list in the API: those shown are the ones this page's
// connection received since it was opened (live/shared.js).

import { h, replace, insertServerRenderedHtml } from '../dom.js';
import { api } from '../api.js';
import { receivedAlerts, onAlert, liveSocket } from '../live/shared.js';
import { page, card, badge, note, loadError, confirmDialog } from '../ui/common.js';
import { fmtShort, ago, plural } from '../ui/format.js';

function alertItem({ frame: f, at }) {
  const who = f.user && f.user.name ? f.user.name : 'Someone';
  let where = null;
  if (f.type === 'notification') {
    where = h('a', { href: `/boards/posts/${f.post}` }, 'Go to the post');
  } else if (f.session) {
    where = h('a', { href: `/sessions/${f.session}` }, 'Go to the session');
  } else if (f.conversation) {
    where = h('span', { class: 'note' }, 'In a private conversation.');
  }
  return h('li', { class: 'alert-item' },
    h('p', null, badge(f.kind === 'checkin_drop' ? 'Check-in drop' : 'Crisis phrase', 'danger'), ' ',
      f.kind === 'checkin_drop' ? `${who}’s check-in score fell sharply.`
        : `${who} wrote something that may need your attention${f.type === 'notification'
          ? ' on a message board' : ''}.`,
      h('span', { class: 'note' }, ` ${ago(at)}.`)),
    f.text ? h('p', { class: 'pre-line alert-text' }, f.text) : null,
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

  function drawAlerts() {
    const list = receivedAlerts();
    replace(alertsBox,
      note('Alerts come when someone writes a crisis phrase, or when a check-in score drops ' +
        'sharply. This list shows those that arrived while Hearth was open in this tab. ' +
        'Every alert is also kept in the audit log, and alerts from the boards are e-mailed ' +
        'to you when you are away.'),
      list.length ? h('ul', { class: 'alert-list' }, ...list.map(alertItem))
        : h('p', null, 'No alerts since you opened Hearth.'));
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
