// views/session.js — the live session room.
//
// The room's state lives in live/room.js (messages in seq order, pending
// messages re-sent after a reconnect, nothing shown twice); this screen
// draws it: the messages with author, time and avatar; the composer (Enter
// sends, Shift+Enter starts a new line, a 4000-character counter); who is
// here and who is typing; the state of the connection and of the session
// (connecting, reconnecting, doors not yet open, closing soon, closed); the
// crisis resources card; a polite live region that reads out new messages;
// the check-in; and, for facilitators only, their tools: mute, remove,
// redact, highlight, announce, pause, extend, end, the alerts, the turn
// counts and the check-in scores.
//
// Everything people wrote is inserted as text (dom.js).

import { h, replace, setText } from '../dom.js';
import { api } from '../api.js';
import { liveSocket, serverNow } from '../live/shared.js';
import { Room } from '../live/room.js';
import { notFoundView, badge, confirmDialog, morph, announcer, every } from '../ui/common.js';
import { openDialog } from '../ui/dialog.js';
import { reportDialog } from '../ui/report.js';
import { avatar } from '../ui/avatar.js';
import { fmtTime, isoOf, codePoints, plural, dayKey, fmtDate } from '../ui/format.js';

const TEXT_MAX = 4000;
// the control characters the server refuses (all but tab and newline)
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g; // eslint-disable-line no-control-regex

const STATE_WORDS = { present: 'here', idle: 'quiet for a while', away: 'connection lost' };

