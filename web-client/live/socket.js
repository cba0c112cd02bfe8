// live/socket.js — the connection to /ws (subprotocol hearth.v1), kept alive
// and re-made as protocol/PROTOCOL.md §1 and §10 ask. It knows frames, not
// rooms: live/room.js builds a session's room on top of it.
//
// Keep-alive: a `ping` after 25 s without sending anything; no `pong` within
// 10 s more means the connection is dead. Reconnecting: after close 1001,
// 1006, 1011, 4003 or a dead connection, with a randomised back-off (1 s, 2 s,
// 4 s … 30 s); 4002 (rights changed) at once. 4001 (signed out) and 1008 (a
// client bug) stop for good. A connection that fails before `welcome` may be
// a refused upgrade: then /api/v1/me tells "signed out" (401) from
// "unreachable". When the browser says it went offline, the connection is
// given up at once (it cannot carry anything, and may take minutes to
// notice); no attempt is made until the browser says it is online again.
//
// Events (on(name, fn)): 'status' (connecting, open, reconnecting, closed,
// signed_out, client_bug), 'welcome' (frame), 'frame' (every server frame).

import { api, ApiError } from '../api.js';
import { Emitter } from './emitter.js';

const PING_AFTER_MS = 25_000;
const PONG_WITHIN_MS = 10_000;
const TICK_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

function defaultUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

async function defaultSignedIn() {
  try {
    await api.get('/api/v1/me', { expect401: true });
    return true;
  } catch (e) {
    return !(e instanceof ApiError && e.status === 401);
  }
}

export class LiveSocket extends Emitter {
  /**
   * opts: {url, WebSocket (constructor), signedIn: async () => bool,
   * random: () => [0, 1), now: () => ms, events: the target of 'online' and
   * 'offline' events (window; null for none), online: () => bool} — the
   * defaults suit the browser; tests pass their own.
   */
  constructor(opts = {}) {
    super();
    this.url = opts.url || defaultUrl();
    this.WS = opts.WebSocket || globalThis.WebSocket;
    this.signedIn = opts.signedIn || defaultSignedIn;
    this.random = opts.random || Math.random;
    this.now = opts.now || (() => Date.now());
    this.ws = null;
    this.status = 'closed';
    this.welcome = null;   // the last welcome frame
    this.attempt = 0;      // reconnects since the last welcome
    this.stopped = true;
    this.timers = { retry: null, tick: null };
    this.lastSent = 0;
    this.pongDue = 0;
    this.events = opts.events !== undefined ? opts.events
      : (typeof window !== 'undefined' ? window : null);
    this.online = opts.online ||
      (() => typeof navigator === 'undefined' || navigator.onLine !== false);
    this.onOffline = () => this.wentOffline();
    this.onOnline = () => this.cameOnline();
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.emit('status', status);
  }

  /** Connect (and keep reconnecting until stop()). */
  start() {
    this.stopped = false;
    if (this.events) {
      this.events.addEventListener('offline', this.onOffline);
      this.events.addEventListener('online', this.onOnline);
    }
    this.connect();
  }

  /** Close for good (1000). */
  stop() {
    this.stopped = true;
    if (this.events) {
      this.events.removeEventListener('offline', this.onOffline);
      this.events.removeEventListener('online', this.onOnline);
    }
    this.clearTimers();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
    this.setStatus('closed');
  }

  /** True when frames can be sent now (connected and welcomed). */
  get ready() {
    return !!this.ws && this.ws.readyState === 1 && !!this.welcome && this.status === 'open';
  }

  /** Send a frame; false if not connected (the caller keeps what matters). */
  send(frame) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify(frame));
    this.lastSent = this.now();
    return true;
  }

  clearTimers() {
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.tick);
    this.timers.retry = null;
    this.timers.tick = null;
  }

  connect() {
    this.clearTimers();
    this.welcome = null;
    this.setStatus(this.attempt ? 'reconnecting' : 'connecting');
    if (!this.online()) return; // 'online' brings us back here
    let ws;
    try {
      ws = new this.WS(this.url, 'hearth.v1');
    } catch (e) {
      console.error(e);
      this.setStatus('client_bug');
      return;
    }
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.lastSent = this.now();
      this.pongDue = 0;
      this.timers.tick = setInterval(() => this.tick(), TICK_MS);
    });
    ws.addEventListener('message', (ev) => {
      if (this.ws !== ws) return;
      this.receive(ev.data);
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.closed(ev.code);
    });
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // not ours to fix; the server only sends JSON
    }
    if (!frame || typeof frame.type !== 'string') return;
    this.pongDue = 0; // anything from the server shows the line is alive
    if (frame.type === 'welcome') {
      this.welcome = frame;
      this.attempt = 0;
      this.setStatus('open');
      this.emit('welcome', frame);
    }
    if (frame.type !== 'pong') this.emit('frame', frame);
  }

  /** The browser lost its network: this connection is gone, whatever it says. */
  wentOffline() {
    if (this.stopped || !this.ws) return;
    const ws = this.ws;
    this.ws = null;
    ws.close(4000);
    this.closed(1006);
  }

  /** The network is back: try now instead of waiting out the back-off. */
  cameOnline() {
    if (this.stopped || this.ws) return;
    this.attempt = Math.max(this.attempt, 1);
    this.connect();
  }

  tick() {
    const now = this.now();
    if (this.pongDue && now >= this.pongDue) { // the line is dead
      const ws = this.ws;
      this.ws = null;
      if (ws) ws.close(4000);
      this.closed(1006);
      return;
    }
    if (!this.pongDue && now - this.lastSent >= PING_AFTER_MS) {
      if (this.send({ type: 'ping' })) this.pongDue = now + PONG_WITHIN_MS;
    }
  }

  async closed(code) {
    const welcomed = !!this.welcome;
    this.clearTimers();
    this.welcome = null;
    if (this.stopped) return;
    if (code === 4001) {
      this.stopped = true;
      this.setStatus('signed_out');
      return;
    }
    if (code === 1008) {
      this.stopped = true;
      this.setStatus('client_bug');
      return;
    }
    if (code === 1000) {
      this.stopped = true;
      this.setStatus('closed');
      return;
    }
    if (!welcomed && code === 1006 && !(await this.signedIn())) {
      this.stopped = true;
      this.setStatus('signed_out');
      return;
    }
    if (this.stopped) return;
    this.setStatus('reconnecting');
    if (code === 4002) {
      this.attempt = 1;
      this.connect();
      return;
    }
    // 1001, 1006, 1011, 4003, and any code this client does not know: try again
    const base = Math.min(BACKOFF_MAX_MS, 1000 * 2 ** this.attempt);
    this.attempt += 1;
    const delay = Math.round(base * (0.5 + this.random())); // spread out, about `base`
    this.timers.retry = setTimeout(() => this.connect(), delay);
  }
}
