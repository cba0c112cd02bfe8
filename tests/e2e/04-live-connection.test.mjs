// 04-live-connection — the client side of protocol/PROTOCOL.md (live/socket.js
// and live/room.js) in the browser, against a scripted /ws (Playwright's
// routeWebSocket plays the server): join then resume, messages shown only
// once stored and in seq order with no duplicates, pending messages re-sent
// unchanged after a reconnect, refusals, keep-alive, and the close codes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, withPage, withBrowserAndServer,
} from './helper.mjs';

const WELCOME = { type: 'welcome', user: { id: 5, name: 'Maya', role: 'member' }, server_time: 1, version: '0.1.0', protocol: 'hearth.v1' };
const JOINED = {
  type: 'joined', session: 7, group: 3, state: 'open', ends_at: null, last_seq: 2,
  you: { id: 5, role: 'member' },
  members: [{ id: 5, name: 'Maya', role: 'member', state: 'present' }, { id: 9, name: 'Dr Okafor', role: 'facilitator', state: 'present' }],
};
const msg = (seq, over = {}) => ({ type: 'msg', session: 7, seq, author: { id: 9, name: 'Dr Okafor' }, text: `message ${seq}`, ts: 1000 + seq, kind: 'message', ...over });

async function until(what, fn, timeout = 10_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A scripted /ws: records every connection and what each received. */
async function fakeServer(page, onConnect = (c) => c.send(WELCOME)) {
  const conns = [];
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const c = {
      ws, got: [], closed: null,
      send: (frame) => ws.send(JSON.stringify(frame)),
      /** the next frame of this type the client sends (waits for it) */
      next: (type) => until(`a ${type} frame`, () => {
        const i = c.got.findIndex((f) => f.type === type && !f.seen);
        if (i < 0) return null;
        c.got[i].seen = true;
        return c.got[i];
      }),
    };
    ws.onMessage((m) => c.got.push(JSON.parse(m)));
    ws.onClose((code) => { c.closed = code ?? true; });
    conns.push(c);
    onConnect(c);
  });
  return conns;
}

/** Load the modules into the page and start a socket + room for session 7. */
async function startRoom(page, opts = {}) {
  await page.goto('/crisis');
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.evaluate(async ({ retryMs }) => {
    const { LiveSocket } = await import('/live/socket.js');
    const { Room } = await import('/live/room.js');
    window.fakeNow = Date.now();
    window.statuses = [];
    window.protocols = [];
    let n = 0;
    class SpyWebSocket extends WebSocket {
      constructor(url, protocols) {
        super(url, protocols);
        window.protocols.push(protocols);
      }
    }
    const socket = new LiveSocket({ WebSocket: SpyWebSocket, random: () => 0, now: () => window.fakeNow });
    socket.on('status', (s) => window.statuses.push(s));
    const room = new Room(socket, 7, { newId: () => `c${++n}`, retryMs, now: () => window.fakeNow });
    window.refusals = [];
    room.on('refused', (f) => window.refusals.push(f.code));
    window.crisis = [];
    room.on('crisis', (f) => window.crisis.push(f.text));
    room.start();
    socket.start();
    window.socket = socket;
    window.room = room;
  }, { retryMs: opts.retryMs ?? 100 });
}

const view = (page) => page.evaluate(() => ({
  joined: room.joined,
  seqs: room.messages.map((m) => m.seq),
  texts: room.messages.map((m) => m.text),
  pending: [...room.pending.values()].map((p) => ({ id: p.client_id, status: p.status, code: p.error?.code })),
  members: [...room.members.keys()],
  status: socket.status,
}));

