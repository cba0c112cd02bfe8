// 15-alerts — GET /api/v1/alerts: the history of safety alerts, read back
// from the audit log, for exactly the people the live alerts go to: the
// group's facilitators now (with the words, unless since redacted or the
// author erased), the manager (never the words), nobody else.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, signUp, advanceClock, sql, waitFor, FAST_HASH } from './helper.mjs';
import { connect, join, makeGroup, openSession } from './live-helper.mjs';
import path from 'node:path';

const FAST_RATE = ['--live-rate-burst', '100', '--live-rate-per-min', '60000',
  '--boards-burst', '100', '--boards-posts-per-minute', '600'];

const getAlerts = (srv, who, query = '') => api(srv, `/api/v1/alerts${query}`, who ? { cookie: who.cookie } : {});

/** The caller's alerts (every page, limit 200), asserting 200. */
async function alertsOf(srv, who) {
  const r = await getAlerts(srv, who, '?limit=200');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.next_before_id, null, 'one page holds them all here');
  return r.json.alerts;
}

/** Say something in a session and wait until it is stored (ack); returns the ack. */
async function say(c, session, client_id, text) {
  c.send({ type: 'say', session, client_id, text });
  return c.next('ack', (f) => f.client_id === client_id);
}

describe('GET /api/v1/alerts', () => {
  let srv, g, other, session, author, crisis;
  const CRISIS = 'Some days I want to end my life.';
  const ofSession = (list) => list.filter((a) => a.where === 'session' && a.session === session);

  before(async () => {
    srv = await startServer({ args: [...FAST_HASH, ...FAST_RATE] });
    g = await makeGroup(srv, { members: 2 });
    other = await makeGroup(srv, { members: 1 });
    session = await openSession(srv, g.group, g.facilitator);
    // nobody but the author is connected: the facilitator was not signed in when it happened
    author = await connect(srv, g.members[0].cookie);
    await join(author, session);
    const t0 = Date.now();
    crisis = await say(author, session, 'crisis-1', CRISIS);
    crisis.t0 = t0;
    await author.next('crisis_resources');
  });
  after(async () => {
    await author.close();
    const { code } = await srv.stop();
    // a clean shutdown, and under ASan no leak or error report from these reads
    assert.equal(code, 0, srv.logs().slice(-4000));
    assert.doesNotMatch(srv.logs(), /Sanitizer|runtime error/);
    srv.cleanup();
  });

  // ---- refusals, next to the route ----

  test('not logged in: 401', async () => {
    const r = await getAlerts(srv, null);
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 'not_logged_in');
  });

  test('a member, even the one the alert is about, gets 403 not_allowed', async () => {
    for (const m of g.members) {
      const r = await getAlerts(srv, m);
      assert.equal(r.status, 403, r.text);
      assert.equal(r.json.error.code, 'not_allowed');
      assert.equal(r.text.includes('end my life'), false);
    }
  });

  test('bad before_id or limit: 400 bad_field naming the argument', async () => {
    const bad = [['before_id=0', 'before_id'], ['before_id=-4', 'before_id'], ['before_id=abc', 'before_id'],
      ['before_id=', 'before_id'], ['before_id=1.5', 'before_id'], ['before_id=99999999999999999999', 'before_id'],
      ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=ten', 'limit'], ['limit=', 'limit'], ['limit=-1', 'limit'],
      ['limit=20&before_id=x', 'before_id']];
    for (const [q, name] of bad) {
      const r = await getAlerts(srv, g.facilitator, `?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.equal(r.json.error.code, 'bad_field', q);
      assert.match(r.json.error.message, new RegExp(name), q);
    }
    // the limits themselves are fine
    for (const q of ['limit=1', 'limit=200', 'before_id=1']) {
      assert.equal((await getAlerts(srv, g.facilitator, `?${q}`)).status, 200, q);
    }
  });

  // ---- who sees what ----

  test('the group\'s facilitator, on a fresh HTTP request with no socket, gets the alert with the text', async () => {
    const r = await getAlerts(srv, g.facilitator);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.json.next_before_id, null);
    const [a, ...rest] = r.json.alerts;
    assert.equal(rest.length, 0, 'one alert so far');
    assert.equal(typeof a.id, 'number');
    assert.ok(a.at >= crisis.t0 - 60_000 && a.at <= Date.now() + 60_000, `at ${a.at}`);
    const { id, at, ...item } = a;
    assert.deepEqual(item, {
      kind: 'crisis', where: 'session', session, seq: crisis.seq,
      group: { id: g.group.id, name: g.group.name },
      user: { id: g.members[0].user.id, name: g.members[0].creds.display_name },
      text: CRISIS,
    });
  });

  test('a facilitator of another group sees none of it', async () => {
    const r = await getAlerts(srv, other.facilitator);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { alerts: [], next_before_id: null });
  });

  test('the manager sees it, without the text', async () => {
    for (const m of [g.manager, other.manager]) { // every manager, not only the one who made the group
      const mine = ofSession(await alertsOf(srv, m));
      assert.equal(mine.length, 1);
      assert.equal(mine[0].kind, 'crisis');
      assert.equal(mine[0].seq, crisis.seq);
      assert.deepEqual(mine[0].group, { id: g.group.id, name: g.group.name });
      assert.equal(mine[0].user.id, g.members[0].user.id);
      assert.equal('text' in mine[0], false, 'no text for the manager');
    }
  });

  test('rights follow facilitation now: a facilitator added sees it, taken off no longer does', async () => {
    const f2 = await signUp(srv);
    const role = await api(srv, `/api/v1/users/${f2.user.id}/role`, { method: 'PUT', cookie: g.manager.cookie, body: { role: 'facilitator' } });
    assert.equal(role.status, 200, role.text);
    assert.deepEqual(await alertsOf(srv, f2), [], 'a facilitator of no group sees nothing');
    const patch = (ids) => api(srv, `/api/v1/groups/${g.group.id}`, { method: 'PATCH', cookie: g.manager.cookie, body: { facilitators: ids } });
    assert.equal((await patch([g.facilitator.user.id, f2.user.id])).status, 200);
    const seen = ofSession(await alertsOf(srv, f2));
    assert.equal(seen.length, 1);
    assert.equal(seen[0].text, CRISIS);
    assert.equal((await patch([g.facilitator.user.id])).status, 200);
    assert.deepEqual(await alertsOf(srv, f2), []);
    // and a facilitator made a member again is refused outright
    await api(srv, `/api/v1/users/${f2.user.id}/role`, { method: 'PUT', cookie: g.manager.cookie, body: { role: 'member' } });
    const again = await api(srv, '/api/v1/login', { body: { username: f2.creds.username, password: f2.creds.password } });
    const r = await api(srv, '/api/v1/alerts', { cookie: again.headers.get('set-cookie').split(';')[0] });
    assert.equal(r.status, 403, r.text);
  });

  test('after the message is redacted the alert stays, without its text', async () => {
    const fc = await connect(srv, g.facilitator.cookie);
    await join(fc, session);
    fc.send({ type: 'mod', session, action: 'redact', seq: crisis.seq });
    await fc.next('redacted', (f) => f.seq === crisis.seq);
    await fc.close();
    const mine = ofSession(await alertsOf(srv, g.facilitator));
    assert.equal(mine.length, 1, 'the alert is still listed');
    assert.equal(mine[0].seq, crisis.seq);
    assert.equal('text' in mine[0], false, 'the redacted words are gone');
    assert.equal(ofSession(await alertsOf(srv, g.manager)).length, 1);
  });

  test('a crisis in a private conversation: the facilitator reads it, the manager not; gone once the author is erased', async () => {
    const [A, B] = g.members;
    const created = await api(srv, '/api/v1/conversations', { cookie: B.cookie, body: { participants: [A.user.id] } });
    assert.ok([200, 201].includes(created.status), created.text);
    const conv = created.json.id;
    const b = await connect(srv, B.cookie);
    const text = 'I keep thinking I want to end my life.';
    b.send({ type: 'dm_send', conversation: conv, client_id: 'conv-crisis', text });
    const ack = await b.next('ack', (f) => f.client_id === 'conv-crisis');
    await b.close();
    const ofConv = (list) => list.filter((a) => a.where === 'conversation' && a.conversation === conv);

    const [f] = ofConv(await alertsOf(srv, g.facilitator));
    assert.ok(f, 'the facilitator has it');
    assert.deepEqual([f.kind, f.message, f.group.id, f.user.id, f.text], ['crisis', ack.id, g.group.id, B.user.id, text]);
    assert.equal(f.session, undefined);
    const [m] = ofConv(await alertsOf(srv, g.manager));
    assert.equal(m.id, f.id);
    assert.equal('text' in m, false);
    assert.deepEqual(ofConv(await alertsOf(srv, other.facilitator)), []);

    const erased = await api(srv, '/api/v1/me', { method: 'DELETE', cookie: B.cookie, body: { password: B.creds.password } });
    assert.equal(erased.status, 204, erased.text);
    const [after] = ofConv(await alertsOf(srv, g.facilitator));
    assert.equal(after.id, f.id, 'still listed');
    assert.deepEqual(after.user, { id: B.user.id, name: 'Former member' });
    assert.equal('text' in after, false, 'an erased author\'s words are not shown');
  });

  test('a facilitator\'s own words in a conversation: not alerted to them, as live; the manager has it', async () => {
    const [A] = g.members;
    const created = await api(srv, '/api/v1/conversations', { cookie: g.facilitator.cookie, body: { participants: [A.user.id] } });
    assert.ok([200, 201].includes(created.status), created.text);
    const conv = created.json.id;
    const f = await connect(srv, g.facilitator.cookie);
    f.send({ type: 'dm_send', conversation: conv, client_id: 'own-words', text: 'Some weeks I want to end my life too.' });
    await f.next('ack', (x) => x.client_id === 'own-words');
    await f.close();
    const ofConv = (list) => list.filter((a) => a.conversation === conv);
    assert.deepEqual(ofConv(await alertsOf(srv, g.facilitator)), []);
    const [m] = ofConv(await alertsOf(srv, g.manager));
    assert.equal(m.user.id, g.facilitator.user.id);
  });

  test('board alerts: the group\'s facilitators and the manager, never the text; site-wide boards: the manager only', async () => {
    const [A] = g.members;
    const folders = await api(srv, `/api/v1/groups/${g.group.id}/folders`, { cookie: A.cookie });
    assert.equal(folders.status, 200, folders.text);
    const words = 'Honestly, some nights I want to end my life.';
    const t = await api(srv, `/api/v1/folders/${folders.json.folders[0].id}/topics`, { cookie: A.cookie, body: { subject: 'Nights', body: words } });
    assert.equal(t.status, 201, t.text);
    const site = await api(srv, '/api/v1/boards', { cookie: A.cookie });
    const open = site.json.folders.find((x) => x.kind === 'conversations');
    const s = await api(srv, `/api/v1/folders/${open.id}/topics`, { cookie: A.cookie, body: { subject: 'Open', body: 'Lately I want to end my life.' } });
    assert.equal(s.status, 201, s.text);
    const ofPost = (list, p) => list.filter((a) => a.where === 'board' && a.post === p.json.post.id);

    const [f] = ofPost(await alertsOf(srv, g.facilitator), t);
    assert.ok(f, 'the facilitator has the group board alert');
    assert.deepEqual([f.kind, f.topic, f.group.id, f.user.id], ['crisis', t.json.topic_id, g.group.id, A.user.id]);
    assert.equal('text' in f, false, 'a board alert never carries the text');
    assert.deepEqual(ofPost(await alertsOf(srv, g.facilitator), s), [], 'site-wide: not the facilitator');
    assert.deepEqual(ofPost(await alertsOf(srv, other.facilitator), t), []);
    const mine = await alertsOf(srv, g.manager);
    assert.equal(ofPost(mine, t).length, 1);
    const [ms] = ofPost(mine, s);
    assert.ok(ms, 'the manager has the site-wide alert');
    assert.equal(ms.group, undefined, 'a site-wide board has no group');
    assert.equal('text' in ms, false);
    assert.equal(JSON.stringify(mine).includes('end my life'), false, 'no words anywhere in the manager\'s list');
  });

  test('paging: newest first, before_id and limit walk every alert once', async () => {
    // a new socket: changing the group's facilitators above closed the group's sockets (4002)
    const c = await connect(srv, g.members[0].cookie);
    await join(c, session);
    for (let i = 0; i < 5; i++) await say(c, session, `more-${i}`, `Day ${i}: I want to end my life.`);
    await c.close();
    const all = await alertsOf(srv, g.facilitator);
    assert.ok(all.length >= 8, `alerts: ${all.length}`);
    const ids = all.map((a) => a.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => y - x), 'newest first');
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(all[0].text, 'Day 4: I want to end my life.');

    const walked = [];
    let before = null, pages = 0;
    do {
      const r = await getAlerts(srv, g.facilitator, `?limit=3${before ? `&before_id=${before}` : ''}`);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.alerts.length <= 3);
      walked.push(...r.json.alerts.map((a) => a.id));
      before = r.json.next_before_id;
      if (before !== null) assert.equal(before, r.json.alerts.at(-1).id);
      pages++;
    } while (before !== null && pages < 20);
    assert.deepEqual(walked, ids, 'the pages together are the whole list');
    assert.equal(pages, Math.ceil(ids.length / 3) + (ids.length % 3 === 0 ? 1 : 0));

    const after3 = await getAlerts(srv, g.facilitator, `?before_id=${ids[2]}&limit=2`);
    assert.deepEqual(after3.json.alerts.map((a) => a.id), ids.slice(3, 5));
    const dflt = await getAlerts(srv, g.facilitator);
    assert.deepEqual(dflt.json.alerts.map((a) => a.id), ids.slice(0, 50), 'default limit 50');
  });
});

describe('check-in drops', () => {
  test('a check-in drop is listed for the facilitator, without the scores', async () => {
    const srv = await startServer({ args: FAST_HASH });
    try {
      const g = await makeGroup(srv, { members: 1, checkins: true });
      const session = await openSession(srv, g.group, g.facilitator, 30);
      const m = await connect(srv, g.members[0].cookie);
      await join(m, session);
      await m.next('checkin_prompt', (f) => f.phase === 'join');
      m.send({ type: 'checkin', session, phase: 'join', score: 8 });
      await advanceClock(srv, 26 * 60_000);
      await m.next('checkin_prompt', (f) => f.phase === 'close');
      m.send({ type: 'checkin', session, phase: 'close', score: 2 });
      const got = await waitFor(async () => {
        const drops = (await alertsOf(srv, g.facilitator)).filter((a) => a.kind === 'checkin_drop');
        return drops.length && drops;
      }, 'the check-in drop in the history');
      assert.equal(got.length, 1);
      assert.deepEqual([got[0].where, got[0].session, got[0].user.id], ['session', session, g.members[0].user.id]);
      assert.equal('text' in got[0], false);
      await m.close();
      await srv.stop();
      const row = sql(path.join(srv.dataDir, 'hearth.db'), "SELECT actor_id, target_id, detail FROM audit_log WHERE action = 'checkin_drop'");
      assert.equal(row, `${g.members[0].user.id}|${session}|{}`, 'who and where, never the scores');
    } finally { await srv.stop(); srv.cleanup(); }
  });
});
