// 09-conversations — private conversations over /ws and HTTP: who may talk
// to whom, live delivery and unread counts, idempotent sending, blocks, the
// offline notification mail, crisis alerts, reports to the manager, erasure.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, api, advanceClock, cookieOf, sql, waitFor, FAST_HASH } from './helper.mjs';
import { connect, join, makeGroup, addMember, openSession, sleep } from './live-helper.mjs';

const FAST_RATE = ['--live-rate-burst', '200', '--live-rate-per-min', '60000'];

/** The first frame of `type` matching pred anywhere in c.frames (not moving c.pos). */
async function frame(c, type, pred = () => true, limitMs = 20_000) {
  const end = Date.now() + limitMs;
  for (;;) {
    const f = c.frames.find((x) => x.type === type && pred(x));
    if (f) return f;
    if (Date.now() > end) throw new Error(`no ${type} frame; last: ${JSON.stringify(c.frames.slice(-6))}`);
    await sleep(20);
  }
}

/** Send a dm and wait for its ack; returns the ack. */
async function dm(c, conversation, client_id, text) {
  c.send({ type: 'dm_send', conversation, client_id, text });
  return frame(c, 'ack', (f) => f.client_id === client_id && f.conversation === conversation);
}

const db = (srv) => path.join(srv.dataDir, 'hearth.db');

/** Spooled mails of a kind, as {file, raw}, oldest first. */
function mails(srv, kind) {
  const dir = path.join(srv.dataDir, 'mail');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.eml')).sort()
    .map((f) => ({ file: f, raw: readFileSync(path.join(dir, f), 'utf8') }))
    .filter((m) => m.raw.includes(`X-Hearth-Kind: ${kind}\r\n`));
}
const mailsTo = (srv, kind, email) => mails(srv, kind).filter((m) => m.raw.includes(`To: ${email}\r\n`));

async function startConversation(srv, who, others) {
  const r = await api(srv, '/api/v1/conversations', { cookie: who.cookie, body: { participants: others.map((o) => o.user.id) } });
  assert.ok(r.status === 201 || r.status === 200, `create: ${r.status} ${r.text}`);
  return r.json.id;
}