describe('live connection (scripted server)', { skip: SKIP }, () => {
  let srv;
  let browser;
  withBrowserAndServer({}, (s, b) => { srv = s; browser = b; });

  test('join, resume from 0, messages in seq order once, say → stored', async (t) => {
    await withPage(t, browser, srv, async ({ page }) => {
      const conns = await fakeServer(page);
      await startRoom(page);
      const c = await until('a connection', () => conns[0]);
      assert.deepEqual(await page.evaluate(() => window.protocols), ['hearth.v1']);
      const join = await c.next('join');
      assert.equal(join.session, 7);
      c.send(JOINED);
      const resume = await c.next('resume');
      assert.deepEqual({ ...resume, seen: undefined }, { type: 'resume', session: 7, since_seq: 0, seen: undefined });
      c.send(msg(2));
      c.send(msg(1));
      c.send(msg(2, { text: 'a second copy' }));
      c.send({ type: 'msg', session: 8, seq: 3, author: { id: 1, name: 'x' }, text: 'another room', ts: 1, kind: 'message' });
      await until('two messages', async () => (await view(page)).seqs.length === 2);
      let v = await view(page);
      assert.deepEqual(v.seqs, [1, 2]);
      assert.deepEqual(v.texts, ['message 1', 'message 2']);
      assert.deepEqual(v.members, [5, 9]);

      // a message is pending until the server has it
      await page.evaluate(() => room.say('Thank you all.\nIt helps.'));
      const say = await c.next('say');
      assert.equal(say.client_id, 'c1');
      assert.equal(say.ref, 'c1');
      assert.equal(say.text, 'Thank you all.\nIt helps.');
      v = await view(page);
      assert.deepEqual(v.pending, [{ id: 'c1', status: 'sending', code: undefined }]);
      c.send({ type: 'ack', client_id: 'c1', seq: 3, session: 7 });
      await until('stored', async () => (await view(page)).pending[0]?.status === 'stored');
      c.send(msg(3, { author: { id: 5, name: 'Maya' }, text: 'Thank you all.\nIt helps.', client_id: 'c1' }));
      await until('msg 3', async () => (await view(page)).seqs.length === 3);
      v = await view(page);
      assert.deepEqual(v.pending, []);
      assert.deepEqual(v.seqs, [1, 2, 3]);

      // redaction and highlight change the message held, not the order
      c.send({ type: 'redacted', session: 7, seq: 2 });
      c.send({ type: 'highlight', session: 7, seq: 1 });
      await until('redacted', () => page.evaluate(() => room.bySeq.get(2).redacted && room.bySeq.get(1).highlighted));
      assert.equal(await page.evaluate(() => room.bySeq.get(2).text), null);

      // presence and typing
      c.send({ type: 'presence', session: 7, user: { id: 12, name: 'Sam' }, state: 'present' });
      c.send({ type: 'typing', session: 7, user: { id: 12, name: 'Sam' }, on: true });
      await until('Sam typing', () => page.evaluate(() => room.typingNow().some((x) => x.name === 'Sam')));
      await page.evaluate(() => { window.fakeNow += 10_001; });
      assert.equal(await page.evaluate(() => room.typingNow().length), 0, 'typing lapses after 10 s');
      c.send({ type: 'presence', session: 7, user: { id: 12, name: 'Sam' }, state: 'left' });
      await until('Sam left', async () => !(await view(page)).members.includes(12));

      // crisis resources reach the room's listeners
      c.send({ type: 'crisis_resources', text: 'You do not have to face this alone.' });
      await until('crisis card', () => page.evaluate(() => window.crisis.length === 1));
    });
  });

  test('refusals: busy ones are re-sent unchanged, others are shown', async (t) => {
    await withPage(t, browser, srv, async ({ page }) => {
      const conns = await fakeServer(page);
      await startRoom(page, { retryMs: 150 });
      const c = await until('a connection', () => conns[0]);
      await c.next('join');
      c.send(JOINED);
      await c.next('resume');
      await page.evaluate(() => room.say('first'));
      const s1 = await c.next('say');
      c.send({ type: 'error', code: 'rate_limited', message: 'You are sending messages very quickly.', ref: s1.ref });
      await until('waiting', async () => (await view(page)).pending[0]?.status === 'waiting');
      const again = await c.next('say');
      assert.equal(again.client_id, s1.client_id, 'the same client_id');
      assert.equal(again.text, 'first');

      await page.evaluate(() => room.say('x'.repeat(4001)));
      const s2 = await c.next('say');
      c.send({ type: 'error', code: 'text_too_long', message: 'Messages can be up to 4000 characters.', ref: s2.ref });
      await until('failed', async () => (await view(page)).pending.some((p) => p.status === 'failed'));
      const v = await view(page);
      assert.deepEqual(v.pending.find((p) => p.id === s2.client_id), { id: s2.client_id, status: 'failed', code: 'text_too_long' });
      assert.deepEqual(await page.evaluate(() => window.refusals), ['text_too_long']);

      // a refused join
      await page.evaluate(() => room.join());
      const j = await c.next('join');
      c.send({ type: 'error', code: 'session_not_open', message: 'This session has not opened yet.', ref: j.ref });
      await until('refusal', () => page.evaluate(() => room.refusal?.code === 'session_not_open'));
      assert.equal((await view(page)).joined, false);
    });
  });

  test('after a dropped connection: back off, rejoin, resume from the last seq, re-send', async (t) => {
    await withPage(t, browser, srv, async ({ page }) => {
      const conns = await fakeServer(page);
      await startRoom(page);
      const c1 = await until('a connection', () => conns[0]);
      await c1.next('join');
      c1.send(JOINED);
      await c1.next('resume');
      c1.send(msg(1));
      c1.send(msg(2));
      await until('two messages', async () => (await view(page)).seqs.length === 2);
      await page.evaluate(() => room.say('sent but never acknowledged'));
      const lost = await c1.next('say');

      await c1.ws.close({ code: 1011, reason: 'internal' });
      await until('reconnecting', async () => (await view(page)).status === 'reconnecting');
      await page.evaluate(() => room.say('written while offline'));
      const c2 = await until('a second connection', () => conns[1]);
      await c2.next('join');
      assert.equal(c2.got.filter((f) => f.type === 'say').length, 0, 'nothing is sent before joined');
      c2.send({ ...JOINED, last_seq: 3 });
      const resume = await c2.next('resume');
      assert.equal(resume.since_seq, 2);
      const r1 = await c2.next('say');
      const r2 = await c2.next('say');
      assert.deepEqual([r1.client_id, r1.text], [lost.client_id, 'sent but never acknowledged']);
      assert.deepEqual([r2.client_id, r2.text], ['c2', 'written while offline']);
      const order = c2.got.map((f) => f.type);
      assert.deepEqual(order.slice(0, 4), ['join', 'resume', 'say', 'say']);

      // the server had stored the first before the drop: replayed, then acked again
      c2.send(msg(3, { author: { id: 5, name: 'Maya' }, text: 'sent but never acknowledged', client_id: lost.client_id }));
      c2.send({ type: 'ack', client_id: lost.client_id, seq: 3, session: 7 });
      c2.send({ type: 'ack', client_id: 'c2', seq: 4, session: 7 });
      c2.send(msg(4, { author: { id: 5, name: 'Maya' }, text: 'written while offline', client_id: 'c2' }));
      await until('all stored', async () => (await view(page)).seqs.length === 4);
      const v = await view(page);
      assert.deepEqual(v.seqs, [1, 2, 3, 4]);
      assert.deepEqual(v.pending, []);
      const statuses = await page.evaluate(() => window.statuses);
      assert.deepEqual(statuses, ['connecting', 'open', 'reconnecting', 'open']);
    });
  });

  test('keep-alive: ping after 25 s of quiet, reconnect when no pong comes', async (t) => {
    await withPage(t, browser, srv, async ({ page }) => {
      const conns = await fakeServer(page);
      await startRoom(page);
      const c1 = await until('a connection', () => conns[0]);
      await c1.next('join');
      await page.evaluate(() => { window.fakeNow += 25_000; });
      await c1.next('ping');
      c1.send({ type: 'pong' });
      await page.evaluate(() => { window.fakeNow += 25_000; });
      await c1.next('ping');
      await page.evaluate(() => { window.fakeNow += 10_000; }); // no pong this time
      await until('a new connection', () => conns[1]);
      await conns[1].next('join');
    });
  });

  test('close 4001 means signed out (no reconnect); 4002 reconnects at once', async (t) => {
    await withPage(t, browser, srv, async ({ page }) => {
      const conns = await fakeServer(page);
      await startRoom(page);
      const c1 = await until('a connection', () => conns[0]);
      await c1.next('join');
      await c1.ws.close({ code: 4002, reason: 'rights changed' });
      const c2 = await until('a second connection', () => conns[1]);
      await c2.next('join');
      await c2.ws.close({ code: 4001, reason: 'signed out' });
      await until('signed out', async () => (await view(page)).status === 'signed_out');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(conns.length, 2, 'no further connection');
    });
  });

  test('a refused upgrade while signed out is reported as signed out', async (t) => {
    await withPage(t, browser, srv, async ({ page }) => {
      // no scripted server: the real one refuses the upgrade (no log-in)
      await startRoom(page);
      await until('signed out', async () => (await view(page)).status === 'signed_out');
    }, { ignoreConsole: [/WebSocket connection to .* failed/] });
  });
});
