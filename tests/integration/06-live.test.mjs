// 06-live — live sessions over /ws: admission, ordered durable messages,
// resume, idempotency, facilitator controls, crisis alerts, bad frames.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, api, signUp, advanceClock, sql, waitFor, FAST_HASH } from './helper.mjs';
import { connect, tryConnect, join, makeGroup, addMember, openSession, storedMessages, sleep } from './live-helper.mjs';

describe('admission to /ws', () => {
  let srv, member;
  before(async () => { srv = await startServer({ args: FAST_HASH }); member = await signUp(srv); });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('a valid cookie and Origin get welcome first', async () => {
    const c = await connect(srv, member.cookie);
    assert.equal(c.frames[0].type, 'welcome');
    assert.equal(c.frames[0].user.id, member.user.id);
    assert.equal(c.ws.protocol, 'hearth.v1');
    await c.close();
  });

  test('no cookie, a forged cookie, a wrong Origin or no subprotocol are refused at the upgrade', async () => {
    assert.equal(await tryConnect(srv, undefined), 'refused');
    assert.equal(await tryConnect(srv, 'hearth_session=' + 'A'.repeat(43)), 'refused');
    assert.equal(await tryConnect(srv, member.cookie, { origin: 'http://evil.example' }), 'refused');
    assert.equal(await tryConnect(srv, member.cookie, { origin: null }), 'refused');
    assert.equal(await tryConnect(srv, member.cookie, { protocols: [] }), 'refused');
    assert.equal(await tryConnect(srv, member.cookie, { protocols: 'other.v1' }), 'refused');
  });

  test('logging out closes the socket with 4001', async () => {
    const m = await signUp(srv);
    const c = await connect(srv, m.cookie);
    await api(srv, '/api/v1/logout', { method: 'POST', cookie: m.cookie });
    const closed = await c.closedP;
    assert.equal(closed.code, 4001);
    assert.equal(await tryConnect(srv, m.cookie), 'refused');
  });

  test('ping is answered with pong', async () => {
    const c = await connect(srv, member.cookie);
    c.send({ type: 'ping' });
    await c.next('pong');
    await c.close();
  });
});

describe('keep-alive', () => {
  test('a silent connection is pinged; one that never answers is hung up, one that does stays', async () => {
    // pings after 2 s of silence, hang-up after 4 s
    const srv = await startServer({ args: [...FAST_HASH, '--live-keepalive-s', '2'] });
    try {
      const member = await signUp(srv);
      const deaf = await connect(srv, member.cookie, { ws: { autoPong: false } });
      const alive = await connect(srv, member.cookie);
      const pings = { deaf: 0, alive: 0 };
      deaf.ws.on('ping', () => pings.deaf++);
      alive.ws.on('ping', () => pings.alive++);
      const closed = await deaf.closedP;
      assert.equal(closed.code, 1006, 'dropped, no close frame');
      assert.ok(pings.deaf >= 1, 'pinged before it was dropped');
      // the one that answers has been pinged as often, and is still usable
      assert.ok(pings.alive >= 1);
      assert.equal(alive.ws.readyState, alive.ws.OPEN);
      const before = pings.alive;
      await waitFor(() => pings.alive >= before + 2, 'two more rounds of pings');
      assert.ok(pings.alive >= before + 2, `pinged again: ${pings.alive - before}`);
      assert.equal(alive.ws.readyState, alive.ws.OPEN);
      alive.send({ type: 'ping' });
      await alive.next('pong');
      assert.match(srv.logs(), /ws_silent/);
      await alive.close();
    } finally {
      await srv.stop();
      srv.cleanup();
    }
  });
});

