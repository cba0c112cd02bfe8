// live/room.js — one live session's room, as the client holds it: who is
// here, the messages in `seq` order, what is still being sent, and the
// session's state. It speaks protocol/PROTOCOL.md over a LiveSocket; the
// live-room screen (views/session.js) draws it.
//
// The promises it keeps (PROTOCOL.md §7, §10): a message is shown as said
// only once the server has it (`msg` or `ack`); until then it is pending,
// with its client_id, and is re-sent unchanged after a reconnect (the server
// stores it once). After every (re)join it asks for what it missed with
// `resume {since_seq}`, and drops any `seq` it already holds.
//
// Events (on(name, fn)): 'change' (anything the screen shows changed),
// 'refused' (error frame for the room: join refused, or a frame of ours),
// 'crisis' (crisis_resources frame), 'notice' (checkin_prompt, moderation,
// alert, turns, checkin_score: the frame).

import { Emitter } from './emitter.js';

const TYPING_LAPSE_MS = 10_000;
const TYPING_EVERY_MS = 3_000;
const RETRY_MS = 1_500;
const RETRY_CODES = new Set(['rate_limited', 'overloaded']);

function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_')
    .replace(/=+$/, '');
}

export class Room extends Emitter {
  /** opts: {newId: () => client_id, now: () => ms, retryMs} (tests pass their own). */
  constructor(socket, sessionId, opts = {}) {
    super();
    this.socket = socket;
    this.session = sessionId;
    this.newId = opts.newId || randomId;
    this.now = opts.now || (() => Date.now());
    this.retryMs = opts.retryMs ?? RETRY_MS;
    this.joined = false;
    this.state = null;       // open | closing | closed
    this.endsAt = null;
    this.paused = false;
    this.you = null;         // {id, role}
    this.muted = false;
    this.removed = false;
    this.members = new Map(); // user id -> {id, name, role, state}
    this.messages = [];       // msg frames, increasing seq
    this.bySeq = new Map();
    // client_id -> {client_id, text, status, error, seq}; status: sending, waiting
    // (refused for now, re-sent soon), stored (acked, its msg not here yet), failed
    this.pending = new Map();
    this.typing = new Map();  // user id -> {id, name, until}
    this.refusal = null;      // the error that refused `join`, if any
    this.unsubscribe = [];
    this.typingSentAt = 0;
    this.typingOn = false;
    this.retryTimers = new Set();
  }

  /** Start following the socket, and join (now if connected, else on welcome). */
  start() {
    this.unsubscribe.push(this.socket.on('welcome', () => this.join()));
    this.unsubscribe.push(this.socket.on('frame', (f) => this.handle(f)));
    this.unsubscribe.push(this.socket.on('status', (s) => {
      if (s !== 'open') this.joined = false;
      this.emit('change', 'connection');
    }));
    if (this.socket.ready) this.join();
  }

  /** Leave the room and stop following the socket. */
  stop() {
    if (this.joined) this.socket.send({ type: 'leave', session: this.session });
    this.joined = false;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
  }

  join() {
    this.refusal = null;
    this.socket.send({ type: 'join', session: this.session, ref: `join-${this.session}` });
  }

  /** The highest seq held (0 for none). */
  get lastSeq() {
    return this.messages.length ? this.messages[this.messages.length - 1].seq : 0;
  }

  /** Say something. Returns its client_id; it stays pending until stored. */
  say(text) {
    const id = this.newId();
    this.pending.set(id, { client_id: id, text, status: 'sending', error: null });
    this.sendPending(id);
    this.setTyping(false);
    this.emit('change', 'pending');
    return id;
  }

  /** Try a failed message again, with the same client_id. */
  retry(clientId) {
    const p = this.pending.get(clientId);
    if (!p) return;
    p.status = 'sending';
    p.error = null;
    this.sendPending(clientId);
    this.emit('change', 'pending');
  }

  /** Give up on a message that was not stored. */
  discard(clientId) {
    if (this.pending.delete(clientId)) this.emit('change', 'pending');
  }

  sendPending(id) {
    const p = this.pending.get(id);
    // not joined: it goes out after the next `joined`
    if (!p || !this.joined) return;
    this.socket.send({ type: 'say', session: this.session, client_id: id, text: p.text, ref: id });
  }

  /** Tell the others we are writing (at most every 3 s) or stopped. */
  setTyping(on) {
    if (!this.joined || this.muted) return;
    const now = this.now();
    if (on && (!this.typingOn || now - this.typingSentAt >= TYPING_EVERY_MS)) {
      this.socket.send({ type: 'typing', session: this.session, on: true });
      this.typingSentAt = now;
      this.typingOn = true;
    } else if (!on && this.typingOn) {
      this.socket.send({ type: 'typing', session: this.session, on: false });
      this.typingOn = false;
    }
  }