describe('private conversations', () => {
  let srv, g, other, A, B, C, F, X;
  before(async () => {
    srv = await startServer({ args: [...FAST_HASH, ...FAST_RATE] });
    g = await makeGroup(srv, { members: 3 });
    other = await makeGroup(srv, { members: 1 });
    [A, B, C] = g.members;
    F = g.facilitator;
    X = other.members[0];
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('two members converse live over /ws and via HTTP, with unread counts going up and down', async () => {
    const created = await api(srv, '/api/v1/conversations', { cookie: A.cookie, body: { participants: [B.user.id] } });
    assert.equal(created.status, 201, created.text);
    const conv = created.json.id;
    assert.equal(created.json.group.id, g.group.id);
    assert.deepEqual(created.json.participants.map((p) => p.id).sort(), [A.user.id, B.user.id].sort());
    // the same pair again finds the same conversation
    const again = await api(srv, '/api/v1/conversations', { cookie: A.cookie, body: { participants: [B.user.id] } });
    assert.equal(again.status, 200);
    assert.equal(again.json.id, conv);

    const a1 = await connect(srv, A.cookie);
    const a2 = await connect(srv, A.cookie); // A's second device
    const b1 = await connect(srv, B.cookie);
    const b2 = await connect(srv, B.cookie);

    const ack1 = await dm(a1, conv, 'a-1', 'Hello Sam, how was your week?');
    assert.equal(ack1.conversation, conv);
    const got = await frame(b1, 'dm', (f) => f.id === ack1.id);
    assert.equal(got.text, 'Hello Sam, how was your week?');
    assert.equal(got.author.id, A.user.id);
    assert.equal(got.client_id, 'a-1');
    await frame(b2, 'dm', (f) => f.id === ack1.id);
    await frame(a2, 'dm', (f) => f.id === ack1.id); // the sender's other device too
    assert.equal((await frame(b1, 'unread', (f) => f.conversation === conv)).count, 1);

    // B answers over HTTP; A sees it live
    const post = await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: B.cookie, body: { client_id: 'b-1', text: 'Better, thank you.' } });
    assert.equal(post.status, 201, post.text);
    const idB = post.json.id;
    assert.ok(idB > ack1.id);
    assert.equal((await frame(a1, 'dm', (f) => f.id === idB)).text, 'Better, thank you.');
    assert.equal((await frame(a1, 'unread', (f) => f.conversation === conv && f.count === 1)).count, 1);

    const ack2 = await dm(a1, conv, 'a-2', 'Glad to hear it.');
    const ack3 = await dm(a1, conv, 'a-3', 'See you on Tuesday.');
    await frame(b1, 'unread', (f) => f.conversation === conv && f.count === 3);
    // B's dm frames came in id order
    const ids = b1.all('dm').filter((f) => f.conversation === conv).map((f) => f.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));

    let list = await api(srv, '/api/v1/conversations', { cookie: B.cookie });
    assert.equal(list.status, 200);
    assert.equal(list.json.conversations.find((c) => c.id === conv).unread, 3);
    assert.equal(list.json.conversations.find((c) => c.id === conv).last_message.id, ack3.id);

    // reading on one device updates every device
    b1.send({ type: 'dm_read', conversation: conv, up_to: ack2.id });
    await frame(b2, 'unread', (f) => f.conversation === conv && f.count === 1);
    const read = await api(srv, `/api/v1/conversations/${conv}/read`, { cookie: B.cookie, body: { up_to: ack3.id } });
    assert.equal(read.status, 200, read.text);
    assert.equal(read.json.unread, 0);
    await frame(b1, 'unread', (f) => f.conversation === conv && f.count === 0);
    // marking read never moves backwards
    const back = await api(srv, `/api/v1/conversations/${conv}/read`, { cookie: B.cookie, body: { up_to: ack1.id } });
    assert.equal(back.json.unread, 0);
    assert.equal(back.json.up_to, ack3.id, 'the answer says where the mark is');
    list = await api(srv, '/api/v1/conversations', { cookie: B.cookie });
    assert.equal(list.json.conversations.find((c) => c.id === conv).unread, 0);
    // A has B's message unread until A reads everything
    list = await api(srv, '/api/v1/conversations', { cookie: A.cookie });
    assert.equal(list.json.conversations.find((c) => c.id === conv).unread, 1);
    const all = await api(srv, `/api/v1/conversations/${conv}/read`, { cookie: A.cookie, body: {} });
    assert.equal(all.json.unread, 0);

    // history: oldest first, paged with before/limit
    const page = await api(srv, `/api/v1/conversations/${conv}/messages?limit=2`, { cookie: B.cookie });
    assert.equal(page.status, 200);
    assert.deepEqual(page.json.messages.map((m) => m.id), [ack2.id, ack3.id]);
    assert.equal(page.json.has_more, true);
    const older = await api(srv, `/api/v1/conversations/${conv}/messages?before=${ack2.id}`, { cookie: B.cookie });
    assert.deepEqual(older.json.messages.map((m) => m.id), [ack1.id, idB]);
    assert.equal(older.json.has_more, false);
    assert.equal(older.json.messages[1].author.id, B.user.id);

    // dm_read of a message that is not in the conversation
    b1.send({ type: 'dm_read', conversation: conv, up_to: 999999, ref: 'r-x' });
    assert.equal((await frame(b1, 'error', (f) => f.ref === 'r-x')).code, 'not_found');
    for (const c of [a1, a2, b1, b2]) await c.close();
  });

  test('a member of another group cannot be added or messaged', async () => {
    const conv = await startConversation(srv, A, [B]);
    const refused = await api(srv, '/api/v1/conversations', { cookie: A.cookie, body: { participants: [X.user.id] } });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 'not_in_your_group');
    // a user id that does not exist is refused the same way
    const ghost = await api(srv, '/api/v1/conversations', { cookie: A.cookie, body: { participants: [9999999] } });
    assert.equal(ghost.status, 403);
    assert.deepEqual(ghost.json, refused.json);
    // with someone in the group plus an outsider: still refused
    const mixed = await api(srv, '/api/v1/conversations', { cookie: A.cookie, body: { participants: [B.user.id, X.user.id] } });
    assert.equal(mixed.status, 403);
    // and X cannot start one with A either
    assert.equal((await api(srv, '/api/v1/conversations', { cookie: X.cookie, body: { participants: [A.user.id] } })).status, 403);

    // X cannot see or write into A and B's conversation: it answers like one that does not exist
    const missing = await api(srv, '/api/v1/conversations/9999999', { cookie: X.cookie });
    for (const [p, opts] of [
      [`/api/v1/conversations/${conv}`, {}],
      [`/api/v1/conversations/${conv}/messages`, {}],
      [`/api/v1/conversations/${conv}/messages`, { body: { client_id: 'x-1', text: 'hello' } }],
      [`/api/v1/conversations/${conv}/read`, { body: {} }],
      [`/api/v1/conversations/${conv}/leave`, { body: {} }],
    ]) {
      const r = await api(srv, p, { cookie: X.cookie, ...opts });
      assert.equal(r.status, 404, p);
      assert.deepEqual(r.json, missing.json, p);
    }
    const x = await connect(srv, X.cookie);
    x.send({ type: 'dm_send', conversation: conv, client_id: 'x-2', text: 'hello', ref: 'x2' });
    assert.equal((await frame(x, 'error', (f) => f.ref === 'x2')).code, 'not_found');
    x.send({ type: 'dm_read', conversation: conv, up_to: 1, ref: 'x3' });
    assert.equal((await frame(x, 'error', (f) => f.ref === 'x3')).code, 'not_found');
    await x.close();
    const stored = sql(db(srv), `SELECT count(*) FROM conversation_messages WHERE author_id = ${X.user.id}`);
    assert.equal(stored, '0');

    // the manager of the group is no participant: no content
    assert.equal((await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: g.manager.cookie })).status, 404);
    // nor is the facilitator, who was not added
    assert.equal((await api(srv, `/api/v1/conversations/${conv}`, { cookie: F.cookie })).status, 404);
    // X's list is empty
    assert.deepEqual((await api(srv, '/api/v1/conversations', { cookie: X.cookie })).json.conversations, []);
  });

  test('nothing here answers without a log-in', async () => {
    for (const [p, body] of [['/api/v1/conversations'], ['/api/v1/conversations', { participants: [1] }],
      ['/api/v1/conversations/1/messages'], ['/api/v1/conversations/1/messages', { client_id: 'a', text: 'b' }],
      ['/api/v1/blocks'], ['/api/v1/reports'], ['/api/v1/me/reports'],
      ['/api/v1/reports', { about: 'user', user: 1, kind: 'other', reason: 'x' }]]) {
      assert.equal((await api(srv, p, body ? { body } : {})).status, 401, p);
    }
  });

  test('a re-sent client_id is stored once and acked with the first id', async () => {
    const conv = await startConversation(srv, A, [B]);
    const a = await connect(srv, A.cookie);
    const b = await connect(srv, B.cookie);
    const first = await dm(a, conv, 'same-1', 'Only once, please.');
    a.send({ type: 'dm_send', conversation: conv, client_id: 'same-1', text: 'Only once, please.' });
    await frame(a, 'ack', (f) => f.client_id === 'same-1' && a.all('ack').filter((x) => x.client_id === 'same-1').length === 2);
    const acks = a.all('ack').filter((f) => f.client_id === 'same-1');
    assert.deepEqual(acks.map((f) => f.id), [first.id, first.id]);
    // over HTTP too: the original, with 200
    const again = await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: A.cookie, body: { client_id: 'same-1', text: 'Only once, please.' } });
    assert.equal(again.status, 200);
    assert.equal(again.json.id, first.id);
    // a marker after the re-sends: B has exactly one copy before it
    const marker = await dm(a, conv, 'marker-1', 'marker');
    await frame(b, 'dm', (f) => f.id === marker.id);
    assert.equal(b.all('dm').filter((f) => f.client_id === 'same-1').length, 1);
    assert.equal(sql(db(srv), `SELECT count(*) FROM conversation_messages WHERE conversation_id = ${conv} AND client_id = 'same-1'`), '1');
    // the same words under a new client_id straight away are refused as duplicate
    a.send({ type: 'dm_send', conversation: conv, client_id: 'same-2', text: 'Only once, please.', ref: 'd2' });
    const err = await frame(a, 'error', (f) => f.ref === 'd2');
    assert.equal(err.code, 'duplicate');
    await a.close(); await b.close();
  });

  test('blocking stops delivery to the blocker, and only to them', async () => {
    const conv = await startConversation(srv, A, [B, C]);
    const a = await connect(srv, A.cookie);
    const b = await connect(srv, B.cookie);
    const c = await connect(srv, C.cookie);
    const blk = await api(srv, '/api/v1/blocks', { cookie: B.cookie, body: { user: A.user.id } });
    assert.equal(blk.status, 201, blk.text);
    await advanceClock(srv, 60_000);
    const again = await api(srv, '/api/v1/blocks', { cookie: B.cookie, body: { user: A.user.id } });
    assert.equal(again.status, 200);
    assert.equal(again.json.since, blk.json.since, 'blocked since the first time');
    assert.deepEqual((await api(srv, '/api/v1/blocks', { cookie: B.cookie })).json.blocks.map((x) => x.user.id), [A.user.id]);

    const hidden = await dm(a, conv, 'while-blocked', 'You will not see this, B.');
    await frame(c, 'dm', (f) => f.id === hidden.id); // C still gets it
    const marker = await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: C.cookie, body: { client_id: 'c-marker', text: 'C here.' } });
    await frame(b, 'dm', (f) => f.id === marker.json.id);
    assert.equal(b.all('dm').filter((f) => f.id === hidden.id).length, 0);
    const bUnread = (await api(srv, `/api/v1/conversations/${conv}`, { cookie: B.cookie })).json.unread;
    assert.equal(bUnread, 1); // C's message only
    let hist = await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: B.cookie });
    assert.ok(!hist.json.messages.some((m) => m.id === hidden.id));
    // A is not told
    assert.equal(a.all('error').length, 0);

    // unblocking lets new messages through; what was said meanwhile stays hidden
    assert.equal((await api(srv, `/api/v1/blocks/${A.user.id}`, { method: 'DELETE', cookie: B.cookie })).status, 204);
    assert.equal((await api(srv, `/api/v1/blocks/${A.user.id}`, { method: 'DELETE', cookie: B.cookie })).status, 404);
    const after = await dm(a, conv, 'after-unblock', 'And now?');
    await frame(b, 'dm', (f) => f.id === after.id);
    hist = await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: B.cookie });
    assert.ok(hist.json.messages.some((m) => m.id === after.id));
    assert.ok(!hist.json.messages.some((m) => m.id === hidden.id));

    // refusals: yourself, someone you never met here
    assert.equal((await api(srv, '/api/v1/blocks', { cookie: B.cookie, body: { user: B.user.id } })).status, 400);
    assert.equal((await api(srv, '/api/v1/blocks', { cookie: B.cookie, body: { user: X.user.id } })).status, 404);
    // nor the group's facilitator: help must always be able to reach a member
    const fac = await api(srv, '/api/v1/blocks', { cookie: B.cookie, body: { user: F.user.id } });
    assert.equal(fac.status, 403);
    assert.equal(fac.json.error.code, 'cannot_block_staff');
    assert.deepEqual((await api(srv, '/api/v1/blocks', { cookie: B.cookie })).json.blocks, []);
    // …and the conversation says who is staff, so the client offers no Block for them
    const withF = await api(srv, '/api/v1/conversations', { cookie: B.cookie, body: { participants: [F.user.id] } });
    assert.equal(withF.status, 201, withF.text);
    assert.deepEqual(withF.json.participants.map((p) => [p.id, p.staff]).sort(),
      [[B.user.id, false], [F.user.id, true]].sort());
    await a.close(); await b.close(); await c.close();
  });

  test('a crisis phrase alerts the facilitator only, and shows the author the resources', async () => {
    const conv = await startConversation(srv, A, [B]);
    const a = await connect(srv, A.cookie);
    const b = await connect(srv, B.cookie);
    const f = await connect(srv, F.cookie);
    const m = await connect(srv, g.manager.cookie);
    const otherF = await connect(srv, other.facilitator.cookie);
    const text = 'Some days I want to end my life.';
    const ack = await dm(a, conv, 'crisis-1', text);
    const alert = await frame(f, 'alert', (x) => x.conversation === conv);
    assert.equal(alert.kind, 'crisis');
    assert.equal(alert.user.id, A.user.id);
    assert.equal(alert.text, text);
    const mAlert = await frame(m, 'alert', (x) => x.conversation === conv);
    assert.equal(mAlert.text, undefined, 'the manager is told without the text');
    const card = await frame(a, 'crisis_resources');
    assert.ok(card.text.length > 0);
    await frame(b, 'dm', (x) => x.id === ack.id); // delivered as normal
    const marker = await dm(a, conv, 'crisis-marker', 'thank you for listening');
    await frame(b, 'dm', (x) => x.id === marker.id);
    assert.equal(b.all('alert').length, 0, 'the other participant gets no alert');
    assert.equal(b.all('crisis_resources').length, 0);
    assert.equal(otherF.all('alert').length, 0, 'another group\'s facilitator gets nothing');
    assert.equal(f.all('dm').length, 0, 'the facilitator does not receive the conversation');
    assert.equal(sql(db(srv), `SELECT count(*) FROM audit_log WHERE action = 'crisis_alert' AND target_type = 'conversation' AND target_id = ${conv}`), '1');
    for (const c of [a, b, f, m, otherF]) await c.close();
  });

  test('leaving a conversation, and leaving the group, end access', async () => {
    const conv = await startConversation(srv, A, [B, C]);
    const left = await api(srv, `/api/v1/conversations/${conv}/leave`, { cookie: C.cookie, body: {} });
    assert.equal(left.status, 204);
    assert.equal((await api(srv, `/api/v1/conversations/${conv}`, { cookie: C.cookie })).status, 404);
    const seen = await api(srv, `/api/v1/conversations/${conv}`, { cookie: A.cookie });
    assert.deepEqual(seen.json.participants.map((p) => p.id).sort(), [A.user.id, B.user.id].sort());

    const E = await addMember(srv, g.group, F);
    const conv2 = await startConversation(srv, E, [A]);
    const end = await api(srv, `/api/v1/groups/${g.group.id}/members/${E.user.id}/end`, { cookie: F.cookie, body: {} });
    assert.equal(end.status, 200, end.text);
    assert.equal((await api(srv, `/api/v1/conversations/${conv2}/messages`, { cookie: E.cookie })).status, 404);
    assert.equal((await api(srv, `/api/v1/conversations/${conv2}/messages`, { cookie: E.cookie, body: { client_id: 'e-1', text: 'still here?' } })).status, 404);
  });

  test('erasure: the messages stay under "Former member", and the person leaves', async () => {
    const E = await addMember(srv, g.group, F);
    const conv = await startConversation(srv, E, [A]);
    const sent = await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: E.cookie, body: { client_id: 'e-1', text: 'Thank you for everything.' } });
    assert.equal(sent.status, 201);
    const del = await api(srv, '/api/v1/me', { method: 'DELETE', cookie: E.cookie, body: { password: E.creds.password } });
    assert.equal(del.status, 204, del.text);
    const hist = await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: A.cookie });
    const m = hist.json.messages.find((x) => x.id === sent.json.id);
    assert.equal(m.text, 'Thank you for everything.');
    assert.equal(m.author.name, 'Former member');
    const seen = await api(srv, `/api/v1/conversations/${conv}`, { cookie: A.cookie });
    assert.deepEqual(seen.json.participants.map((p) => p.id), [A.user.id]);
    assert.equal(sql(db(srv), `SELECT count(*) FROM conversation_participants WHERE user_id = ${E.user.id} AND left_at IS NULL`), '0');
  });
});

