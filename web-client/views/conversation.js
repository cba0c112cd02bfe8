// views/conversation.js — one private conversation: its messages (earlier
// ones on request), new ones delivered live (`dm` frames on the shared
// socket), writing (sent over HTTP with a client_id, so a retry is stored
// once), marking read, blocking and reporting.

import { h, replace, setText } from '../dom.js';
import { api } from '../api.js';
import { liveSocket } from '../live/shared.js';
import { notFoundView, confirmDialog, announcer, note, morph } from '../ui/common.js';
import { reportDialog } from '../ui/report.js';
import { avatar } from '../ui/avatar.js';
import { fmtShort, isoOf, codePoints } from '../ui/format.js';
import { othersIn } from './messages.js';

const TEXT_MAX = 4000;
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g; // eslint-disable-line no-control-regex

function newId() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return 'd-' + [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

export default async function conversation({ params, session, navigate, announce }) {
  const cid = Number(params.id);
  const [c, page] = await Promise.all([
    api.find(`/api/v1/conversations/${encodeURIComponent(params.id)}`),
    api.find(`/api/v1/conversations/${encodeURIComponent(params.id)}/messages?limit=50`),
  ]);
  if (!c || !page) return notFoundView('We cannot find that conversation');
  const me = session.user;
  const others = othersIn(c, me.id);
  const names = others.map((p) => p.name).join(', ');
  const byId = new Map(page.messages.map((m) => [m.id, m]));
  let hasMore = page.has_more;
  const pending = new Map(); // client_id -> {client_id, text, status, error}
  const reader = announcer();
  const sock = liveSocket();

  const list = h('ol', { class: 'msgs dm-list', 'aria-label': 'Messages' });
  const pendingList = h('ol', { class: 'msgs msgs-pending', 'aria-label': 'Still being sent' });
  const emptyNote = h('p', { class: 'note msgs-empty' }, 'No messages yet. Say hello.');
  const moreBtn = h('button', { type: 'button', class: 'btn btn-small btn-quiet' }, 'Show earlier messages');
  const scroller = h('div', { class: 'msgs-wrap', tabindex: '0', role: 'region',
    'aria-label': `Conversation with ${names}` }, h('div', { class: 'more-slot' }, moreBtn), emptyNote,
  list, pendingList);

  function sorted() {
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }

  function msgEl(m) {
    const mine = m.author.id === me.id;
    const li = h('li', { class: ['msg', mine && 'msg-mine'], id: `dm-${m.id}` },
      avatar(m.author),
      h('div', { class: 'msg-body' },
        h('p', { class: 'msg-meta' }, h('span', { class: 'msg-author' }, mine ? `${m.author.name} (you)` : m.author.name),
          ' ', h('time', { datetime: isoOf(m.ts) }, fmtShort(m.ts))),
        h('p', { class: 'msg-text' }, m.text)));
    if (!mine) {
      li.append(h('button', { type: 'button', class: 'msg-more',
        'aria-label': `Report the message from ${m.author.name} at ${fmtShort(m.ts)}`,
        on: { click: () => reportDialog({ about: 'conversation_message', message: m.id,
          conversation: cid }, 'this message') } }, 'Report'));
    }
    return li;
  }

  function draw(scroll) {
    const near = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    morph(list, sorted(), { key: (m) => m.id, build: msgEl });
    replace(pendingList, ...[...pending.values()].map((p) => h('li', { class: ['msg', 'msg-mine', 'msg-pending', p.status === 'failed' && 'msg-failed'] },
      avatar({ id: me.id, name: me.display_name }),
      h('div', { class: 'msg-body' },
        h('p', { class: 'msg-meta' }, h('span', { class: 'msg-author' }, `${me.display_name} (you)`), ' ',
          h('span', { class: 'msg-status' }, p.status === 'failed' ? `Not sent: ${p.error}` : 'Sending…')),
        h('p', { class: 'msg-text' }, p.text),
        p.status === 'failed' ? h('div', { class: 'actions actions-tight' },
          h('button', { type: 'button', class: 'btn btn-small', on: { click: () => send(p) } }, 'Try again'),
          h('button', { type: 'button', class: 'btn btn-small btn-quiet', on: { click: () => {
            pending.delete(p.client_id);
            draw();
          } } }, 'Discard')) : null))));
    moreBtn.hidden = !hasMore;
    emptyNote.hidden = byId.size > 0 || pending.size > 0;
    if (scroll === 'bottom' || (scroll !== 'keep' && near)) scroller.scrollTop = scroller.scrollHeight;
  }

  async function markRead() {
    const last = sorted().at(-1);
    if (!last || document.hidden) return;
    try {
      await api.post(`/api/v1/conversations/${cid}/read`, { up_to: last.id });
    } catch { /* read marks are a courtesy; the next one catches up */ }
  }

  moreBtn.addEventListener('click', async () => {
    const first = sorted()[0];
    try {
      const r = await api.get(`/api/v1/conversations/${cid}/messages?limit=50&before=${first.id}`);
      const top = scroller.scrollHeight - scroller.scrollTop;
      for (const m of r.messages) byId.set(m.id, m);
      hasMore = r.has_more;
      draw('keep');
      scroller.scrollTop = scroller.scrollHeight - top;
      (hasMore ? moreBtn : scroller).focus();
    } catch (e) {
      announce(e.message, 'error');
    }
  });

  // ---- writing ----
  const textarea = h('textarea', { id: 'dm-text', rows: '3', 'aria-describedby': 'dm-hint dm-count' });
  const counter = h('p', { class: 'counter', id: 'dm-count' }, `0 of ${TEXT_MAX} characters`);
  const formMsg = h('p', { class: 'form-msg', role: 'alert' });
  const crisisBox = h('div', { role: 'alert' });
  const composer = h('form', { class: 'composer', novalidate: true, 'aria-label': 'Write a message' },
    h('label', { for: 'dm-text' }, `Message to ${names}`),
    textarea,
    h('div', { class: 'composer-foot' },
      h('p', { class: 'hint', id: 'dm-hint' }, 'Enter sends. Shift+Enter starts a new line.'),
      counter, h('button', { type: 'submit', class: 'btn' }, 'Send')),
    formMsg);
  textarea.addEventListener('input', () => {
    const n = codePoints(textarea.value);
    setText(counter, `${n} of ${TEXT_MAX} characters`);
    counter.classList.toggle('counter-over', n > TEXT_MAX);
    setText(formMsg, '');
  });
  textarea.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.ctrlKey && !ev.altKey && !ev.metaKey && !ev.isComposing) {
      ev.preventDefault();
      composer.requestSubmit();
    }
  });
  composer.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = textarea.value.replace(CONTROLS, '');
    if (!text.trim()) {
      setText(formMsg, 'There is nothing to send yet.');
      return;
    }
    if (codePoints(text) > TEXT_MAX) {
      setText(formMsg, `Messages can be up to ${TEXT_MAX} characters.`);
      return;
    }
    const p = { client_id: newId(), text, status: 'sending', error: null };
    pending.set(p.client_id, p);
    textarea.value = '';
    setText(counter, `0 of ${TEXT_MAX} characters`);
    draw('bottom');
    send(p);
    textarea.focus();
  });

  async function send(p) {
    p.status = 'sending';
    draw();
    try {
      const m = await api.post(`/api/v1/conversations/${cid}/messages`,
        { client_id: p.client_id, text: p.text });
      pending.delete(p.client_id);
      byId.set(m.id, { ...m });
      if (m.crisis_resources) showCrisis(m.crisis_resources);
      draw('bottom');
      markRead();
    } catch (e) {
      p.status = 'failed';
      p.error = e.message;
      draw();
    }
  }

  function showCrisis(text) {
    replace(crisisBox, h('section', { class: 'crisis-card', 'aria-labelledby': 'dm-crisis-h' },
      h('h2', { id: 'dm-crisis-h' }, 'You do not have to face this alone'),
      h('p', { class: 'pre-line' }, text),
      h('p', null, h('a', { href: '/crisis' }, 'See all the helplines')),
      h('button', { type: 'button', class: 'btn btn-small btn-quiet',
        on: { click: () => { replace(crisisBox); textarea.focus(); } } }, 'Close this card')));
  }

  // ---- people ----
  // facilitators and managers cannot be blocked (help must always reach a member);
  // they can still be reported
  const peopleActions = h('ul', { class: 'plain-list people-actions' }, ...others.map((p) => h('li', null,
    avatar(p), ' ', p.name, p.staff ? h('span', { class: 'note' }, ' (staff)') : null, ' ',
    p.staff ? null : [h('button', { type: 'button', class: 'btn btn-small btn-quiet', on: { click: () => block(p) } },
      'Block', h('span', { class: 'visually-hidden' }, ` ${p.name}`)), ' '],
    h('button', { type: 'button', class: 'btn btn-small btn-quiet',
      on: { click: () => reportDialog({ about: 'user', user: p.id }, p.name) } },
    'Report', h('span', { class: 'visually-hidden' }, ` ${p.name}`)))));

  async function block(p) {
    if (!(await confirmDialog({ title: `Block ${p.name}?`,
      text: [`You will no longer see what ${p.name} writes to you, and they cannot start ` +
        'conversations with you. They are not told. You stay in the same group, and you can ' +
        'unblock them from Messages at any time.'],
      confirm: `Block ${p.name}`, danger: true }))) return;
    try {
      await api.post('/api/v1/blocks', { user: p.id });
      await navigate('/messages', { notice: { text: `${p.name} is blocked.` } });
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  async function leave() {
    if (!(await confirmDialog({ title: 'Leave this conversation?', text: 'It will no longer be ' +
      'in your messages, and you will not receive what is written in it.', confirm: 'Leave',
    danger: true }))) return;
    try {
      await api.post(`/api/v1/conversations/${cid}/leave`, {});
      await navigate('/messages', { notice: { text: 'You have left the conversation.' } });
    } catch (e) {
      announce(e.message, 'error');
    }
  }

  // ---- live delivery ----
  const off = sock.on('frame', (f) => {
    if (f.type !== 'dm' || f.conversation !== cid) return;
    if (f.client_id && pending.has(f.client_id) && f.author.id === me.id) pending.delete(f.client_id);
    if (byId.has(f.id)) return;
    byId.set(f.id, { id: f.id, conversation: cid, author: f.author, text: f.text, ts: f.ts });
    draw();
    if (f.author.id !== me.id) {
      reader.say(`${f.author.name}: ${f.text}`);
      markRead();
    }
  });
  const onVisible = () => { if (!document.hidden) markRead(); };
  document.addEventListener('visibilitychange', onVisible);

  draw('bottom');
  markRead();
  setTimeout(() => { scroller.scrollTop = scroller.scrollHeight; }, 0);

  return {
    title: `Messages with ${names}`,
    node: h('section', { class: 'page conv-page' },
      h('nav', { class: 'crumbs', 'aria-label': 'You are here' }, h('ol', null,
        h('li', null, h('a', { href: '/messages' }, 'Messages')))),
      h('h1', null, `With ${names}`),
      h('p', { class: 'note' }, `In ${c.group.name}. Only the people in this conversation can read it.`),
      crisisBox,
      scroller,
      composer,
      h('details', { class: 'inline-form conv-people' }, h('summary', null, 'People, blocking and reporting'),
        peopleActions,
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn-small btn-quiet',
          on: { click: leave } }, 'Leave this conversation'))),
      note('If you are worried about someone’s safety, please tell your facilitator, or see ' +
        'the crisis resources at the top of the page.'),
      reader.el),
    destroy() {
      off();
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}