describe('a live session with nine people', () => {
  let srv, g, session, clients;
  before(async () => {
    srv = await startServer({ args: [...FAST_HASH, '--live-rate-burst', '50', '--live-rate-per-min', '6000'] });
    g = await makeGroup(srv, { members: 8 });
    session = await openSession(srv, g.group, g.facilitator);
    clients = [];
    for (const p of [g.facilitator, ...g.members]) {
      const c = await connect(srv, p.cookie);
      c.who = p;
      const joined = await join(c, session);
      assert.equal(joined.state, 'open');
      clients.push(c);
    }
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('everyone receives the same messages in the same seq order with no gaps', async () => {
    const sends = [];
    for (let round = 0; round < 3; round++) {
      for (const c of clients.slice(1)) {
        const cid = `r${round}-${c.who.user.id}`;
        c.send({ type: 'say', session, client_id: cid, text: `round ${round} from ${c.who.user.id}` });
        sends.push(cid);
      }
    }
    // every author gets an ack for each of their messages
    for (const c of clients.slice(1)) {
      for (let round = 0; round < 3; round++) await c.next('ack', (f) => f.client_id === `r${round}-${c.who.user.id}`);
    }
    const expected = sends.length;
    const seen = [];
    for (const c of clients) {
      const msgs = [];
      while (msgs.length < expected) msgs.push(await c.next('msg'));
      seen.push(msgs.map((m) => `${m.seq}:${m.client_id}:${m.text}`));
      assert.deepEqual(msgs.map((m) => m.seq), Array.from({ length: expected }, (_, i) => i + 1), 'gapless 1..n');
    }
    for (const s of seen) assert.deepEqual(s, seen[0], 'one order for everybody');
    const stored = storedMessages(srv, session);
    assert.equal(stored.length, expected);
    assert.deepEqual(stored.map((m) => `${m.seq}:${m.client_id}:${m.text}`), seen[0]);
  });

  test('presence is shown to the others when someone leaves', async () => {
    const leaver = clients[8];
    leaver.send({ type: 'leave', session });
    const p = await clients[1].next('presence', (f) => f.user.id === leaver.who.user.id && f.state === 'left');
    assert.equal(p.session, session);
    await join(leaver, session);
    await clients[1].next('presence', (f) => f.user.id === leaver.who.user.id && f.state === 'present');
  });

  test('typing is relayed to the others but not to the typist', async () => {
    const typist = clients[2];
    typist.send({ type: 'typing', session, on: true });
    const t = await clients[3].next('typing', (f) => f.user.id === typist.who.user.id);
    assert.equal(t.on, true);
    await sleep(300);
    assert.equal(typist.all('typing').filter((f) => f.user.id === typist.who.user.id).length, 0);
  });

  test('a say re-sent with the same client_id is stored once and acked with the original seq', async () => {
    const c = clients[4];
    c.send({ type: 'say', session, client_id: 'once-only', text: 'I will say this once.' });
    const a1 = await c.next('ack', (f) => f.client_id === 'once-only');
    c.send({ type: 'say', session, client_id: 'once-only', text: 'I will say this once.' });
    const a2 = await c.next('ack', (f) => f.client_id === 'once-only');
    assert.equal(a2.seq, a1.seq);
    await sleep(200);
    assert.equal(clients[5].all('msg').filter((m) => m.client_id === 'once-only').length, 1);
    assert.equal(storedMessages(srv, session).filter((m) => m.client_id === 'once-only').length, 1);
    // the same words under a new client_id within ten minutes: duplicate
    c.send({ type: 'say', session, client_id: 'twice', text: 'I will say this once.', ref: 'dup' });
    const e = await c.next('error', (f) => f.ref === 'dup');
    assert.equal(e.code, 'duplicate');
  });

  test('a crisis phrase alerts only facilitators and gives the author the resources card', async () => {
    const author = clients[3];
    author.send({ type: 'say', session, client_id: 'crisis-1', text: 'Some days I want to end my life.' });
    const alert = await clients[0].next('alert', (f) => f.kind === 'crisis');
    assert.equal(alert.user.id, author.who.user.id);
    assert.equal(alert.session, session);
    const card = await author.next('crisis_resources');
    assert.match(card.text, /116 123/);
    // delivered as normal to everyone
    await clients[6].next('msg', (f) => f.client_id === 'crisis-1');
    await sleep(200);
    for (const c of clients.slice(1)) assert.equal(c.all('alert').length, 0, 'members never see alerts');
    assert.equal(clients[6].all('crisis_resources').length, 0);
    const audit = sql(path.join(srv.dataDir, 'hearth.db'), "SELECT count(*) FROM audit_log WHERE action = 'crisis_alert'");
    assert.equal(audit, '1');
  });

  test('facilitators see turn counts; members cannot moderate', async () => {
    const turns = clients[0].all('turns').at(-1);
    assert.ok(turns.counts.some((t) => t.n >= 3));
    assert.equal(clients[1].all('turns').length, 0);
    const m = clients[1];
    m.send({ type: 'mod', session, action: 'mute', user: clients[2].who.user.id, ref: 'm1' });
    assert.equal((await m.next('error', (f) => f.ref === 'm1')).code, 'not_facilitator');
    m.send({ type: 'mod', session, action: 'end', ref: 'm2' });
    assert.equal((await m.next('error', (f) => f.ref === 'm2')).code, 'not_facilitator');
  });

  test('mute and unmute', async () => {
    const fac = clients[0], target = clients[2];
    fac.send({ type: 'mod', session, action: 'mute', user: target.who.user.id });
    await target.next('moderation', (f) => f.action === 'mute');
    target.send({ type: 'say', session, client_id: 'while-muted', text: 'can anyone hear me', ref: 'wm' });
    assert.equal((await target.next('error', (f) => f.ref === 'wm')).code, 'muted');
    fac.send({ type: 'mod', session, action: 'unmute', user: target.who.user.id });
    await target.next('moderation', (f) => f.action === 'unmute');
    target.send({ type: 'say', session, client_id: 'after-unmute', text: 'thank you' });
    await target.next('ack', (f) => f.client_id === 'after-unmute');
  });

  test('redact removes a message for everyone and in the database', async () => {
    const fac = clients[0], author = clients[5];
    author.send({ type: 'say', session, client_id: 'to-redact', text: 'my neighbour is Jane at 12 Elm Street' });
    const { seq } = await author.next('ack', (f) => f.client_id === 'to-redact');
    fac.send({ type: 'mod', session, action: 'redact', seq });
    for (const c of clients) await c.next('redacted', (f) => f.seq === seq);
    const row = storedMessages(srv, session).find((m) => m.seq === seq);
    assert.equal(row.text, '<redacted>');
    fac.send({ type: 'mod', session, action: 'redact', seq: 99999, ref: 'nr' });
    assert.equal((await fac.next('error', (f) => f.ref === 'nr')).code, 'not_found');
  });

  test('highlight and announce reach everyone', async () => {
    const fac = clients[0];
    fac.send({ type: 'mod', session, action: 'highlight', seq: 1 });
    for (const c of clients) await c.next('highlight', (f) => f.seq === 1);
    fac.send({ type: 'mod', session, action: 'announce', text: 'Ten minutes left.' });
    for (const c of clients) await c.next('msg', (f) => f.kind === 'announcement' && f.text === 'Ten minutes left.');
  });

  test('remove takes a member out and keeps them out of this session', async () => {
    const fac = clients[0], target = clients[7];
    fac.send({ type: 'mod', session, action: 'remove', user: target.who.user.id });
    await target.next('moderation', (f) => f.action === 'remove');
    await clients[1].next('presence', (f) => f.user.id === target.who.user.id && f.state === 'left');
    target.send({ type: 'say', session, client_id: 'after-remove', text: 'hello?', ref: 'ar' });
    assert.equal((await target.next('error', (f) => f.ref === 'ar')).code, 'removed');
    target.send({ type: 'join', session, ref: 'rj' });
    assert.equal((await target.next('error', (f) => f.ref === 'rj')).code, 'removed');
  });

  test('bad frames get errors while the others carry on', async () => {
    const bad = clients[6], good = clients[1];
    const cases = [['{not json', 'bad_json'], ['{"type":"fly"}', 'unknown_type'], ['{"type":"say","session":1}', 'missing_field'],
      ['{"type":"join","session":"x"}', 'bad_field'], ['{"type":"join","session":1,"extra":1}', 'unknown_field'],
      [JSON.stringify({ type: 'say', session, client_id: 'big', text: 'x'.repeat(4001) }), 'text_too_long'],
      [JSON.stringify({ type: 'say', session, client_id: 'x'.repeat(20000) }), 'frame_too_large']];
    for (const [frame, code] of cases) {
      bad.send(frame);
      const e = await bad.next('error');
      assert.equal(e.code, code, frame.slice(0, 60));
    }
    good.send({ type: 'say', session, client_id: 'still-fine', text: 'Still here.' });
    await clients[0].next('msg', (f) => f.client_id === 'still-fine');
    // twenty in a row close the connection with 1008
    for (let i = 0; i < 20; i++) bad.send('nonsense');
    const closed = await bad.closedP;
    assert.equal(closed.code, 1008);
    good.send({ type: 'say', session, client_id: 'after-garbage', text: 'And still here.' });
    await clients[0].next('msg', (f) => f.client_id === 'after-garbage');
  });

  test('end closes the session for everyone; posting stops', async () => {
    const fac = clients[0];
    fac.send({ type: 'mod', session, action: 'end' });
    for (const c of clients.slice(0, 6)) await c.next('session_state', (f) => f.state === 'closed');
    clients[1].send({ type: 'say', session, client_id: 'too-late', text: 'wait', ref: 'tl' });
    const e = await clients[1].next('error', (f) => f.ref === 'tl');
    assert.ok(['closed', 'not_joined'].includes(e.code), e.code);
    assert.equal(sql(path.join(srv.dataDir, 'hearth.db'), `SELECT state FROM sessions WHERE id = ${session}`), 'closed');
    const att = sql(path.join(srv.dataDir, 'hearth.db'), `SELECT count(*) FROM attendance WHERE session_id = ${session} AND left_at IS NULL`);
    assert.equal(att, '0', 'attendance closed for everyone');
  });
});

describe('who may join', () => {
  let srv;
  before(async () => { srv = await startServer({ args: FAST_HASH }); });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('a non-member, a member of another group, and a ninth member are refused', async () => {
    const g = await makeGroup(srv, { members: 9, capacity: 9 });
    const other = await makeGroup(srv, { members: 1 });
    // the group shrinks to eight seats before the session starts
    const patch = await api(srv, `/api/v1/groups/${g.group.id}`, { method: 'PATCH', cookie: g.manager.cookie, body: { capacity: 8 } });
    assert.equal(patch.status, 200, patch.text);
    const session = await openSession(srv, g.group, g.facilitator);
    // members find the extra session in their group's list; others are refused it
    const listed = await api(srv, `/api/v1/groups/${g.group.id}/sessions`, { cookie: g.members[0].cookie });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json.adhoc_sessions.map((s) => [s.id, s.state]), [[session, 'open']]);
    const peek = await api(srv, `/api/v1/groups/${g.group.id}/sessions`, { cookie: other.members[0].cookie });
    assert.ok([403, 404].includes(peek.status), `${peek.status}`);

    const stranger = await signUp(srv);
    const sc = await connect(srv, stranger.cookie);
    sc.send({ type: 'join', session, ref: 's' });
    assert.equal((await sc.next('error', (f) => f.ref === 's')).code, 'not_found');
    const oc = await connect(srv, other.members[0].cookie);
    oc.send({ type: 'join', session, ref: 'o' });
    assert.equal((await oc.next('error', (f) => f.ref === 'o')).code, 'not_found');
    oc.send({ type: 'join', session: 987654, ref: 'n' });
    assert.equal((await oc.next('error', (f) => f.ref === 'n')).code, 'not_found', 'the same as a session that does not exist');

    const conns = [];
    for (const m of g.members.slice(0, 8)) { const c = await connect(srv, m.cookie); await join(c, session); conns.push(c); }
    const ninth = await connect(srv, g.members[8].cookie);
    ninth.send({ type: 'join', session, ref: 'ninth' });
    assert.equal((await ninth.next('error', (f) => f.ref === 'ninth')).code, 'session_full');
    // the socket stays usable, and the facilitator still gets in
    ninth.send({ type: 'ping' });
    await ninth.next('pong');
    const fc = await connect(srv, g.facilitator.cookie);
    await join(fc, session);
  });

  test('before the doors open a member cannot join or post; at doors open they can', async () => {
    const g = await makeGroup(srv, { members: 1, slot: { cycle_start: '2027-06-01', weekday: 2, start_time: '19:00' } });
    const db = path.join(srv.dataDir, 'hearth.db');
    let row = '';
    for (let i = 0; i < 40 && !row; i++) { await sleep(250); row = sql(db, `SELECT id, starts_at FROM sessions WHERE group_id = ${g.group.id} AND state = 'scheduled'`); }
    assert.ok(row, 'the next occurrence has a session row');
    const [session, startsAt] = row.split('|').map(Number);
    const c = await connect(srv, g.members[0].cookie);
    c.send({ type: 'join', session, ref: 'early' });
    assert.equal((await c.next('error', (f) => f.ref === 'early')).code, 'session_not_open');
    c.send({ type: 'say', session, client_id: 'early-say', text: 'hello', ref: 'es' });
    assert.equal((await c.next('error', (f) => f.ref === 'es')).code, 'not_joined');
    assert.equal(storedMessages(srv, session).length, 0);
    const { now_ms } = await advanceClock(srv, 0);
    await advanceClock(srv, startsAt - 10 * 60_000 - now_ms + 1000);
    const joined = await join(c, session);
    assert.equal(joined.state, 'open');
    c.send({ type: 'say', session, client_id: 'on-time', text: 'hello everyone' });
    assert.equal((await c.next('ack')).seq, 1);
  });
});

describe('resume', () => {
  let srv, g, session;
  before(async () => {
    srv = await startServer({ args: [...FAST_HASH, '--live-rate-burst', '50'] });
    g = await makeGroup(srv, { members: 2 });
    session = await openSession(srv, g.group, g.facilitator);
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('a client that drops and resumes gets exactly what it missed', async () => {
    const a = await connect(srv, g.members[0].cookie), b = await connect(srv, g.members[1].cookie);
    await join(a, session); await join(b, session);
    for (let i = 1; i <= 3; i++) { b.send({ type: 'say', session, client_id: `b${i}`, text: `before ${i}` }); await b.next('ack'); }
    for (let i = 1; i <= 3; i++) await a.next('msg', (f) => f.seq === i);
    a.ws.terminate();
    for (let i = 4; i <= 7; i++) { b.send({ type: 'say', session, client_id: `b${i}`, text: `while away ${i}` }); await b.next('ack', (f) => f.client_id === `b${i}`); await sleep(50); }
    const a2 = await connect(srv, g.members[0].cookie);
    const joined = await join(a2, session);
    assert.equal(joined.last_seq, 7);
    a2.send({ type: 'resume', session, since_seq: 3 });
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await a2.next('msg'));
    assert.deepEqual(got.map((m) => m.seq), [4, 5, 6, 7]);
    // live messages follow with no gap and nothing twice
    b.send({ type: 'say', session, client_id: 'b8', text: 'welcome back' });
    const live = await a2.next('msg');
    assert.equal(live.seq, 8);
    await sleep(200);
    const seqs = a2.all('msg').map((m) => m.seq);
    assert.deepEqual(seqs, [4, 5, 6, 7, 8]);
  });

});

describe('rate limits', () => {
  let srv, g, session;
  before(async () => {
    srv = await startServer({ args: FAST_HASH });
    g = await makeGroup(srv, { members: 1 });
    session = await openSession(srv, g.group, g.facilitator);
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('the sixth message in a burst is rate limited and not stored', async () => {
    const c = await connect(srv, g.members[0].cookie);
    await join(c, session);
    for (let i = 0; i < 6; i++) c.send({ type: 'say', session, client_id: `burst${i}`, text: `quick ${i}`, ref: `q${i}` });
    const e = await c.next('error', (f) => f.ref === 'q5');
    assert.equal(e.code, 'rate_limited');
    for (let i = 0; i < 5; i++) await c.next('ack', (f) => f.client_id === `burst${i}`);
    assert.equal(storedMessages(srv, session).filter((m) => m.client_id === 'burst5').length, 0);
  });
});

describe('check-ins and rights', () => {
  test('members are asked on joining and near the close; only facilitators see scores; a drop alerts', async () => {
    const srv = await startServer({ args: FAST_HASH });
    try {
      const g = await makeGroup(srv, { members: 2, checkins: true });
      const session = await openSession(srv, g.group, g.facilitator, 30);
      const fac = await connect(srv, g.facilitator.cookie);
      await join(fac, session);
      const m = await connect(srv, g.members[0].cookie), other = await connect(srv, g.members[1].cookie);
      await join(m, session); await join(other, session);
      await m.next('checkin_prompt', (f) => f.phase === 'join');
      m.send({ type: 'checkin', session, phase: 'join', score: 8 });
      const s1 = await fac.next('checkin_score', (f) => f.phase === 'join');
      assert.deepEqual([s1.user, s1.score], [g.members[0].user.id, 8]);
      await advanceClock(srv, 26 * 60_000); // into the last five minutes
      await m.next('session_state', (f) => f.state === 'closing');
      await m.next('checkin_prompt', (f) => f.phase === 'close');
      m.send({ type: 'checkin', session, phase: 'close', score: 4 });
      const alert = await fac.next('alert', (f) => f.kind === 'checkin_drop');
      assert.equal(alert.user.id, g.members[0].user.id);
      await sleep(200);
      for (const c of [m, other]) {
        assert.equal(c.all('checkin_score').length, 0, 'scores are for facilitators only');
        assert.equal(c.all('alert').length, 0);
      }
      fac.send({ type: 'checkin', session, phase: 'join', score: 5, ref: 'fc' });
      assert.equal((await fac.next('error', (f) => f.ref === 'fc')).code, 'bad_field');
    } finally { await srv.stop(); srv.cleanup(); }
  });

  test('an applicant hears of the decision on an open connection', async () => {
    const srv = await startServer({ args: FAST_HASH });
    try {
      const g = await makeGroup(srv, { members: 0 });
      const m = await signUp(srv);
      const c = await connect(srv, m.cookie);
      const app = await api(srv, `/api/v1/groups/${g.group.id}/applications`, { cookie: m.cookie,
        body: { answers: [], age_band: '45-54', gp: { name: 'Dr Test', practice: 'Test Surgery', phone: '020 7946 0000' } } });
      assert.equal(app.status, 201, app.text);
      const dec = await api(srv, `/api/v1/applications/${app.json.id}/decision`, { cookie: g.facilitator.cookie, body: { decision: 'approve', message: 'Welcome.' } });
      assert.equal(dec.status, 200, dec.text);
      const n = await c.next('notification', (f) => f.kind === 'application');
      assert.deepEqual([n.application, n.status], [app.json.id, 'approved']);
      assert.equal(n.message, undefined, 'the message is read in Hearth, not pushed');
    } finally { await srv.stop(); srv.cleanup(); }
  });

  test('a member whose membership ends loses the room at once (4002)', async () => {
    const srv = await startServer({ args: FAST_HASH });
    try {
      const g = await makeGroup(srv, { members: 2 });
      const session = await openSession(srv, g.group, g.facilitator);
      const m = await connect(srv, g.members[0].cookie);
      await join(m, session);
      const end = await api(srv, `/api/v1/groups/${g.group.id}/members/${g.members[0].user.id}/end`, { cookie: g.facilitator.cookie, body: { reason: 'moved on' } });
      assert.equal(end.status, 200, end.text);
      assert.equal((await m.closedP).code, 4002);
      const again = await connect(srv, g.members[0].cookie);
      again.send({ type: 'join', session, ref: 'j' });
      assert.equal((await again.next('error', (f) => f.ref === 'j')).code, 'not_member');
    } finally { await srv.stop(); srv.cleanup(); }
  });
});

describe('durability', () => {
  test('after kill -9, every acknowledged message is stored with its seq and no gap, and nothing unstored was shown', async () => {
    const srv = await startServer({ args: [...FAST_HASH, '--live-rate-burst', '1000', '--live-rate-per-min', '60000'] });
    const g = await makeGroup(srv, { members: 3 });
    const session = await openSession(srv, g.group, g.facilitator);
    const writers = [];
    for (const m of g.members) { const c = await connect(srv, m.cookie); await join(c, session); writers.push(c); }
    const watcher = await connect(srv, g.facilitator.cookie);
    await join(watcher, session);
    let stop = false;
    const loops = writers.map(async (c, w) => {
      for (let i = 0; !stop && i < 100000; i++) {
        try { c.send({ type: 'say', session, client_id: `w${w}-${i}`, text: `steady ${w} ${i}` }); } catch { return; }
        await sleep(5);
      }
    });
    await sleep(1500);
    await srv.kill();
    stop = true;
    await Promise.all(loops);
    const acked = writers.flatMap((c) => c.all('ack'));
    const shown = watcher.all('msg');
    assert.ok(acked.length > 20, `acks before the kill: ${acked.length}`);
    const again = await startServer({ dataDir: srv.dataDir, args: FAST_HASH });
    const stored = storedMessages(again, session);
    const byCid = new Map(stored.map((m) => [m.client_id, m.seq]));
    for (const a of acked) assert.equal(byCid.get(a.client_id), a.seq, `acked ${a.client_id} stored with its seq`);
    for (const m of shown) assert.equal(byCid.get(m.client_id), m.seq, `shown ${m.client_id} is stored`);
    assert.deepEqual(stored.map((m) => m.seq), Array.from({ length: stored.length }, (_, i) => i + 1), 'no gap');
    await again.stop();
    again.cleanup();
  });
});