describe('the offline notification mail', () => {
  // its own server: moving the clock an hour on ends every idle log-in
  let srv, g, A;
  before(async () => {
    srv = await startServer({ args: [...FAST_HASH, ...FAST_RATE] });
    g = await makeGroup(srv, { members: 1 });
    A = g.members[0];
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('an offline recipient gets one notification mail an hour, without the text', async () => {
    const D = await addMember(srv, g.group, g.facilitator); // never connects
    const conv = await startConversation(srv, A, [D]);
    const a = await connect(srv, A.cookie);
    const before = mailsTo(srv, 'conversation_unread', D.creds.email).length;
    assert.equal(before, 0);
    await dm(a, conv, 'mail-1', 'secret words number one');
    await dm(a, conv, 'mail-2', 'secret words number two');
    // a later store job has run, so the mail jobs of both messages have committed
    await api(srv, '/api/v1/conversations', { cookie: A.cookie });
    assert.equal(sql(db(srv), `SELECT count(*) FROM mail_outbox WHERE user_id = ${D.user.id} AND kind = 'conversation_unread'`), '1');
    const [m] = await waitFor(() => { const l = mailsTo(srv, 'conversation_unread', D.creds.email); return l.length && l; }, 'the notification mail');
    assert.match(m.raw, /new private message/);
    assert.ok(!m.raw.includes('secret'), 'the mail must not carry the message');
    assert.ok(!m.raw.includes(A.user.name ?? A.creds.display_name), 'nor who sent it');
    // A is online: no mail to A for D's reply... D replies over HTTP while A is connected
    await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: D.cookie, body: { client_id: 'd-1', text: 'hello' } });
    await api(srv, '/api/v1/conversations', { cookie: A.cookie });
    assert.equal(sql(db(srv), `SELECT count(*) FROM mail_outbox WHERE user_id = ${A.user.id} AND kind = 'conversation_unread'`), '0');
    // an hour later (a remembered log-in outlives the idle time-out), a new message brings a second mail
    const login = await api(srv, '/api/v1/login', { body: { username: A.creds.username, password: A.creds.password, remember: true } });
    await a.close();
    await advanceClock(srv, 61 * 60 * 1000);
    const a2 = await connect(srv, cookieOf(login));
    await dm(a2, conv, 'mail-3', 'secret words number three');
    await waitFor(() => mailsTo(srv, 'conversation_unread', D.creds.email).length === 2, 'the second mail');
    assert.ok(!mailsTo(srv, 'conversation_unread', D.creds.email)[1].raw.includes('secret'));
    await a2.close();
  });

});

