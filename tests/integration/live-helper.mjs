// live-helper.mjs — WebSocket clients and group set-up for the live-session tests.
import WebSocket from 'ws';
import { api, cliUser, signUp, sql } from './helper.mjs';
import path from 'node:path';

/**
 * Open /ws as the holder of `cookie`. Resolves once `welcome` arrived.
 * Every frame is kept in order; next(type, pred) waits for the first frame
 * after the reading position that matches. opts: {origin, protocols, headers, ws: options for `ws`}.
 */
export function connect(srv, cookie, opts = {}) {
  const headers = { ...opts.headers };
  if (cookie) headers.cookie = cookie;
  if (opts.origin !== null) headers.origin = opts.origin ?? srv.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws`, opts.protocols ?? 'hearth.v1', { headers, ...opts.ws });
  const client = {
    ws, frames: [], pos: {}, waiters: [], closed: null,
    send(obj) { ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); },
    /** Wait for the next frame of `type` (after the last one of that type returned) matching pred. */
    next(type, pred = () => true, ms = 20000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          for (let i = client.pos[type] ?? 0; i < client.frames.length; i++) {
            const f = client.frames[i];
            if (f.type === type && pred(f)) { client.pos[type] = i + 1; return f; }
          }
          return undefined;
        };
        const found = look();
        if (found) return resolve(found);
        const timer = setTimeout(() => {
          client.waiters = client.waiters.filter((w) => w !== waiter);
          reject(new Error(`no ${type} frame within ${ms} ms; got ${JSON.stringify(client.frames.slice(-8))}`));
        }, ms);
        const waiter = () => { const f = look(); if (f) { clearTimeout(timer); client.waiters = client.waiters.filter((w) => w !== waiter); resolve(f); } };
        client.waiters.push(waiter);
      });
    },
    /** All frames of a type received so far. */
    all(type) { return client.frames.filter((f) => f.type === type); },
    close() { ws.close(); return client.closedP; },
  };
  client.closedP = new Promise((resolve) => ws.on('close', (code, reason) => { client.closed = { code, reason: String(reason) }; resolve(client.closed); }));
  ws.on('message', (data) => {
    client.frames.push(JSON.parse(String(data)));
    for (const w of [...client.waiters]) w();
  });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => reject(new Error(`upgrade refused ${res.statusCode}`)));
    ws.once('close', (code) => reject(new Error(`closed ${code} before welcome`)));
    client.next('welcome').then(() => resolve(client), reject);
  });
}

/** Resolves to 'refused' when the upgrade fails, or to the first frame if it opens. */
export function tryConnect(srv, cookie, opts = {}) {
  return connect(srv, cookie, opts).then((c) => { c.ws.terminate(); return 'opened'; }, () => 'refused');
}

/** Join a session and wait for `joined`; returns it. */
export async function join(c, session) {
  c.send({ type: 'join', session });
  return c.next('joined', (f) => f.session === session);
}

let groupSeq = 0;
/**
 * A group with a facilitator and `members` approved members, through the real
 * API (manager creates, members apply, facilitator approves). Returns
 * {group, manager, facilitator, members: [{user, cookie, creds}]}.
 */
export async function makeGroup(srv, { members = 2, capacity = 8, category = 'patient', checkins = false, slot = {} } = {}) {
  const manager = await cliUser(srv, 'manager');
  const facilitator = await cliUser(srv, 'facilitator');
  groupSeq += 1;
  const body = {
    name: `Tuesday evening group ${groupSeq}`, category, description: 'A test group.',
    capacity, facilitators: [facilitator.user.id], timezone: 'Europe/London',
    weekday: 2, start_time: '19:00', cycle_start: '2026-01-06', cycle_weeks: 12,
    checkins_enabled: checkins, ...slot,
  };
  const g = await api(srv, '/api/v1/groups', { cookie: manager.cookie, body });
  if (g.status !== 201) throw new Error(`create group: ${g.status} ${g.text}`);
  const group = g.json;
  const list = [];
  for (let i = 0; i < members; i++) list.push(await addMember(srv, group, facilitator));
  return { group, manager, facilitator, members: list };
}

/** Sign up a new member, apply to the group, and have the facilitator approve. */
export async function addMember(srv, group, facilitator) {
  const m = await signUp(srv);
  const app = await api(srv, `/api/v1/groups/${group.id}/applications`, {
    cookie: m.cookie,
    body: { answers: (group.screening_questions || []).map(() => 'An answer.'), age_band: '45-54', gp: { name: 'Dr Test', practice: 'Test Surgery', phone: '020 7946 0000' } },
  });
  if (app.status !== 201) throw new Error(`apply: ${app.status} ${app.text}`);
  const dec = await api(srv, `/api/v1/applications/${app.json.id}/decision`, { cookie: facilitator.cookie, body: { decision: 'approve' } });
  if (dec.status !== 200) throw new Error(`approve: ${dec.status} ${dec.text}`);
  return m;
}

/** The facilitator opens an ad-hoc session now; returns its id. */
export async function openSession(srv, group, facilitator, minutes = 60) {
  const r = await api(srv, `/api/v1/groups/${group.id}/sessions`, { cookie: facilitator.cookie, body: { duration_min: minutes } });
  if (r.status !== 201) throw new Error(`open session: ${r.status} ${r.text}`);
  return r.json.id;
}

/** Rows of the messages table for a session: "seq|author|client_id|text". */
export function storedMessages(srv, session) {
  const out = sql(path.join(srv.dataDir, 'hearth.db'),
    `SELECT seq, author_id, client_id, coalesce(text, '<redacted>') FROM messages WHERE session_id = ${session} ORDER BY seq`);
  return out ? out.split('\n').map((l) => { const [seq, author, cid, ...t] = l.split('|'); return { seq: Number(seq), author: Number(author), client_id: cid, text: t.join('|') }; }) : [];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
