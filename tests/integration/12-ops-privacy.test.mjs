// 12-ops-privacy — TLS (HTTPS and WSS with the development certificate,
// Secure __Host- cookies, HSTS, https Origins, TLS 1.1 refused), retention
// (the daily purge by the server's clock, `hearth purge`), erasure leaving
// nothing of a person in the database file, aggregate statistics with small
// numbers suppressed, and the live figures in /metrics.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import {
  startServer, api, signUp, advanceClock, sql, runHearth, metric, cookieOf, tempDir, waitFor, WEB_ROOT, FAST_HASH,
} from './helper.mjs';
import { connect, join, makeGroup, openSession, sleep } from './live-helper.mjs';

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const db = (srv) => path.join(srv.dataDir, 'hearth.db');

/** Stop and remove a server when the test ends, however it ends. */
function owned(t, srv) {
  t.after(async () => {
    const { code, signal } = await srv.stop();
    srv.cleanup();
    assert.ok(code === 0, `server exit ${code} ${signal}:\n${srv.logs().slice(-3000)}`);
  });
  return srv;
}

describe('TLS with --tls-self-signed', () => {
  let srv, ca, origin;

  /** One HTTPS request trusting only the server's own certificate. */
  function request(pathname, { method = 'GET', body, cookie, headers = {}, originHdr } = {}) {
    const h = { ...headers };
    if (cookie) h.cookie = cookie;
    if (method !== 'GET') h.origin = originHdr ?? origin;
    let data;
    if (body !== undefined) {
      data = JSON.stringify(body);
      h['content-type'] = 'application/json';
      h['content-length'] = Buffer.byteLength(data);
    }
    return new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: srv.port, path: pathname, method, headers: h, ca }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { text += c; });
        res.on('end', () => {
          let json;
          try { json = JSON.parse(text); } catch { json = undefined; }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  /** Open wss:///ws; resolves to {ws, frames, next(type)} once welcome came, or rejects. */
  function wss(cookie, originHdr = origin) {
    const ws = new WebSocket(`wss://127.0.0.1:${srv.port}/ws`, 'hearth.v1', { ca, headers: { cookie, origin: originHdr } });
    const frames = [];
    const c = {
      ws, frames,
      async next(type) {
        return waitFor(() => frames.find((f) => f.type === type), `a ${type} frame`);
      },
    };
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => reject(new Error(`upgrade refused ${res.statusCode}`)));
      c.next('welcome').then(() => resolve(c), reject);
    });
  }

  /** A TLS handshake limited to one protocol version: 'ok TLSv1.x' or the error code. */
  function handshake(version) {
    return new Promise((resolve) => {
      const s = tls.connect({
        host: '127.0.0.1', port: srv.port, ca, minVersion: version, maxVersion: version,
        ciphers: 'DEFAULT@SECLEVEL=0', // this client would try; the server must refuse
      });
      s.on('secureConnect', () => { resolve(`ok ${s.getProtocol()}`); s.end(); });
      s.on('error', (e) => resolve(e.code || e.message));
    });
  }

  before(async () => {
    srv = await startServer({ args: [...FAST_HASH, '--tls-self-signed'] });
    origin = `https://127.0.0.1:${srv.port}`;
    ca = readFileSync(path.join(srv.dataDir, 'tls', 'cert.pem'));
  });
  after(async () => {
    const { code } = await srv.stop();
    assert.equal(code, 0, srv.logs().slice(-2000));
    srv.cleanup();
  });

  test('the certificate is made in DATA/tls with a private key only the server reads', () => {
    const dir = path.join(srv.dataDir, 'tls');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(dir, 'key.pem')).mode & 0o777, 0o600);
    assert.match(srv.logs(), /event=tls_self_signed .*made=1/);
    assert.match(srv.logs(), /event=listening .*tls=on/);
  });

  test('HTTPS answers with HSTS, and a session cookie that is Secure and __Host-', async () => {
    const h = await request('/healthz');
    assert.equal(h.status, 200);
    assert.equal(h.json.status, 'ok');
    assert.match(h.headers['strict-transport-security'], /^max-age=\d{7,}/);
    const u = { username: `tls${process.pid}`, password: 'a long enough password here', email: `tls${process.pid}@example.org`, display_name: 'Tess' };
    const reg = await request('/api/v1/register', { method: 'POST', body: u });
    assert.equal(reg.status, 201, reg.text);
    const login = await request('/api/v1/login', { method: 'POST', body: { username: u.username, password: u.password } });
    assert.equal(login.status, 200, login.text);
    const setCookie = login.headers['set-cookie'][0];
    assert.match(setCookie, /^__Host-hearth_session=[^;]+; Path=\//);
    assert.match(setCookie, /; Secure/);
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.doesNotMatch(setCookie, /Domain=/i, '__Host- cookies carry no Domain');
    const cookie = setCookie.split(';')[0];
    const me = await request('/api/v1/me', { cookie });
    assert.equal(me.status, 200);
    assert.equal(me.json.username, u.username);
    // the allowed Origin is the https one; the http one is another origin
    const bad = await request('/api/v1/logout', { method: 'POST', cookie, body: {}, originHdr: `http://127.0.0.1:${srv.port}` });
    assert.equal(bad.status, 403);
    assert.equal(bad.json.error.code, 'bad_origin');
    // the cookie name the server hands out under TLS is the one it reads
    const plainName = await request('/api/v1/me', { cookie: cookie.replace('__Host-', '') });
    assert.equal(plainName.status, 401);
  });

  test('WSS: welcome, a frame answered, and a wrong Origin refused', async () => {
    const { cookie } = await (async () => {
      const u = { username: `wss${process.pid}`, password: 'a long enough password here', email: `wss${process.pid}@example.org`, display_name: 'Wes' };
      assert.equal((await request('/api/v1/register', { method: 'POST', body: u })).status, 201);
      const r = await request('/api/v1/login', { method: 'POST', body: { username: u.username, password: u.password } });
      return { cookie: r.headers['set-cookie'][0].split(';')[0] };
    })();
    const c = await wss(cookie);
    c.ws.send(JSON.stringify({ type: 'join', session: 999999, ref: 'r1' }));
    const err = await c.next('error');
    assert.equal(err.code, 'not_found');
    assert.equal(err.ref, 'r1');
    c.ws.close();
    await assert.rejects(wss(cookie, `http://127.0.0.1:${srv.port}`), /upgrade refused|socket hang up|Unexpected server response/);
  });

  test('TLS 1.0 and 1.1 are refused by the server; 1.2 and 1.3 are spoken', async () => {
    // a protocol_version alert is the server saying no (not this client)
    assert.equal(await handshake('TLSv1'), 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    assert.equal(await handshake('TLSv1.1'), 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    assert.equal(await handshake('TLSv1.2'), 'ok TLSv1.2');
    assert.equal(await handshake('TLSv1.3'), 'ok TLSv1.3');
  });

  test('a restart reuses the certificate while it is valid', async () => {
    const before1 = readFileSync(path.join(srv.dataDir, 'tls', 'cert.pem'), 'utf8');
    await srv.stop();
    srv = await startServer({ dataDir: srv.dataDir, args: [...FAST_HASH, '--tls-self-signed'] });
    assert.match(srv.logs(), /event=tls_self_signed .*made=0/);
    assert.equal(readFileSync(path.join(srv.dataDir, 'tls', 'cert.pem'), 'utf8'), before1);
    origin = `https://127.0.0.1:${srv.port}`;
    assert.equal((await request('/healthz')).status, 200);
  });

  test('bad TLS settings stop start-up with a clear message', () => {
    const r = runHearth(['serve', '--data', srv.dataDir, '--tls-cert', '/nonexistent/cert.pem']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\[tls\] cert and key must be given together/);
    const other = tempDir('hearth-tls-');
    const r2 = runHearth(['serve', '--listen', '127.0.0.1:0', '--data', other, '--web-root', WEB_ROOT,
      '--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem']);
    rmSync(other, { recursive: true, force: true });
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /TLS: cannot read a PEM certificate from \/nonexistent\/cert\.pem/);
  });
});