describe('reports to the manager', () => {
  let srv, g, other, A, B, F, X, M, conv, msgB;
  before(async () => {
    srv = await startServer({ args: [...FAST_HASH, ...FAST_RATE] });
    g = await makeGroup(srv, { members: 2 });
    other = await makeGroup(srv, { members: 1 });
    [A, B] = g.members;
    F = g.facilitator;
    M = g.manager;
    X = other.members[0];
    conv = await startConversation(srv, A, [B]);
    const r = await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: B.cookie, body: { client_id: 'b-1', text: 'Do not tell anyone, but Maya said her husband left.' } });
    msgB = r.json.id;
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('a report reaches the manager\'s queue and not anyone else\'s', async () => {
    const mws = await connect(srv, M.cookie);
    const made = await api(srv, '/api/v1/reports', { cookie: A.cookie, body: { about: 'conversation_message', message: msgB, kind: 'confidentiality_concern', reason: 'This repeats what someone said in the group.' } });
    assert.equal(made.status, 201, made.text);
    const id = made.json.id;
    assert.equal(made.json.status, 'open');
    // the same report again is the same report
    const twin = await api(srv, '/api/v1/reports', { cookie: A.cookie, body: { about: 'conversation_message', message: msgB, kind: 'confidentiality_concern', reason: 'Again.' } });
    assert.equal(twin.status, 200);
    assert.equal(twin.json.id, id);
    const note = await frame(mws, 'notification', (f) => f.kind === 'report');
    assert.equal(note.report, id);

    for (const who of [A, B, F, X]) {
      const r = await api(srv, '/api/v1/reports', { cookie: who.cookie });
      assert.equal(r.status, 403, 'only managers see the queue');
      assert.equal((await api(srv, `/api/v1/reports/${id}`, { cookie: who.cookie })).status, 403);
      assert.equal((await api(srv, `/api/v1/reports/${id}/resolve`, { cookie: who.cookie, body: { note: 'x' } })).status, 403);
    }
    const auditBefore = Number(sql(path.join(srv.dataDir, 'hearth.db'), `SELECT count(*) FROM audit_log WHERE action = 'report_read' AND target_id = ${id}`));
    const queue = await api(srv, '/api/v1/reports', { cookie: M.cookie });
    assert.equal(queue.status, 200);
    const rep = queue.json.reports.find((x) => x.id === id);
    assert.equal(rep.quoted, 'Do not tell anyone, but Maya said her husband left.');
    assert.equal(rep.reporter.id, A.user.id);
    assert.equal(rep.person.id, B.user.id);
    assert.equal(rep.kind, 'confidentiality_concern');
    assert.equal(rep.group.id, g.group.id);
    const auditAfter = Number(sql(path.join(srv.dataDir, 'hearth.db'), `SELECT count(*) FROM audit_log WHERE action = 'report_read' AND target_id = ${id} AND actor_id = ${M.user.id}`));
    assert.equal(auditAfter, auditBefore + 1, 'every read by a manager is audited');

    // the reporter sees their report, without the manager's note
    let mine = await api(srv, '/api/v1/me/reports', { cookie: A.cookie });
    assert.deepEqual(mine.json.reports.map((x) => x.id), [id]);
    assert.equal(mine.json.reports[0].status, 'open');
    assert.equal((await api(srv, '/api/v1/me/reports', { cookie: B.cookie })).json.reports.length, 0);

    const aws = await connect(srv, A.cookie);
    const res = await api(srv, `/api/v1/reports/${id}/resolve`, { cookie: M.cookie, body: { note: 'Spoke to B about confidentiality.', reply: 'Thank you. We have dealt with it.' } });
    assert.equal(res.status, 200, res.text);
    assert.equal((await api(srv, `/api/v1/reports/${id}/resolve`, { cookie: M.cookie, body: { note: 'again' } })).status, 409);
    await frame(aws, 'notification', (f) => f.kind === 'report_resolved' && f.report === id);
    mine = await api(srv, '/api/v1/me/reports', { cookie: A.cookie });
    assert.equal(mine.json.reports[0].status, 'resolved');
    assert.equal(mine.json.reports[0].reply, 'Thank you. We have dealt with it.');
    assert.equal(mine.json.reports[0].note, undefined);
    assert.equal(mine.json.reports[0].quoted, undefined);
    const resolved = await api(srv, '/api/v1/reports?status=resolved', { cookie: M.cookie });
    assert.equal(resolved.json.reports.find((x) => x.id === id).note, 'Spoke to B about confidentiality.');
    await mws.close(); await aws.close();
  });

  test('a reporter may only report what they can see', async () => {
    const missing = await api(srv, '/api/v1/reports', { cookie: X.cookie, body: { about: 'conversation_message', message: 99999999, kind: 'other', reason: 'x' } });
    assert.equal(missing.status, 404);
    const r = await api(srv, '/api/v1/reports', { cookie: X.cookie, body: { about: 'conversation_message', message: msgB, kind: 'other', reason: 'x' } });
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, missing.json);
    assert.equal((await api(srv, '/api/v1/reports', { cookie: X.cookie, body: { about: 'user', user: A.user.id, kind: 'harassment', reason: 'x' } })).status, 404);
    // a person in your group can be reported
    const u = await api(srv, '/api/v1/reports', { cookie: A.cookie, body: { about: 'user', user: B.user.id, kind: 'harassment', reason: 'Unkind messages.' } });
    assert.equal(u.status, 201, u.text);
    assert.equal((await api(srv, '/api/v1/reports', { cookie: A.cookie, body: { about: 'user', user: A.user.id, kind: 'other', reason: 'x' } })).status, 400);
    // a board post of the group: its members may report it, others cannot see it
    const folders = (await api(srv, `/api/v1/groups/${g.group.id}/folders`, { cookie: B.cookie })).json.folders;
    const topic = await api(srv, `/api/v1/folders/${folders[0].id}/topics`, { cookie: B.cookie, body: { subject: 'About Tuesday', body: 'Names and details of someone outside the group.' } });
    assert.equal(topic.status, 201, topic.text);
    const post = topic.json.post.id;
    assert.equal((await api(srv, '/api/v1/reports', { cookie: X.cookie, body: { about: 'post', post, kind: 'other', reason: 'x' } })).status, 404);
    assert.equal((await api(srv, '/api/v1/reports', { cookie: A.cookie, body: { about: 'post', post: 99999999, kind: 'other', reason: 'x' } })).status, 404);
    const p = await api(srv, '/api/v1/reports', { cookie: A.cookie, body: { about: 'post', post, kind: 'confidentiality_concern', reason: 'This names someone.' } });
    assert.equal(p.status, 201, p.text);
    const pr = (await api(srv, `/api/v1/reports/${p.json.id}`, { cookie: M.cookie })).json;
    assert.equal(pr.quoted, 'Names and details of someone outside the group.');
    assert.equal(pr.person.id, B.user.id);
    assert.equal(pr.group.id, g.group.id);
    // bad input
    assert.equal((await api(srv, '/api/v1/reports', { cookie: A.cookie, body: { about: 'user', user: B.user.id, kind: 'nonsense', reason: 'x' } })).status, 400);
    assert.equal((await api(srv, '/api/v1/reports', { cookie: A.cookie, body: { about: 'user', user: B.user.id, kind: 'other' } })).status, 400);
    assert.equal((await api(srv, '/api/v1/reports', { cookie: A.cookie, body: { about: 'user', message: 1, kind: 'other', reason: 'x' } })).status, 400);
  });

  test('a live message can be reported by those in the session, not by others', async () => {
    const session = await openSession(srv, g.group, F);
    const a = await connect(srv, A.cookie);
    await join(a, session);
    a.send({ type: 'say', session, client_id: 's-1', text: 'Something hurtful.' });
    const ack = await frame(a, 'ack', (f) => f.client_id === 's-1');
    const r = await api(srv, '/api/v1/reports', { cookie: B.cookie, body: { about: 'live_message', session, seq: ack.seq, kind: 'harassment', reason: 'That was hurtful.' } });
    assert.equal(r.status, 201, r.text);
    assert.equal((await api(srv, '/api/v1/reports', { cookie: X.cookie, body: { about: 'live_message', session, seq: ack.seq, kind: 'harassment', reason: 'x' } })).status, 404);
    const rep = (await api(srv, `/api/v1/reports/${r.json.id}`, { cookie: M.cookie })).json;
    assert.equal(rep.quoted, 'Something hurtful.');
    assert.equal(rep.person.id, A.user.id);
    await a.close();
  });
});

test('dm_send is rate limited like say', async () => {
  const srv = await startServer({ args: [...FAST_HASH, '--live-rate-burst', '2', '--live-rate-per-min', '1'] });
  try {
    const g = await makeGroup(srv, { members: 2 });
    const [A, B] = g.members;
    const conv = await startConversation(srv, A, [B]);
    const a = await connect(srv, A.cookie);
    await dm(a, conv, 'r-1', 'one');
    await dm(a, conv, 'r-2', 'two');
    a.send({ type: 'dm_send', conversation: conv, client_id: 'r-3', text: 'three', ref: 'r3' });
    assert.equal((await frame(a, 'error', (f) => f.ref === 'r3')).code, 'rate_limited');
    const h = await api(srv, `/api/v1/conversations/${conv}/messages`, { cookie: A.cookie, body: { client_id: 'r-4', text: 'four' } });
    assert.equal(h.status, 429);
    assert.equal(sql(path.join(srv.dataDir, 'hearth.db'), `SELECT count(*) FROM conversation_messages WHERE conversation_id = ${conv}`), '2');
    await a.close();
  } finally {
    await srv.stop(); srv.cleanup();
  }
});
