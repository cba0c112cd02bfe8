// views/mygroup.js — my group: the next session with a countdown, "Join the
// session" (usable only while the doors are open: from ten minutes before
// the start, or whenever a facilitator has opened the session), the calendar
// download, who is in the group; and, for members, their applications and
// any seat offered to them from the waitlist.
//
// Times follow the server's clock (live/shared.js), so that the doors open
// here when they open there.

import { h, replace, setText, append } from '../dom.js';
import { api } from '../api.js';
import { liveSocket, serverNow } from '../live/shared.js';
import { page, card, badge, note, confirmDialog, loadError, every } from '../ui/common.js';
import { avatar } from '../ui/avatar.js';
import {
  VIEWER_ZONE, fmtTime, fmtWhen, fmtShort, fmtDate, zoneName, sameClock, until, plural,
} from '../ui/format.js';

const DAY = 86_400_000;

const STATUS = {
  pending: ['Waiting to be read', 'wait', 'A facilitator will read your application and may ' +
    'call you before deciding.'],
  approved: ['Approved', 'ok', 'You are a member of this group.'],
  waitlisted: ['On the waitlist', 'wait', 'You have been accepted, and will be offered the ' +
    'next free seat.'],
  referred: ['Closed', '', 'The facilitator thought other support would suit you better.'],
  withdrawn: ['Withdrawn', '', 'This application is closed.'],
};

/** What an application's status means, for its applicant. */
export function applicationSummary(a) {
  const [label, kind, text] = STATUS[a.status] || [a.status, '', ''];
  return h('div', { class: 'app-summary' },
    h('p', null, badge(label, kind), ' ', text),
    a.waitlist ? h('p', null, a.waitlist.state === 'offered'
      ? 'A seat is being offered to you.'
      : `You are number ${a.waitlist.position} on the waitlist.`) : null,
    a.message ? h('div', { class: 'quote-box' },
      h('p', { class: 'quote-label' }, 'Message from the facilitator:'),
      h('p', { class: 'pre-line' }, a.message)) : null);
}

/** The session to show for a group: open now, or the next to come. */
function currentSession(sessions, now) {
  return sessions.find((s) => s.state === 'open' ||
    (s.state !== 'closed' && s.ends_at > now)) || null;
}

function doorsOpen(s, now) {
  return !!s && (s.state === 'open' || (s.state !== 'closed' && now >= s.doors_open_at &&
    now < s.ends_at));
}