describe('retention', () => {
  /** The application of a member in a group (the facilitator's view). */
  async function application(srv, fac, memberId) {
    const list = await api(srv, '/api/v1/applications', { cookie: fac.cookie });
    assert.equal(list.status, 200, list.text);
    const items = list.json.applications ?? list.json;
    const mine = items.find((a) => a.applicant.id === memberId);
    return (await api(srv, `/api/v1/applications/${mine.id}`, { cookie: fac.cookie })).json;
  }
  /** Log in again (the clock moved past the session's end). */
  async function relogin(srv, who) {
    const r = await api(srv, '/api/v1/login', { body: { username: who.creds.username, password: who.creds.password } });
    assert.equal(r.status, 200, r.text);
    who.cookie = cookieOf(r);
  }
  const purges = (srv) => sql(db(srv), "SELECT detail FROM audit_log WHERE action = 'purge' ORDER BY id")
    .split('\n').filter(Boolean).map((l) => JSON.parse(l));

  test('the daily purge wipes GP details two years after a membership ended, and keeps recent ones', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    const g = await makeGroup(srv, { members: 2 });
    const [a, b] = g.members;
    // the first run happens at start (none ever ran): nothing to do yet
    await waitFor(() => purges(srv).length >= 1, 'the first purge');
    assert.deepEqual(purges(srv)[0], { screening: 0, closed_applications: 0, sessions: 0, mail: 0, spool_files: 0, years: 2 });

    const end = async (m) => {
      const r = await api(srv, `/api/v1/groups/${g.group.id}/members/${m.user.id}/end`, { cookie: g.facilitator.cookie, body: {} });
      assert.equal(r.status, 200, r.text);
    };
    await end(a);
    await advanceClock(srv, YEAR);
    await relogin(srv, g.facilitator);
    await end(b);
    await advanceClock(srv, YEAR + 5 * DAY); // a: two years and a few days ago; b: one year and a few days
    await waitFor(() => purges(srv).some((p) => p.screening === 1), 'a purge that wiped one application');
    // logged once its transaction committed, which the audit row above may beat
    await waitFor(() => /event=purge_done screening=1 closed_applications=0 sessions=\d+ mail=\d+ spool_files=\d+ years=2/.test(srv.logs()), 'the purge logged');

    const cells = (m) => sql(db(srv), `SELECT gp_contact IS NULL, answers IS NULL, notes IS NULL, screening_purged_at IS NOT NULL FROM applications WHERE user_id = ${m.user.id}`);
    assert.equal(cells(a), '1|1|1|1');
    assert.equal(cells(b), '0|0|1|0', 'the one ended a year ago keeps its GP details');
    await relogin(srv, g.facilitator);
    const appA = await application(srv, g.facilitator, a.user.id);
    assert.equal(appA.gp, null);
    assert.equal(appA.screening_purged, true);
    assert.equal(appA.status, 'approved', 'the record of the application stays');
    const appB = await application(srv, g.facilitator, b.user.id);
    assert.equal(appB.gp.name, 'Dr Test');
    // expired log-in sessions went too
    assert.ok(purges(srv).some((p) => p.sessions >= 1));

    // one more year: b's turn, at the next daily run
    await advanceClock(srv, YEAR);
    await waitFor(() => cells(b) === '1|1|1|1', "b's application wiped a year later");
  });

  test('`hearth purge` applies the same rules from the command line and prints the counts', async (t) => {
    const srv = await startServer({ args: FAST_HASH });
    t.after(() => srv.cleanup());
    const g = await makeGroup(srv, { members: 2 });
    const [a, b] = g.members;
    for (const m of [a, b]) {
      const r = await api(srv, `/api/v1/groups/${g.group.id}/members/${m.user.id}/end`, { cookie: g.facilitator.cookie, body: {} });
      assert.equal(r.status, 200, r.text);
    }
    // a referred applicant
    const c = await signUp(srv);
    const app = await api(srv, `/api/v1/groups/${g.group.id}/applications`, { cookie: c.cookie, body: { answers: [], age_band: '25-34', gp: { name: 'Dr Refer', practice: 'P', phone: '1' } } });
    assert.equal(app.status, 201, app.text);
    const ref = await api(srv, `/api/v1/applications/${app.json.id}/decision`, { cookie: g.facilitator.cookie, body: { decision: 'refer', message: 'Another service would suit you better.' } });
    assert.equal(ref.status, 200, ref.text);
    assert.equal((await srv.stop()).code, 0);
    // the command line runs on the real clock: move a's membership and c's decision three years back
    const back = 3 * YEAR + DAY;
    sql(db(srv), `UPDATE memberships SET ended_at = ended_at - ${back} WHERE user_id = ${a.user.id}`);
    sql(db(srv), `UPDATE applications SET decided_at = decided_at - ${back}, updated_at = updated_at - ${back} WHERE user_id = ${c.user.id}`);
    sql(db(srv), `UPDATE auth_sessions SET expires_at = 1 WHERE user_id = ${b.user.id}`);
    // mail: one sent 31 days ago (its outbox row and its spooled copy), one sent
    // 29 days ago, one given up 31 days ago, one still waiting from long ago
    const spool = path.join(srv.dataDir, 'mail');
    const ago = (days) => Date.now() - days * DAY;
    const stamp = (ms) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const mail = (id, { sent, created, next }) => sql(db(srv), 'INSERT INTO mail_outbox (id, user_id, kind, subject, body, created_at, next_attempt_at, sent_at)' +
      ` VALUES (${id}, ${a.user.id}, 'test', 'Subject', 'Body', ${created}, ${next ?? 'NULL'}, ${sent ?? 'NULL'})`);
    mail(9001, { created: ago(31), sent: ago(31) });
    mail(9002, { created: ago(29), sent: ago(29) });
    mail(9003, { created: ago(31) });
    mail(9004, { created: ago(40), next: ago(1) });
    const oldFile = `${stamp(ago(31))}-9001.eml`, newFile = `${stamp(ago(29))}-9002.eml`;
    mkdirSync(spool, { recursive: true });
    for (const f of [oldFile, newFile, 'notes.txt']) writeFileSync(path.join(spool, f), 'To: someone@example.org\r\n');

    const r = runHearth(['purge', '--data', srv.dataDir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ended memberships' applications wiped: 1$/m);
    assert.match(r.stdout, /closed applications wiped: 1$/m);
    assert.match(r.stdout, /expired log-in sessions deleted: [1-9]\d*$/m);
    assert.match(r.stdout, /mail sent or given up over 30 days ago deleted: 2$/m);
    assert.match(r.stdout, /spooled mail files over 30 days old removed: 1$/m);
    assert.equal(sql(db(srv), 'SELECT group_concat(id) FROM (SELECT id FROM mail_outbox WHERE id > 9000 ORDER BY id)'), '9002,9004',
      'the recent one and the one still being tried stay');
    assert.equal(existsSync(path.join(spool, oldFile)), false);
    assert.ok(existsSync(path.join(spool, newFile)), 'recent spooled mail kept');
    assert.ok(existsSync(path.join(spool, 'notes.txt')), 'other files left alone');
    const gp = (m) => sql(db(srv), `SELECT gp_contact IS NULL FROM applications WHERE user_id = ${m.user.id}`);
    assert.equal(gp(a), '1');
    assert.equal(gp(b), '0');
    assert.equal(gp(c), '1');
    assert.equal(sql(db(srv), `SELECT message IS NULL FROM applications WHERE user_id = ${c.user.id}`), '1');
    assert.equal(sql(db(srv), `SELECT count(*) FROM auth_sessions WHERE user_id = ${b.user.id}`), '0');
    const last = sql(db(srv), "SELECT detail FROM audit_log WHERE action = 'purge' ORDER BY id DESC LIMIT 1");
    assert.deepEqual(JSON.parse(last).screening, 1);
    // a second run finds nothing; the usage errors
    const again = runHearth(['purge', '--data', srv.dataDir]);
    assert.match(again.stdout, /ended memberships' applications wiped: 0$/m);
    assert.equal(runHearth(['purge', 'now', '--data', srv.dataDir]).status, 2);
    assert.equal(runHearth(['purge', '--data', path.join(srv.dataDir, 'nothing-here')]).status, 1);
    assert.equal(runHearth(['verify', 'audit', '--data', srv.dataDir]).status, 0);
  });
});

describe('erasure leaves nothing of the person in the database', () => {
  const tag = `${process.pid}${Date.now() % 100000}`;
  const marks = {
    username: `quillonby${tag}`,
    display_name: `Ottilie Marchbank ${tag}`,
    email: `ottilie.${tag}@example.org`,
    gpName: `Dr Pemberton Ashdown ${tag}`,
    gpPractice: `Larkspur Lane Surgery ${tag}`,
    gpPhone: `01632 ${tag.slice(-6)}`,
    answer: `My private screening answer ${tag}`,
    notes: `Facilitator note about her ${tag}`,
    signature: `Warmly, O. ${tag}`,
  };
  let srv, g, victim, other, postId, topicId, session;

  before(async () => {
    srv = await startServer({ args: [...FAST_HASH, '--live-rate-burst', '50'] });
    g = await makeGroup(srv, { members: 1, slot: { screening_questions: ['What brings you here?'] } });
    other = g.members[0];
    // she signs up, applies with her GP's details, and is approved with notes
    victim = await signUp(srv, { username: marks.username, display_name: marks.display_name, email: marks.email });
    const app = await api(srv, `/api/v1/groups/${g.group.id}/applications`, {
      cookie: victim.cookie,
      body: { answers: [marks.answer], age_band: '35-44', gp: { name: marks.gpName, practice: marks.gpPractice, phone: marks.gpPhone } },
    });
    assert.equal(app.status, 201, app.text);
    assert.equal((await api(srv, `/api/v1/applications/${app.json.id}/notes`, { cookie: g.facilitator.cookie, body: { notes: marks.notes } })).status, 200);
    assert.equal((await api(srv, `/api/v1/applications/${app.json.id}/decision`, { cookie: g.facilitator.cookie, body: { decision: 'approve' } })).status, 200);
    assert.equal((await api(srv, '/api/v1/me', { method: 'PATCH', cookie: victim.cookie, body: { signature: marks.signature } })).status, 200);

    // a board post, and a reply to it
    const folders = await api(srv, `/api/v1/groups/${g.group.id}/folders`, { cookie: victim.cookie });
    const topic = await api(srv, `/api/v1/folders/${folders.json.folders[0].id}/topics`, { cookie: victim.cookie, body: { subject: 'Hello from me', body: 'The bluebells are out in the wood.' } });
    assert.equal(topic.status, 201, topic.text);
    topicId = topic.json.topic_id;
    postId = topic.json.post.id;

    // private messages both ways (she is offline when one arrives: a notification mail)
    const conv = await api(srv, '/api/v1/conversations', { cookie: victim.cookie, body: { participants: [other.user.id] } });
    assert.ok([200, 201].includes(conv.status), conv.text);
    for (const [who, id, text] of [[victim, 'v-1', 'Are you coming on Tuesday?'], [other, 'o-1', 'Yes, see you then.']]) {
      const m = await api(srv, `/api/v1/conversations/${conv.json.id}/messages`, { cookie: who.cookie, body: { client_id: id, text } });
      assert.ok([200, 201].includes(m.status), m.text);
    }

    // she speaks in a live session, which is sealed as a transcript
    session = await openSession(srv, g.group, g.facilitator);
    const fac = await connect(srv, g.facilitator.cookie);
    await join(fac, session);
    const v = await connect(srv, victim.cookie);
    await join(v, session);
    v.send({ type: 'say', session, client_id: 'v1', text: 'Thank you all for listening today.' });
    await v.next('ack', (f) => f.client_id === 'v1');
    fac.send({ type: 'mod', session, action: 'end' });
    await fac.next('session_state', (f) => f.state === 'closed');
    await v.close();
    await fac.close();
    await waitFor(async () => (await api(srv, `/api/v1/sessions/${session}/transcript?format=json`, { cookie: victim.cookie })).status === 200, 'the sealed transcript');
    const tr = await api(srv, `/api/v1/sessions/${session}/transcript?format=txt`, { cookie: other.cookie });
    assert.ok(tr.text.includes(marks.display_name), 'the transcript names her before erasure');

    // mail has been written to her (the application, the private message)
    await waitFor(() => Number(sql(db(srv), `SELECT count(*) FROM mail_outbox WHERE user_id = ${victim.user.id}`)) >= 1, 'mail to her');
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('after erasure, no name, address, GP detail or answer is left in hearth.db or its WAL', async () => {
    const er = await api(srv, '/api/v1/me', { method: 'DELETE', cookie: victim.cookie, body: { password: victim.creds.password } });
    assert.equal(er.status, 204, er.text);
    // what others still see reads "Former member"
    const tr = await api(srv, `/api/v1/sessions/${session}/transcript?format=txt`, { cookie: other.cookie });
    assert.ok(tr.text.includes('Former member'));
    assert.ok(tr.text.includes('Thank you all for listening today.'), 'her words stay in the group\'s record');
    const post = await api(srv, `/api/v1/topics/${topicId}`, { cookie: other.cookie });
    assert.ok(post.text.includes('Former member'), post.text.slice(0, 300));

    assert.equal((await srv.stop()).code, 0);
    const file = db(srv);
    const needles = Object.entries(marks).flatMap(([k, v]) => [[k, v], [`${k} (lower case)`, v.toLowerCase()]]);
    for (const f of [file, `${file}-wal`]) {
      if (!existsSync(f)) continue;
      const bytes = readFileSync(f);
      for (const [what, needle] of needles) {
        assert.equal(bytes.indexOf(Buffer.from(needle)), -1, `${what} "${needle}" is still in ${path.basename(f)}`);
      }
    }
    const id = victim.user.id;
    assert.equal(sql(file, `SELECT username, display_name IS NULL, email IS NULL, password_hash IS NULL FROM users WHERE id = ${id}`), `former-${id}|1|1|1`);
    assert.equal(sql(file, `SELECT count(*) FROM applications WHERE user_id = ${id} AND (gp_contact IS NOT NULL OR answers IS NOT NULL OR notes IS NOT NULL OR screening_purged_at IS NULL)`), '0');
    for (const table of ['mail_outbox', 'auth_sessions']) {
      assert.equal(sql(file, `SELECT count(*) FROM ${table} WHERE user_id = ${id}`), '0', table);
    }
    assert.equal(sql(file, `SELECT count(*) FROM memberships WHERE user_id = ${id} AND ended_at IS NULL`), '0');
    assert.equal(sql(file, `SELECT count(*) FROM conversation_participants WHERE user_id = ${id} AND left_at IS NULL`), '0');
    assert.equal(sql(file, `SELECT count(*) FROM transcripts WHERE canon LIKE '%${marks.display_name}%'`), '0');
    // the server starts again on the erased database
    srv = await startServer({ dataDir: srv.dataDir, args: FAST_HASH });
  });

  test('a quote of her post by someone else no longer names her, and still reads as a quote', async () => {
    // set up its own pair: quoter quotes author, author erases
    const s = await startServer({ args: FAST_HASH });
    try {
      const gg = await makeGroup(s, { members: 2 });
      const [author, quoter] = gg.members;
      const folders = await api(s, `/api/v1/groups/${gg.group.id}/folders`, { cookie: author.cookie });
      const fid = folders.json.folders[0].id;
      const t = await api(s, `/api/v1/folders/${fid}/topics`, { cookie: author.cookie, body: { subject: 'A topic to quote from', body: 'Words to quote.' } });
      assert.equal(t.status, 201, t.text);
      const q = await api(s, `/api/v1/topics/${t.json.topic_id}/posts`, { cookie: quoter.cookie, body: { body: 'Agreed.', quote: { post: t.json.post.id, text: 'Words to quote.' } } });
      assert.equal(q.status, 201, q.text);
      assert.equal((await api(s, '/api/v1/me', { method: 'DELETE', cookie: author.cookie, body: { password: author.creds.password } })).status, 204);
      const shown = await api(s, `/api/v1/posts/${q.json.id ?? q.json.post?.id}`, { cookie: quoter.cookie });
      assert.equal(shown.status, 200, shown.text);
      const post = shown.json.post ?? shown.json;
      assert.match(post.body, /^> \*\*Former member\*\* wrote/);
      assert.match(post.body, /Words to quote\./, 'the quoted words stay');
      assert.match(post.html, /<blockquote>/);
      assert.doesNotMatch(post.html, new RegExp(author.creds.display_name));
      await s.stop();
      const bytes = readFileSync(path.join(s.dataDir, 'hearth.db'));
      assert.equal(bytes.indexOf(Buffer.from(author.creds.display_name)), -1, 'the quoted author\'s name is gone');
    } finally {
      await s.stop();
      s.cleanup();
    }
  });
});

describe('aggregate statistics', () => {
  let srv, mgr;
  before(async () => {
    srv = await startServer({ args: FAST_HASH });
    // five patients aged 45-54 (makeGroup's applicants) and two carers aged 25-34
    const patients = await makeGroup(srv, { members: 5, category: 'patient' });
    mgr = patients.manager;
    const carers = await makeGroup(srv, { members: 0, category: 'caregiver' });
    for (let i = 0; i < 2; i++) {
      const m = await signUp(srv);
      const app = await api(srv, `/api/v1/groups/${carers.group.id}/applications`, { cookie: m.cookie, body: { answers: [], age_band: '25-34', gp: { name: 'Dr C', practice: 'P', phone: '1' } } });
      assert.equal(app.status, 201, app.text);
      assert.equal((await api(srv, `/api/v1/applications/${app.json.id}/decision`, { cookie: carers.facilitator.cookie, body: { decision: 'approve' } })).status, 200);
    }
    // a facilitator and a member are refused below
    srv.others = { fac: patients.facilitator, member: patients.members[0] };
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  const cell = (t, row, col) => t.cells[t.rows.indexOf(row)][t.columns.indexOf(col)];

  test('a cell of five is shown; a cell of two, and what would give it away, is suppressed', async () => {
    const r = await api(srv, '/api/v1/stats', { cookie: mgr.cookie });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.threshold, 5);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const m = r.json.members;
    assert.deepEqual(cell(m, 'patient', '45-54'), { value: 5, suppressed: false });
    assert.deepEqual(cell(m, 'caregiver', '25-34'), { value: null, suppressed: true });
    assert.deepEqual(cell(m, 'bereaved', '45-54'), { value: 0, suppressed: false }, 'zeros are shown');
    // the carers' total is 2: hidden too, and so is enough of the margins that 2 cannot be worked out
    assert.deepEqual(m.row_totals[m.rows.indexOf('caregiver')], { value: null, suppressed: true });
    // no row or column (margins included) hides exactly one entry: subtraction would give it back
    const lines = [
      ...m.cells.map((row, i) => [...row, m.row_totals[i]]),
      ...m.columns.map((_, j) => [...m.cells.map((row) => row[j]), m.column_totals[j]]),
      [...m.column_totals, m.total],
      [...m.row_totals, m.total],
    ];
    for (const line of lines) assert.notEqual(line.filter((e) => e.suppressed).length, 1, JSON.stringify(line));
    // no suppressed value leaks anywhere in the answer
    assert.equal(JSON.stringify(r.json.members).includes('"value":2'), false);
    // the other tables are there, in their shapes
    assert.ok(Array.isArray(r.json.sessions));
    assert.deepEqual(r.json.sessions.map((s) => s.category), ['patient', 'caregiver', 'bereaved', 'workshop', 'all']);
    assert.equal(r.json.board_posts.rows.length, 12);
    assert.deepEqual(r.json.board_posts.columns, ['patient', 'caregiver', 'bereaved', 'workshop', 'conversations', 'specialist']);
  });

  test('only the manager may read them', async () => {
    for (const who of [srv.others.fac, srv.others.member]) {
      const r = await api(srv, '/api/v1/stats', { cookie: who.cookie });
      assert.equal(r.status, 403);
      assert.equal(r.json.error.code, 'not_allowed');
    }
    assert.equal((await api(srv, '/api/v1/stats')).status, 401);
    const bad = await api(srv, '/api/v1/stats?months=99', { cookie: mgr.cookie });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'bad_field');
    const three = await api(srv, '/api/v1/stats?months=3', { cookie: mgr.cookie });
    assert.equal(three.json.board_posts.rows.length, 3);
  });
});

describe('live figures in /metrics', () => {
  test('rooms open, members present and messages stored', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    const g = await makeGroup(srv, { members: 2 });
    assert.equal(await metric(srv, 'hearth_live_rooms_open'), 0);
    assert.equal(await metric(srv, 'hearth_live_messages_total'), 0);
    const session = await openSession(srv, g.group, g.facilitator);
    const a = await connect(srv, g.members[0].cookie);
    await join(a, session);
    const b = await connect(srv, g.members[1].cookie);
    await join(b, session);
    for (let i = 0; i < 3; i++) {
      a.send({ type: 'say', session, client_id: `m${i}`, text: `hello ${i}` });
      await a.next('ack', (f) => f.client_id === `m${i}`);
    }
    assert.equal(await metric(srv, 'hearth_live_rooms_open'), 1);
    assert.equal(await metric(srv, 'hearth_live_members_present'), 2);
    assert.equal(await metric(srv, 'hearth_live_messages_total'), 3);
    // a re-sent say is stored once, and counted once
    a.send({ type: 'say', session, client_id: 'm0', text: 'hello 0' });
    await a.next('ack', (f) => f.client_id === 'm0');
    assert.equal(await metric(srv, 'hearth_live_messages_total'), 3);
    b.ws.terminate();
    await waitFor(async () => (await metric(srv, 'hearth_live_members_present')) === 1, 'one present after a drop');
    await a.close();
    const health = await api(srv, '/healthz');
    assert.equal(health.json.status, 'ok');
  });
});
