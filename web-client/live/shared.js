// live/shared.js — the page's one connection to /ws, shared by every screen
// that needs it (the live room, conversations, the facilitators' alerts, the
// server's clock). The server caps connections per address, so a tab keeps
// one, made on first use and closed when the person signs out.
//
// Also kept here, for the life of the page: the difference between the
// server's clock and this one (from `welcome`), so countdowns and "doors
// open" follow the server; and the alerts and board alerts facilitators
// were sent while the page was open (the dashboard puts them on top of the
// history it loads from GET /api/v1/alerts).

import { LiveSocket } from './socket.js';

let socket = null;
let offset = 0; // server time - local time, ms
const alerts = []; // {frame, at}
const alertListeners = new Set();

/** The shared socket, connected (and kept connected) from the first call. */
export function liveSocket() {
  if (!socket) {
    socket = new LiveSocket();
    socket.on('welcome', (f) => {
      if (Number.isFinite(f.server_time)) offset = f.server_time - Date.now();
    });
    socket.on('frame', (f) => {
      const isAlert = f.type === 'alert' ||
        (f.type === 'notification' && f.kind === 'board_alert');
      if (!isAlert) return;
      alerts.unshift({ frame: f, at: Date.now() + offset });
      alerts.length = Math.min(alerts.length, 200);
      for (const fn of alertListeners) fn(f);
    });
    socket.start();
  }
  return socket;
}

/** Close the shared socket (signing out); the next liveSocket() makes a new one. */
export function stopLive() {
  if (socket) socket.stop();
  socket = null;
  alerts.length = 0;
}

/** The server's clock, as well as this page knows it. */
export function serverNow() {
  return Date.now() + offset;
}

/** Alerts received since the page was opened, newest first. */
export function receivedAlerts() {
  return alerts.slice();
}

/** Call fn(frame) for each new alert; returns a function that stops it. */
export function onAlert(fn) {
  alertListeners.add(fn);
  return () => alertListeners.delete(fn);
}