export default async function mygroup({ session, navigate, announce }) {
  liveSocket(); // for the server's clock, and notifications about applications
  const me = session.user;
  const content = h('div');
  const tickers = new Set();
  let lastData = '';
  let lastLoad = 0;
  let lastApps = null; // application id -> status, to tell of a decision
  let stopped = false;

  async function load() {
    const [{ groups }, apps, offers] = await Promise.all([
      api.get('/api/v1/me/groups'),
      me.role === 'member' ? api.get('/api/v1/me/applications') : { applications: [] },
      me.role === 'member' ? api.get('/api/v1/me/offers') : { offers: [] },
    ]);
    const now = serverNow();
    const details = await Promise.all(groups.map(async (g) => {
      const [detail, sessions, people] = await Promise.all([
        api.get(`/api/v1/groups/${g.id}`),
        api.get(`/api/v1/groups/${g.id}/sessions?from=${Math.round(now - DAY)}` +
          `&to=${Math.round(now + 60 * DAY)}`).catch(() => ({ sessions: [] })),
        api.get(`/api/v1/groups/${g.id}/members`).catch(() => null),
      ]);
      // a session the facilitator opened outside the weekly slot comes first while open
      const adhoc = (sessions.adhoc_sessions || []).filter((s) => s.state === 'open')
        .map((s) => ({ ...s, session_id: s.id, doors_open_at: s.starts_at, adhoc: true }));
      return { g: detail, sessions: [...adhoc, ...sessions.sessions], people };
    }));
    return { details, applications: apps.applications, offers: offers.offers };
  }

  async function refresh(force) {
    let data;
    lastLoad = Date.now();
    try {
      data = await load();
    } catch (e) {
      if (e.status === 401) return;
      if (!lastData) replace(content, loadError(e));
      return;
    }
    if (stopped) return;
    const json = JSON.stringify(data);
    if (!force && json === lastData) return;
    if (lastApps) {
      for (const a of data.applications) {
        const before = lastApps.get(a.id);
        if (before && before !== a.status) {
          announce(`Your application to ${a.group.name}: ${(STATUS[a.status] || [a.status])[0]}.`);
        }
      }
    }
    lastApps = new Map(data.applications.map((a) => [a.id, a.status]));
    lastData = json;
    tickers.clear();
    replace(content, ...render(data));
    tick();
  }

  function tick() {
    const now = serverNow();
    for (const fn of tickers) fn(now);
  }

  function render({ details, applications, offers }) {
    const out = [];
    if (!details.length) {
      out.push(h('p', { class: 'lead' }, me.role === 'facilitator'
        ? 'You are not facilitating a group at the moment. The online manager adds ' +
          'facilitators to groups.'
        : 'You are not in a group yet.'));
      if (me.role === 'member') {
        out.push(h('p', null, h('a', { href: '/groups', class: 'btn' }, 'Find a group')));
      }
    }
    for (const d of details) out.push(groupCard(d));
    const open = applications.filter((a) => a.status !== 'approved' || a.offer);
    if (me.role === 'member' && (applications.length || offers.length)) {
      out.push(card('my-apps', 'Your applications',
        h('ul', { class: 'plain-list app-list' }, ...applications.map((a) => h('li', null,
          h('h3', null, a.group.name),
          h('p', { class: 'note' }, `Sent ${fmtShort(a.created_at)}.`),
          applicationSummary(a),
          applicationActions(a, offers)))),
        open.length ? null : note('All your applications have been decided.')));
    }
    return out;
  }

  function applicationActions(a, offers) {
    const offer = offers.find((o) => a.offer && o.id === a.offer.id) || a.offer;
    const box = h('div', { class: 'actions' });
    if (offer) {
      const expires = offer.expires_at;
      box.append(
        h('p', { class: 'offer-text' }, `A seat is yours if you want it. Please answer by ` +
          `${fmtShort(expires)}; after that it is offered to the next person waiting.`),
        h('button', { type: 'button', class: 'btn', on: { click: () => answerOffer(a, offer, true) } },
          'Accept the seat'),
        h('button', { type: 'button', class: 'btn btn-quiet',
          on: { click: () => answerOffer(a, offer, false) } }, 'Decline'));
    } else if (a.status === 'pending' || a.status === 'waitlisted') {
      box.append(h('button', { type: 'button', class: 'btn btn-quiet',
        on: { click: () => withdraw(a) } }, 'Withdraw this application'));
    }
    return box.children.length ? box : null;
  }

  async function answerOffer(a, offer, accept) {
    if (!accept && !(await confirmDialog({
      title: 'Decline the seat?',
      text: `The seat in ${a.group.name} will be offered to the next person waiting, and ` +
        'your application will close. You can apply again later.',
      confirm: 'Decline the seat', cancel: 'Keep it open',
    }))) return;
    try {
      await api.post(`/api/v1/offers/${offer.id}/${accept ? 'accept' : 'decline'}`, {});
      lastApps = null; // their own doing: no "decision" to tell them of
      await refresh(true);
      announce(accept ? `Welcome: you have joined ${a.group.name}.`
        : 'You have declined the seat.');
    } catch (e) {
      announce(e.message, 'error');
      await refresh(true);
    }
  }

  async function withdraw(a) {
    if (!(await confirmDialog({
      title: 'Withdraw your application?',
      text: `Your application to ${a.group.name} will be closed. You can apply again later.`,
      confirm: 'Withdraw', cancel: 'Keep it', danger: true,
    }))) return;
    try {
      await api.post(`/api/v1/applications/${a.id}/withdraw`, {});
      lastApps = null;
      await refresh(true);
      announce('Your application has been withdrawn.');
    } catch (e) {
      announce(e.message, 'error');
      await refresh(true);
    }
  }

  function groupCard({ g, sessions, people }) {
    const id = `grp-${g.id}`;
    const facilitating = g.my_role === 'facilitator';
    const parts = [
      h('p', { class: 'note' }, facilitating ? 'You facilitate this group.' : 'You are a member.'),
      sessionBlock(g, sessions),
      h('h3', null, 'Calendar'),
      h('p', null, h('a', { href: `/api/v1/groups/${g.id}/calendar.ics`, download: `hearth-group-${g.id}.ics` },
        'Download the sessions for your calendar (.ics)')),
      note('Works with Outlook, Google Calendar and Apple Calendar. The times are kept in the ' +
        'group’s time zone, so your calendar shows them in yours.'),
      peopleBlock(g, people),
      h('h3', null, 'Elsewhere in the group'),
      h('ul', { class: 'inline-links' },
        h('li', null, h('a', { href: '/boards' }, 'The group’s boards')),
        h('li', null, h('a', { href: '/transcripts' }, 'Transcripts of past sessions')),
        h('li', null, h('a', { href: '/messages' }, 'Private messages'))),
      cycleBlock(g),
    ];
    return card(id, g.name, ...parts);
  }

  function sessionBlock(g, sessions) {
    const now = serverNow();
    // the list covers the coming weeks; a group starting later has only its next session
    const s = currentSession(sessions, now) || (g.next_session
      ? { ...g.next_session, state: 'scheduled', session_id: null } : null);
    const box = h('div', { class: 'next-session' });
    if (!s) {
      box.append(h('h3', null, 'Next session'), h('p', null, 'No sessions are planned at the ' +
        'moment. Your facilitator will let you know.'));
      if (g.my_role === 'facilitator') box.append(adhocButton(g));
      return box;
    }
    const when = h('p', { class: 'when' }, fmtWhen(s.starts_at, g.timezone), ` (${zoneName(g.timezone)})`);
    const own = sameClock(s.starts_at, g.timezone, VIEWER_ZONE) ? null
      : h('p', { class: 'note' }, `That is ${fmtWhen(s.starts_at, VIEWER_ZONE)} in your time ` +
        `(${zoneName(VIEWER_ZONE)}).`);
    const countdown = h('p', { class: 'countdown' });
    const joinSlot = h('div', { class: 'actions join-slot' });
    const heading = h('h3', null, 'Next session');
    append(box, [heading, when, own, countdown, joinSlot]);
    let wasOpen = null;
    let wasReady = null;
    let wasNear = null;
    tickers.add((t) => {
      const open = doorsOpen(s, t);
      const started = t >= s.starts_at;
      setText(heading, open ? 'Session now' : 'Next session');
      if (open && started) setText(countdown, `The session started at ${fmtTime(s.starts_at)} ` +
        `(your time) and ends at ${fmtTime(s.ends_at)}.`);
      else if (open) setText(countdown, `The doors are open. It starts ${until(s.starts_at - t)}.`);
      else setText(countdown, `Starts ${until(s.starts_at - t)}. The doors open ten minutes ` +
        `before, at ${fmtTime(s.doors_open_at)} your time.`);
      const ready = open && !!s.session_id;
      const near = s.starts_at - t < 60 * 60_000;
      if (open === wasOpen && ready === wasReady && near === wasNear) return;
      wasNear = near;
      if (wasOpen === false && open) announce(`The doors are open for ${g.name}. You can join the session now.`);
      wasOpen = open;
      wasReady = ready;
      const controls = [];
      if (ready) {
        controls.push(h('a', { href: `/sessions/${s.session_id}`, class: 'btn btn-join' },
          'Join the session'));
      } else {
        controls.push(h('button', { type: 'button', class: 'btn', disabled: true,
          'aria-describedby': `join-why-${g.id}` }, 'Join the session'));
        controls.push(h('p', { class: 'note', id: `join-why-${g.id}` }, open
          ? 'The room is being made ready; this takes a few seconds.'
          : 'You can join once the doors open.'));
        if (open) setTimeout(() => refresh(true), 3000);
      }
      if (g.my_role === 'facilitator' && !open && s.session_id && s.state === 'scheduled' && near) {
        controls.push(h('button', { type: 'button', class: 'btn btn-quiet',
          on: { click: () => openEarly(g, s) } }, 'Open the doors now'));
      }
      if (g.my_role === 'facilitator' && !open) controls.push(adhocButton(g));
      replace(joinSlot, ...controls);
    });
    return box;
  }

  function adhocButton(g) {
    return h('button', { type: 'button', class: 'btn btn-quiet', on: { click: () => adhoc(g) } },
      'Start an extra session now');
  }

  async function openEarly(g, s) {
    try {
      await api.post(`/api/v1/sessions/${s.session_id}/open`, {});
      await navigate(`/sessions/${s.session_id}`);
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  async function adhoc(g) {
    if (!(await confirmDialog({
      title: 'Start an extra session now?',
      text: ['The session opens at once for an hour, and members can join it from the link ' +
        'you share with them. It is recorded in a transcript like any other.'],
      confirm: 'Start the session',
    }))) return;
    try {
      const s = await api.post(`/api/v1/groups/${g.id}/sessions`, { duration_min: 60 });
      await navigate(`/sessions/${s.id}`, { notice: { text: 'The session is open. Members can ' +
        'join from this page’s address.' } });
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  function peopleBlock(g, people) {
    if (!people) return null;
    const person = (p, role) => h('li', { class: 'person' }, avatar(p), h('span', null, p.name),
      role ? badge(role) : null,
      p.id !== me.id ? h('a', { href: `/messages?with=${p.id}`, class: 'small-link' },
        'Message', h('span', { class: 'visually-hidden' }, ` ${p.name}`)) : badge('You'));
    return h('div', null,
      h('h3', null, 'Facilitators'),
      h('ul', { class: 'people' }, ...people.facilitators.map((p) => person(p, 'Facilitator'))),
      h('h3', null, `Members (${people.members.length})`),
      people.members.length ? h('ul', { class: 'people' }, ...people.members.map((p) => person(p)))
        : note('Nobody has joined yet.'));
  }

  function cycleBlock(g) {
    const c = g.cycle;
    if (!c || !c.current) return null;
    const out = h('div');
    if (g.my_role === 'member' && c.extension_allowed && !c.extension_weeks &&
        c.current.in_progress) {
      const btn = h('button', { type: 'button', class: 'btn btn-quiet' },
        'Ask for the 12-week extension');
      btn.addEventListener('click', async () => {
        try {
          const r = await api.post(`/api/v1/groups/${g.id}/extension-request`, {});
          announce(`Thank you. Your facilitators have been told (${plural(r.requests, 'request')} so far).`);
        } catch (e) {
          announce(e.message, 'error');
        }
      });
      out.append(h('h3', null, 'Carrying on'), h('p', null, `This cycle ends on ` +
        `${fmtDate(c.current.ends_at, g.timezone)}. The group may ask to carry on for 12 ` +
        'more weeks.'), h('div', { class: 'actions' }, btn));
    }
    if (g.my_role === 'facilitator' && c.extension_allowed && !c.extension_weeks &&
        g.extension_requests) {
      const btn = h('button', { type: 'button', class: 'btn' }, 'Extend this cycle by 12 weeks');
      btn.addEventListener('click', async () => {
        try {
          await api.post(`/api/v1/groups/${g.id}/extension`, {});
          announce('The cycle has been extended by 12 weeks.');
          await refresh(true);
        } catch (e) {
          announce(e.message, 'error');
        }
      });
      out.append(h('h3', null, 'Extension'), h('p', null,
        `${plural(g.extension_requests, 'member')} asked to carry on for 12 more weeks.`),
      h('div', { class: 'actions' }, btn));
    }
    return out.children.length ? out : null;
  }

  await refresh(true);
  const stopTick = every(1000, tick);
  // the server sends no notification of a decision: while one is awaited, look more often
  const stopRefresh = every(5_000, () => {
    const waiting = /"status":"(pending|waitlisted)"/.test(lastData);
    if (Date.now() - lastLoad >= (waiting ? 10_000 : 30_000)) refresh(false);
  });
  const sock = liveSocket();
  const offFrame = sock.on('frame', (f) => {
    if (f.type === 'notification' && f.kind === 'application') refresh(false);
  });
  // a new welcome after 4002 means this person's rights changed: joined or left a group
  const offWelcome = sock.on('welcome', () => {
    tick();
    refresh(false);
  });
  return {
    title: 'My group',
    node: page('My group', content),
    destroy() {
      stopped = true;
      stopTick();
      stopRefresh();
      offFrame();
      offWelcome();
    },
  };
}