export default async function sessionView({ params, session }) {
  const id = Number(params.id);
  if (!Number.isSafeInteger(id) || id < 1) return notFoundView('We cannot find that session');
  let info;
  try {
    info = await api.get(`/api/v1/sessions/${id}`);
  } catch (e) {
    if (e.status === 404) return notFoundView('We cannot find that session');
    throw e;
  }
  const g = await api.get(`/api/v1/groups/${info.group_id}`);
  const me = session.user;
  const facilitatorIds = new Set((g.facilitators || []).map((f) => f.id));
  const socket = liveSocket();
  const room = new Room(socket, id);
  const cleanups = [];

  // view state beyond the room's own
  let announceFrom = null;   // seq after which new messages are read out
  let crisisText = null;
  let checkinPhase = null;
  const checkinDone = new Set(); // phases answered or put aside on this page
  const alerts = [];         // alert frames of this session
  const turns = new Map();   // user id -> messages posted
  const scores = new Map();  // user id -> {join, close}
  const mutedUsers = new Set();
  const rendered = new Map(); // seq -> li
  let lastState = '';
  let toolsMsgTimer = null;

  // ---- the page ----
  const when = h('p', { class: 'room-when' });
  const stateBox = h('div', { class: 'room-state', role: 'status' });
  const crisisBox = h('div', { class: 'crisis-slot', role: 'alert' });
  const checkinBox = h('div', { class: 'checkin-slot' });
  const msgList = h('ol', { class: 'msgs', 'aria-label': 'Messages' });
  const pendingList = h('ol', { class: 'msgs msgs-pending', 'aria-label': 'Still being sent' });
  const emptyNote = h('p', { class: 'note msgs-empty' }, 'No messages yet. When you are ready, ' +
    'say hello.');
  const scroller = h('div', { class: 'msgs-wrap', tabindex: '0', role: 'region',
    'aria-label': 'Messages of the session' }, emptyNote, msgList, pendingList);
  const typingLine = h('p', { class: 'typing' });
  const reader = announcer();

  const textarea = h('textarea', { id: 'composer-text', name: 'text', rows: '3',
    'aria-describedby': 'composer-hint composer-count', spellcheck: 'true' });
  const counter = h('p', { class: 'counter', id: 'composer-count' }, `0 of ${TEXT_MAX} characters`);
  const sendBtn = h('button', { type: 'submit', class: 'btn' }, 'Send');
  const composerMsg = h('p', { class: 'form-msg', role: 'alert' });
  const composer = h('form', { class: 'composer', 'aria-label': 'Write a message', novalidate: true },
    h('label', { for: 'composer-text' }, 'Your message'),
    textarea,
    h('div', { class: 'composer-foot' },
      h('p', { class: 'hint', id: 'composer-hint' }, 'Enter sends. Shift+Enter starts a new line.'),
      counter, sendBtn),
    composerMsg);

  const peopleHeading = h('h2', { id: 'room-people' }, 'Who is here');
  const peopleList = h('ul', { class: 'here-list' });
  const side = h('aside', { class: 'room-side', 'aria-labelledby': 'room-people' },
    peopleHeading, peopleList);
  const tools = h('section', { class: 'room-tools', 'aria-labelledby': 'room-tools-h', hidden: true });
  side.append(tools);

  const grid = h('div', { class: 'room-grid' },
    h('div', { class: 'room-main' }, checkinBox, scroller, typingLine, composer),
    side);
  const root = h('section', { class: 'page page-wide room' },
    h('h1', null, g.name),
    when,
    stateBox,
    crisisBox,
    grid,
    h('p', { class: 'room-leave' }, h('a', { href: '/my-group' }, 'Leave the room'),
      ' · ', h('a', { href: '/crisis' }, 'Helplines')),
    reader.el);

  const isFacilitator = () => (room.you ? room.you.role === 'facilitator'
    : g.my_role === 'facilitator');

  function showWhen() {
    const ends = room.endsAt || info.ends_at;
    const day = dayKey(info.starts_at) === dayKey(serverNow()) ? 'Today'
      : fmtDate(info.starts_at);
    setText(when, `Live session · ${day}, ${fmtTime(info.starts_at)} to ${fmtTime(ends)} ` +
      '(your time)');
  }

  // ---- state of the connection and of the session ----
  function stateText() {
    const s = socket.status;
    const r = room.refusal;
    if (s === 'signed_out') return ['signed-out', 'You have been signed out. Please sign in again to come back to the room.'];
    if (s === 'client_bug') return ['error', 'Something went wrong with this page. Please reload it.'];
    if (r) {
      if (r.code === 'session_not_open') {
        const doors = info.starts_at - 10 * 60_000;
        // (no countdown here: this is a live region, and would be read out every second)
        const day = dayKey(doors) === dayKey(serverNow()) ? '' : ` on ${fmtDate(doors)}`;
        return ['doors', `The doors open at ${fmtTime(doors)}${day}, ten minutes before the ` +
          'start. This page lets you in by itself when they open.'];
      }
      if (r.code === 'closed') return ['closed', 'This session has ended.'];
      return ['refused', r.message];
    }
    if (room.removed) return ['refused', 'You are no longer part of this session. Your facilitator can tell you more.'];
    if (room.state === 'closed') return ['closed', 'This session has ended. Thank you for being here.'];
    if (s === 'connecting') return ['connecting', 'Connecting to the room…'];
    if (s === 'reconnecting' || s === 'closed') {
      return ['reconnecting', 'The connection was lost. Reconnecting… Anything you write is kept ' +
        'and sent when the connection is back.'];
    }
    if (!room.joined) return ['joining', 'Joining the room…'];
    if (room.paused) return ['paused', 'The facilitator has paused the conversation for a moment.'];
    if (room.muted) return ['muted', 'The facilitator has paused your messages for now.'];
    if (room.state === 'closing') {
      return ['closing', `The session is closing soon: it ends at ${fmtTime(room.endsAt)}.`];
    }
    return ['open', 'You are in the room.'];
  }

  function updateState() {
    const [kind, text] = stateText();
    root.dataset.state = kind;
    const key = kind + text;
    if (key !== lastState) {
      lastState = key;
      stateBox.className = `room-state room-state-${kind}`;
      const extra = [];
      if (kind === 'signed-out') {
        extra.push(' ', h('a', { href: `/signin?next=${encodeURIComponent(location.pathname)}` }, 'Sign in'));
      }
      if (kind === 'closed') {
        extra.push(' ', h('a', { href: `/transcripts/${id}` }, 'Read the transcript'),
          ' (it is ready a few moments after the end).');
      }
      replace(stateBox, h('p', null, text, ...extra));
    }
    const closed = kind === 'closed' || kind === 'refused' || kind === 'signed-out' ||
      kind === 'error' || kind === 'doors';
    const silenced = kind === 'muted' || (kind === 'paused' && !isFacilitator());
    textarea.disabled = closed || silenced;
    sendBtn.disabled = closed || silenced;
    composer.hidden = closed;
    // nothing to show in the room before it opens, or to someone it refused
    grid.hidden = ['doors', 'refused', 'signed-out', 'error', 'closed'].includes(kind) &&
      !room.messages.length;
  }

  // ---- messages ----
  function messageSig(m) {
    return `${m.redacted ? 'r' : ''}${m.highlighted ? 'h' : ''}`;
  }

  function buildMessage(m) {
    const author = m.author || { id: 0, name: 'Someone' };
    const mine = author.id === me.id;
    const announcement = m.kind === 'announcement';
    const time = h('time', { datetime: isoOf(m.ts) }, fmtTime(m.ts));
    const meta = h('p', { class: 'msg-meta' },
      h('span', { class: 'msg-author' }, mine ? `${author.name} (you)` : author.name), ' ',
      facilitatorIds.has(author.id) ? [badge('Facilitator'), ' '] : null,
      announcement ? [badge('Announcement', 'announce'), ' '] : null,
      time,
      m.highlighted ? [' ', badge('Common thread', 'thread')] : null);
    const body = m.redacted
      ? h('p', { class: 'msg-text msg-removed' }, 'This message was removed by the facilitator.')
      : h('p', { class: 'msg-text' }, m.text);
    const li = h('li', {
      class: ['msg', mine && 'msg-mine', announcement && 'msg-announce',
        m.highlighted && 'msg-thread', m.redacted && 'msg-redacted'],
      id: `msg-${m.seq}`, tabindex: '-1', 'data-seq': String(m.seq),
    }, avatar(author), h('div', { class: 'msg-body' }, meta, body));
    const canModerate = isFacilitator();
    if (canModerate || (!mine && !m.redacted)) {
      li.append(h('button', {
        type: 'button', class: 'msg-more', 'data-focus-key': 'more',
        'aria-label': `Options for the message from ${author.name} at ${fmtTime(m.ts)}`,
        on: { click: () => messageOptions(m) },
      }, '⋯'));
    }
    li.dataset.sig = messageSig(m);
    return li;
  }

  function renderMessages() {
    const nearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    let added = false;
    for (let i = 0; i < room.messages.length; i++) {
      const m = room.messages[i];
      const have = rendered.get(m.seq);
      if (have && have.dataset.sig === messageSig(m)) continue;
      const li = buildMessage(m);
      if (have) {
        const focused = have.contains(document.activeElement);
        have.replaceWith(li);
        if (focused) (li.querySelector('.msg-more') || li).focus();
      } else {
        const next = room.messages.slice(i + 1).map((x) => rendered.get(x.seq)).find(Boolean);
        msgList.insertBefore(li, next || null);
        added = true;
        if (announceFrom !== null && m.seq > announceFrom && (!m.author || m.author.id !== me.id)) {
          const who = m.author ? m.author.name : 'Someone';
          reader.say(m.kind === 'announcement' ? `Announcement from ${who}: ${m.text || ''}`
            : `${who}: ${m.redacted ? 'message removed' : m.text}`);
        }
      }
      rendered.set(m.seq, li);
    }
    emptyNote.hidden = room.messages.length > 0 || room.pending.size > 0;
    morph(pendingList, [...room.pending.values()], {
      key: (p) => p.client_id,
      sig: (p) => `${p.status}|${room.joined}|${p.error ? p.error.code : ''}`,
      build: buildPending,
    });
    if (added || room.pending.size) {
      if (nearBottom) scroller.scrollTop = scroller.scrollHeight;
    }
  }

  function buildPending(p) {
    let status;
    if (p.status === 'failed') status = `Not sent: ${p.error ? p.error.message : 'please try again.'}`;
    else if (p.status === 'stored') status = 'Sent.';
    else if (!room.joined) status = 'Waiting for the connection; it will be sent then.';
    else status = p.status === 'waiting' ? 'Waiting a moment before sending…' : 'Sending…';
    const li = h('li', { class: ['msg', 'msg-mine', 'msg-pending', p.status === 'failed' && 'msg-failed'] },
      avatar({ id: me.id, name: me.display_name }),
      h('div', { class: 'msg-body' },
        h('p', { class: 'msg-meta' }, h('span', { class: 'msg-author' }, `${me.display_name} (you)`),
          ' ', h('span', { class: 'msg-status' }, status)),
        h('p', { class: 'msg-text' }, p.text),
        p.status === 'failed' ? h('div', { class: 'actions actions-tight' },
          h('button', { type: 'button', class: 'btn btn-small', 'data-focus-key': 'retry',
            on: { click: () => room.retry(p.client_id) } }, 'Try again'),
          h('button', { type: 'button', class: 'btn btn-small btn-quiet',
            on: { click: () => { room.discard(p.client_id); textarea.focus(); } } }, 'Discard'))
          : null));
    return li;
  }

  function messageOptions(m) {
    const author = m.author || { id: 0, name: 'Someone' };
    const buttons = [];
    let dlg = null;
    const act = (label, fn, danger) => h('button', {
      type: 'button', class: ['btn', danger ? 'btn-danger' : 'btn-quiet'],
      on: { click: () => { dlg.close(); fn(); } },
    }, label);
    const content = [h('blockquote', { class: 'quote-box' },
      h('p', { class: 'quote-label' }, `${author.name}, ${fmtTime(m.ts)}`),
      h('p', { class: 'pre-line' }, m.redacted ? 'This message was removed.' : m.text))];
    if (isFacilitator()) {
      if (!m.highlighted && !m.redacted) {
        buttons.push(act('Mark as a common thread', () => mod({ action: 'highlight', seq: m.seq },
          'The message is marked as a common thread.')));
      }
      if (!m.redacted) {
        content.push(h('p', { class: 'note' }, 'Removing a message hides its words from everyone ' +
          'now and in the transcript, which keeps “[removed by facilitator]” in its place.'));
        buttons.push(act('Remove the message for everyone', () => mod({ action: 'redact', seq: m.seq },
          'The message has been removed.'), true));
      }
    }
    if (author.id !== me.id && !m.redacted) {
      buttons.push(act('Report this message', () => reportDialog({ about: 'live_message',
        session: id, seq: m.seq }, 'this message')));
    }
    buttons.push(h('button', { type: 'button', class: 'btn btn-quiet',
      on: { click: () => dlg.close() } }, 'Cancel'));
    dlg = openDialog({ title: 'Message options', content: [...content,
      h('div', { class: 'actions actions-stack' }, ...buttons)] });
  }

  // ---- people ----
  function renderPeople() {
    const list = [...room.members.values()].sort((a, b) =>
      (facilitatorIds.has(b.id) - facilitatorIds.has(a.id)) || String(a.name).localeCompare(b.name));
    setText(peopleHeading, `Who is here (${list.length})`);
    const fac = isFacilitator();
    morph(peopleList, list, {
      key: (p) => p.id,
      sig: (p) => [p.name, p.state, fac, mutedUsers.has(p.id), turns.get(p.id) ?? '',
        JSON.stringify(scores.get(p.id) || {})].join('|'),
      build: (p) => buildPerson(p, fac),
    });
    const typing = room.typingNow().filter((t) => t.id !== me.id).map((t) => t.name);
    setText(typingLine, typing.length === 0 ? ''
      : typing.length === 1 ? `${typing[0]} is typing…`
        : typing.length === 2 ? `${typing[0]} and ${typing[1]} are typing…`
          : 'Several people are typing…');
  }

  function buildPerson(p, fac) {
    const isFac = facilitatorIds.has(p.id) || p.role === 'facilitator';
    const li = h('li', { class: ['here', `here-${p.state || 'present'}`] },
      avatar(p),
      h('div', { class: 'here-body' },
        h('p', { class: 'here-name' }, p.id === me.id ? `${p.name} (you)` : p.name,
          isFac ? [' ', badge('Facilitator')] : null,
          mutedUsers.has(p.id) ? [' ', badge('Muted', 'wait')] : null),
        h('p', { class: 'here-state' }, STATE_WORDS[p.state] || 'here'),
        fac && !isFac ? h('p', { class: 'here-facts' },
          plural(turns.get(p.id) || 0, 'message'),
          scores.get(p.id) ? ` · check-in ${scoreText(scores.get(p.id))}` : '') : null,
        fac && !isFac && p.id !== me.id ? h('div', { class: 'actions actions-tight' },
          h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-focus-key': 'mute',
            on: { click: () => mod({ action: mutedUsers.has(p.id) ? 'unmute' : 'mute', user: p.id }) } },
          mutedUsers.has(p.id) ? 'Unmute' : 'Mute', h('span', { class: 'visually-hidden' }, ` ${p.name}`)),
          h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-focus-key': 'remove',
            on: { click: () => removePerson(p) } },
          'Remove', h('span', { class: 'visually-hidden' }, ` ${p.name} from the session`)))
          : null));
    return li;
  }

  function scoreText(s) {
    if (s.join !== undefined && s.close !== undefined) return `${s.join} → ${s.close}`;
    return s.join !== undefined ? `${s.join} on arrival` : `${s.close} at the close`;
  }

  async function removePerson(p) {
    if (await confirmDialog({
      title: `Remove ${p.name} from the session?`,
      text: 'They leave the room at once and cannot come back into this session. They stay ' +
        'a member of the group.',
      confirm: 'Remove from the session', danger: true,
    })) mod({ action: 'remove', user: p.id });
  }

  // ---- facilitator tools ----
  const toolsStatus = h('p', { class: 'tools-status', role: 'status' });
  const alertList = h('ul', { class: 'alert-list' });
  function buildTools() {
    const announceText = h('textarea', { id: 'announce-text', rows: '2' });
    const announceForm = h('form', { class: 'tool', novalidate: true, 'aria-label': 'Post an announcement' },
      h('label', { for: 'announce-text' }, 'Announcement to everyone'),
      announceText,
      h('div', { class: 'actions actions-tight' },
        h('button', { type: 'submit', class: 'btn btn-small' }, 'Post announcement')));
    announceForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = announceText.value.replace(CONTROLS, '').trim();
      if (!text) {
        toolMessage('Please write the announcement first.');
        announceText.focus();
        return;
      }
      if (codePoints(text) > TEXT_MAX) {
        toolMessage(`An announcement can be up to ${TEXT_MAX} characters.`);
        return;
      }
      mod({ action: 'announce', text });
      announceText.value = '';
    });
    const minutes = h('select', { id: 'extend-minutes' },
      ...[5, 10, 15].map((n) => h('option', { value: String(n) }, `${n} minutes`)));
    const extend = h('div', { class: 'tool' },
      h('label', { for: 'extend-minutes' }, 'Give the session more time'),
      h('div', { class: 'actions actions-tight' }, minutes,
        h('button', { type: 'button', class: 'btn btn-small btn-quiet',
          on: { click: () => mod({ action: 'extend', minutes: Number(minutes.value) },
            `The session has been extended by ${minutes.value} minutes.`) } }, 'Extend')),
      h('p', { class: 'hint' }, 'Up to 15 minutes in all.'));
    const pause = h('button', { type: 'button', class: 'btn btn-small btn-quiet', id: 'pause-btn',
      on: { click: () => mod({ action: room.paused ? 'resume_room' : 'pause' }) } }, 'Pause the conversation');
    const end = h('button', { type: 'button', class: 'btn btn-small btn-danger',
      on: { click: endSession } }, 'End the session…');
    replace(tools,
      h('h2', { id: 'room-tools-h' }, 'Facilitator tools'),
      toolsStatus,
      h('h3', null, 'Alerts'),
      alertList,
      announceForm,
      extend,
      h('div', { class: 'tool' }, h('div', { class: 'actions actions-tight' }, pause, end)));
    tools.hidden = false;
    renderAlerts();
  }

  function renderAlerts() {
    if (!isFacilitator()) return;
    const pause = tools.querySelector('#pause-btn');
    if (pause) setText(pause, room.paused ? 'Resume the conversation' : 'Pause the conversation');
    morph(alertList, alerts.length ? alerts : [null], {
      key: (a) => (a ? `${a.kind}-${a.seq || ''}-${a.user ? a.user.id : ''}-${a.at}` : 'none'),
      build: (a) => (a ? h('li', { class: 'alert-item' },
        h('p', null, badge(a.kind === 'crisis' ? 'Crisis phrase' : 'Check-in drop', 'danger'), ' ',
          a.kind === 'crisis' ? `${a.user ? a.user.name : 'Someone'} wrote:`
            : `${a.user ? a.user.name : 'Someone'}’s check-in score fell sharply.`),
        a.text ? h('p', { class: 'pre-line alert-text' }, a.text) : null,
        a.seq ? h('p', null, h('a', { href: `#msg-${a.seq}`, 'data-native': '',
          on: { click: (ev) => { ev.preventDefault(); showMessage(a.seq); } } }, 'Show the message'))
          : null,
        a.kind === 'crisis' ? h('p', { class: 'note' }, 'They have been shown the crisis resources card.')
          : null)
        : h('li', { class: 'note' }, 'No alerts in this session.')),
    });
  }

  function showMessage(seq) {
    const li = rendered.get(seq);
    if (!li) return;
    li.scrollIntoView({ block: 'center' });
    li.focus();
  }

  function toolMessage(text) {
    setText(toolsStatus, '');
    clearTimeout(toolsMsgTimer);
    requestAnimationFrame(() => setText(toolsStatus, text));
    toolsMsgTimer = setTimeout(() => setText(toolsStatus, ''), 10_000);
  }

  let modSeq = 0;
  const modDone = new Map(); // ref -> message when it worked
  function mod(fields, okText) {
    const ref = `mod-${++modSeq}`;
    if (!socket.send({ type: 'mod', session: id, ref, ...fields })) {
      toolMessage('Not connected just now. Please try again in a moment.');
      return;
    }
    if (okText) modDone.set(ref, okText);
  }

  async function endSession() {
    if (await confirmDialog({
      title: 'End the session now?',
      text: 'Everyone leaves the room, nothing more can be written, and the transcript is ' +
        'sealed. This cannot be undone.',
      confirm: 'End the session', danger: true,
    })) mod({ action: 'end' });
  }

  // ---- check-in ----
  function renderCheckin() {
    if (!checkinPhase || isFacilitator()) {
      replace(checkinBox);
      return;
    }
    const phase = checkinPhase;
    const radios = [];
    const scale = h('div', { class: 'scale' }, ...Array.from({ length: 11 }, (_, n) => {
      const rid = `checkin-${phase}-${n}`;
      const input = h('input', { type: 'radio', name: `checkin-${phase}`, id: rid, value: String(n) });
      radios.push(input);
      return h('span', { class: 'scale-item' }, input, h('label', { for: rid }, String(n)));
    }));
    const form = h('form', { class: 'checkin card', novalidate: true },
      h('fieldset', { class: 'fieldset' },
        h('legend', null, phase === 'join' ? 'Before we start: how are you feeling right now?'
          : 'As we close: how are you feeling right now?'),
        h('p', { class: 'hint', id: `checkin-hint-${phase}` }, '0 is very low, 10 is very well. ' +
          'Only your facilitators see your answer.'),
        scale),
      h('div', { class: 'actions actions-tight' },
        h('button', { type: 'submit', class: 'btn btn-small' }, 'Send'),
        h('button', { type: 'button', class: 'btn btn-small btn-quiet',
          on: { click: () => {
            checkinDone.add(phase);
            checkinPhase = null;
            renderCheckin();
            textarea.focus();
          } } }, 'Not now')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const chosen = radios.find((r) => r.checked);
      if (!chosen) {
        radios[0].focus();
        return;
      }
      socket.send({ type: 'checkin', session: id, phase, score: Number(chosen.value), ref: `chk-${phase}` });
      checkinDone.add(phase);
      checkinPhase = null;
      replace(checkinBox, h('p', { class: 'note', role: 'status' }, 'Thank you. Your facilitators have your answer.'));
    });
    replace(checkinBox, form);
  }

  // ---- crisis resources ----
  function renderCrisis() {
    if (!crisisText) {
      replace(crisisBox);
      return;
    }
    const close = h('button', { type: 'button', class: 'btn btn-small btn-quiet',
      on: { click: () => { crisisText = null; renderCrisis(); textarea.focus(); } } }, 'Close this card');
    replace(crisisBox, h('section', { class: 'crisis-card', 'aria-labelledby': 'crisis-card-h' },
      h('h2', { id: 'crisis-card-h' }, 'You do not have to face this alone'),
      h('p', { class: 'pre-line' }, crisisText),
      h('p', null, h('a', { href: '/crisis', target: '_blank' }, 'See all the helplines'),
        ' (opens in a new tab, so you stay in the room). Your facilitator has been told, and will ',
        'be in touch.'),
      h('div', { class: 'actions actions-tight' }, close)));
  }

  // ---- the composer ----
  function updateCounter() {
    const n = codePoints(textarea.value);
    setText(counter, `${n} of ${TEXT_MAX} characters`);
    counter.classList.toggle('counter-over', n > TEXT_MAX);
    counter.classList.toggle('counter-near', n > TEXT_MAX - 200 && n <= TEXT_MAX);
  }
  let typingIdle = null;
  textarea.addEventListener('input', () => {
    updateCounter();
    setText(composerMsg, '');
    if (textarea.value.trim()) room.setTyping(true);
    clearTimeout(typingIdle);
    typingIdle = setTimeout(() => room.setTyping(false), 5000);
  });
  textarea.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.ctrlKey && !ev.altKey && !ev.metaKey &&
        !ev.isComposing) {
      ev.preventDefault();
      composer.requestSubmit();
    }
  });
  composer.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (textarea.disabled) return;
    const text = textarea.value.replace(CONTROLS, '');
    if (!text.trim()) {
      setText(composerMsg, 'There is nothing to send yet.');
      textarea.focus();
      return;
    }
    if (codePoints(text) > TEXT_MAX) {
      setText(composerMsg, `Messages can be up to ${TEXT_MAX} characters. Please shorten it a ` +
        'little, or send it in parts.');
      textarea.focus();
      return;
    }
    clearTimeout(typingIdle);
    room.say(text);
    textarea.value = '';
    updateCounter();
    textarea.focus();
    scroller.scrollTop = scroller.scrollHeight;
  });

  // ---- wiring ----
  function update() {
    showWhen();
    updateState();
    renderMessages();
    renderPeople();
    if (isFacilitator() && tools.hidden) buildTools();
    renderAlerts();
  }

  cleanups.push(room.on('change', update));
  cleanups.push(room.on('crisis', (f) => {
    crisisText = f.text;
    renderCrisis();
  }));
  cleanups.push(room.on('notice', (f) => {
    if (f.session !== undefined && f.session !== id) return;
    switch (f.type) {
      case 'checkin_prompt':
        // asked again after a reconnect: once answered or put aside, not again here
        if (g.checkins_enabled !== false && !checkinDone.has(f.phase)) {
          checkinPhase = f.phase;
          renderCheckin();
        }
        break;
      case 'alert':
        if (!isFacilitator()) return;
        alerts.unshift({ ...f, at: serverNow() });
        renderAlerts();
        reader.say(`Alert: ${f.kind === 'crisis' ? 'a crisis phrase' : 'a check-in dropped'} ` +
          `from ${f.user ? f.user.name : 'someone'}.`);
        break;
      case 'turns':
        for (const t of f.counts || []) turns.set(t.user, t.n);
        renderPeople();
        break;
      case 'checkin_score':
        scores.set(f.user, { ...(scores.get(f.user) || {}), [f.phase]: f.score });
        renderPeople();
        break;
      case 'moderation': {
        const who = f.user ? f.user.name : 'Someone';
        if (f.action === 'mute') mutedUsers.add(f.user.id);
        if (f.action === 'unmute') mutedUsers.delete(f.user.id);
        if (f.user && f.user.id !== me.id && isFacilitator()) {
          toolMessage(f.action === 'mute' ? `${who} is muted.` : f.action === 'unmute'
            ? `${who} can write again.` : `${who} has been removed from the session.`);
        }
        renderPeople();
        updateState();
        break;
      }
      default:
    }
  }));
  // refusals of our own frames that room.js does not hold (mod, checkin)
  cleanups.push(socket.on('frame', (f) => {
    if (f.type === 'joined' && f.session === id && announceFrom === null) announceFrom = f.last_seq;
    if (f.type === 'error' && f.ref && /^mod-/.test(f.ref)) {
      modDone.delete(f.ref);
      toolMessage(f.message);
    }
    if (f.type === 'session_state' && f.session === id && modDone.size) {
      for (const [ref, text] of modDone) {
        if (/extended/.test(text)) { toolMessage(text); modDone.delete(ref); }
      }
    }
    if ((f.type === 'redacted' || f.type === 'highlight') && f.session === id && modDone.size) {
      for (const [ref, text] of modDone) {
        if (f.type === 'redacted' ? /removed/.test(text) : /common thread/.test(text)) {
          toolMessage(text);
          modDone.delete(ref);
          break;
        }
      }
    }
  }));
  cleanups.push(every(1000, () => {
    renderPeople(); // lapsed typing
    if (room.refusal && room.refusal.code === 'session_not_open') {
      updateState();
      if (serverNow() >= info.starts_at - 10 * 60_000) room.join();
    }
  }));
  cleanups.push(every(30_000, () => {
    if (room.refusal && ['session_not_open', 'session_full'].includes(room.refusal.code)) room.join();
  }));

  room.start();
  update();

  return {
    title: `${g.name}: live session`,
    node: root,
    destroy() {
      room.setTyping(false);
      room.stop();
      clearTimeout(typingIdle);
      clearTimeout(toolsMsgTimer);
      for (const off of cleanups) off();
    },
  };
}