  /** Who is typing now (lapsed ones dropped). */
  typingNow() {
    const now = this.now();
    for (const [id, t] of this.typing) if (t.until <= now) this.typing.delete(id);
    return [...this.typing.values()];
  }

  handle(f) {
    if (f.type === 'crisis_resources') {
      this.emit('crisis', f);
      return;
    }
    if (f.type === 'error') {
      this.handleError(f);
      return;
    }
    if (f.session !== this.session) return;
    switch (f.type) {
      case 'joined':
        this.joined = true;
        this.state = f.state;
        this.endsAt = f.ends_at;
        this.you = f.you;
        this.members = new Map((f.members || []).map((m) => [m.id, { ...m }]));
        this.socket.send({ type: 'resume', session: this.session, since_seq: this.lastSeq });
        for (const [id, p] of this.pending) {
          if (p.status === 'sending' || p.status === 'waiting') {
            p.status = 'sending';
            this.sendPending(id);
          }
        }
        break;
      case 'msg':
        this.addMessage(f);
        break;
      case 'ack': {
        // stored; its msg comes (or came) to this connection too, in seq order
        const p = this.pending.get(f.client_id);
        if (p && this.bySeq.has(f.seq)) this.pending.delete(f.client_id);
        else if (p) Object.assign(p, { status: 'stored', seq: f.seq, error: null });
        break;
      }
      case 'presence':
        if (f.state === 'left') this.members.delete(f.user.id);
        else {
          const m = this.members.get(f.user.id) || { id: f.user.id, role: 'member' };
          this.members.set(f.user.id, { ...m, name: f.user.name, state: f.state });
        }
        break;
      case 'typing':
        if (f.on) this.typing.set(f.user.id, { ...f.user, until: this.now() + TYPING_LAPSE_MS });
        else this.typing.delete(f.user.id);
        break;
      case 'session_state':
        this.state = f.state;
        this.endsAt = f.ends_at;
        this.paused = !!f.paused;
        if (f.state === 'closed') this.closeOut();
        break;
      case 'redacted': {
        const m = this.bySeq.get(f.seq);
        if (m) {
          m.text = null;
          m.redacted = true;
        }
        break;
      }
      case 'highlight': {
        const m = this.bySeq.get(f.seq);
        if (m) m.highlighted = true;
        break;
      }
      case 'moderation':
        if (this.you && f.user.id === this.you.id) {
          if (f.action === 'mute') this.muted = true;
          if (f.action === 'unmute') this.muted = false;
          if (f.action === 'remove') {
            this.removed = true;
            this.joined = false;
          }
        }
        this.emit('notice', f);
        break;
      default:
        this.emit('notice', f); // checkin_prompt, alert, turns, checkin_score, and new kinds
        return;
    }
    this.emit('change', f.type);
  }

  addMessage(f) {
    const held = this.bySeq.get(f.seq);
    if (held) { // replays carry the current state; never a second copy
      if (f.redacted) Object.assign(held, { text: null, redacted: true });
      if (f.highlighted) held.highlighted = true;
      return;
    }
    if (!Number.isSafeInteger(f.seq) || f.seq < 1) return;
    const m = { ...f };
    this.bySeq.set(m.seq, m);
    if (!this.messages.length || m.seq > this.lastSeq) this.messages.push(m);
    else {
      const at = this.messages.findIndex((x) => x.seq > m.seq);
      this.messages.splice(at, 0, m);
    }
    if (m.client_id) this.pending.delete(m.client_id);
    for (const [id, p] of this.pending) if (p.seq === m.seq) this.pending.delete(id);
    if (m.author) this.typing.delete(m.author.id);
  }

  handleError(f) {
    if (f.ref === `join-${this.session}`) {
      this.refusal = f;
      this.joined = false;
      this.emit('refused', f);
      this.emit('change', 'refused');
      return;
    }
    const p = f.ref && this.pending.get(f.ref);
    if (!p) {
      if (!f.ref) this.emit('notice', f); // a notice not tied to a frame
      return;
    }
    if (RETRY_CODES.has(f.code)) { // nothing was stored: the same client_id, a little later
      p.status = 'waiting';
      const t = setTimeout(() => {
        this.retryTimers.delete(t);
        if (this.pending.get(p.client_id) === p && p.status === 'waiting') {
          p.status = 'sending';
          this.sendPending(p.client_id);
        }
      }, this.retryMs);
      this.retryTimers.add(t);
    } else {
      p.status = 'failed';
      p.error = { code: f.code, message: f.message };
      this.emit('refused', f);
    }
    this.emit('change', 'pending');
  }

  closeOut() {
    this.joined = false;
    for (const p of this.pending.values()) {
      if (p.status === 'stored') continue;
      p.status = 'failed';
      p.error = { code: 'closed', message: 'This session has ended.' };
    }
  }
}
