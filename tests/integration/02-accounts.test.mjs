// 02-accounts — register, log in, cookies, brute force, time-outs,
// password change, erasure, roles, avatars, and hashing off the loop.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  startServer, api, sql, newUser, signUp, cliUser, cookieOf, advanceClock, runHearth, FAST_HASH,
} from './helper.mjs';

// smallest valid PNG: signature, IHDR 1x1, IDAT, IEND
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489' +
  '0000000d4944415478da63f8cfc0f01f0005000201a5b0e1ed0000000049454e44ae426082', 'hex');

describe('accounts', () => {
  let srv;
  before(async () => { srv = await startServer({ args: FAST_HASH }); });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('register → login → me → logout → me is 401', async () => {
    const creds = newUser();
    const reg = await api(srv, '/api/v1/register', { body: creds });
    assert.equal(reg.status, 201, reg.text);
    assert.equal(reg.json.username, creds.username);
    assert.equal(reg.json.role, 'member');
    assert.equal(reg.json.password_hash, undefined);
    assert.equal(reg.headers.get('set-cookie'), null, 'registering does not log in');

    const login = await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } });
    assert.equal(login.status, 200, login.text);
    const cookie = cookieOf(login);
    assert.ok(cookie);
    const me = await api(srv, '/api/v1/me', { cookie });
    assert.equal(me.status, 200);
    assert.equal(me.json.display_name, creds.display_name);
    assert.equal(me.json.email, creds.email);

    const out = await api(srv, '/api/v1/logout', { method: 'POST', cookie });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie'), /Max-Age=0/);
    const after = await api(srv, '/api/v1/me', { cookie });
    assert.equal(after.status, 401);
    assert.equal(after.json.error.code, 'not_logged_in');
  });

  test('registration rules give clear 400/409 codes and change nothing', async () => {
    const cases = [
      [{ username: 'ab' }, 'bad_username'],
      [{ username: 'has space' }, 'bad_username'],
      [{ username: 'x'.repeat(33) }, 'bad_username'],
      [{ password: 'short' }, 'weak_password'],
      [{ password: '1234567890' }, 'weak_password'],
      [{ email: 'not-an-email' }, 'bad_email'],
      [{ email: 'a@b' }, 'bad_email'],
      [{ display_name: '' }, 'bad_display_name'],
      [{ display_name: 'x'.repeat(65) }, 'bad_display_name'],
      [{ password: 'p'.repeat(1025) }, 'password_too_long'],
    ];
    for (const [over, code] of cases) {
      const res = await api(srv, '/api/v1/register', { body: newUser(over) });
      assert.equal(res.status, 400, `${JSON.stringify(over)}: ${res.text}`);
      assert.equal(res.json.error.code, code, JSON.stringify(over));
    }
    const same = newUser({ username: 'samename' });
    same.password = 'samename';
    const sameRes = await api(srv, '/api/v1/register', { body: { ...same, password: 'SameName' } });
    assert.equal(sameRes.json.error.code, 'weak_password');
    const missing = await api(srv, '/api/v1/register', { body: { username: 'someone' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error.code, 'missing_field');
  });

  test('an over-long field gets its own rule\'s code, not missing_field; an absent one does', async () => {
    const cases = [
      [{ username: 'u'.repeat(65) }, 'bad_username'],
      [{ username: 'u'.repeat(500) }, 'bad_username'],
      [{ password: 'p'.repeat(1026) }, 'password_too_long'],
      [{ password: 'p'.repeat(4000) }, 'password_too_long'],
      [{ email: `${'e'.repeat(250)}@example.org` }, 'bad_email'],
      [{ display_name: 'd'.repeat(257) }, 'bad_display_name'],
      [{ display_name: 'é'.repeat(200) }, 'bad_display_name'],
    ];
    const db = path.join(srv.dataDir, 'hearth.db');
    const accounts = sql(db, 'SELECT count(*) FROM users');
    for (const [over, code] of cases) {
      const res = await api(srv, '/api/v1/register', { body: newUser(over) });
      const what = `${Object.keys(over)[0]} of ${[...Object.values(over)[0]].length} characters`;
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.equal(res.json.error.code, code, what);
    }
    assert.equal(sql(db, 'SELECT count(*) FROM users'), accounts, 'no account was made');
    for (const field of ['username', 'password', 'email', 'display_name']) {
      const body = newUser();
      delete body[field];
      const absent = await api(srv, '/api/v1/register', { body });
      assert.equal(absent.json.error.code, 'missing_field', `${field} absent`);
      const notString = await api(srv, '/api/v1/register', { body: { ...newUser(), [field]: 12 } });
      assert.equal(notString.json.error.code, 'missing_field', `${field} not a string`);
    }
  });

  test('usernames are unique case-insensitively', async () => {
    const a = newUser();
    assert.equal((await api(srv, '/api/v1/register', { body: a })).status, 201);
    const b = newUser({ username: a.username.toUpperCase() });
    const res = await api(srv, '/api/v1/register', { body: b });
    assert.equal(res.status, 409);
    assert.equal(res.json.error.code, 'username_taken');
    // and the mixed-case name logs in as the same account
    const login = await api(srv, '/api/v1/login', { body: { username: a.username.toUpperCase(), password: a.password } });
    assert.equal(login.status, 200);
  });

  test('a wrong password is 401 with the same message as an unknown user', async () => {
    const { creds } = await signUp(srv);
    const wrong = await api(srv, '/api/v1/login', { body: { username: creds.username, password: 'not the password at all' } });
    const unknown = await api(srv, '/api/v1/login', { body: { username: 'nobody-like-this', password: 'not the password at all' } });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(wrong.json, unknown.json);
    assert.equal(wrong.headers.get('set-cookie'), null);
  });

  test('the session cookie is HttpOnly, SameSite=Strict, Path=/; remember me persists', async () => {
    const creds = newUser();
    await api(srv, '/api/v1/register', { body: creds });
    const plain = await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } });
    const sc = plain.headers.get('set-cookie');
    assert.match(sc, /^hearth_session=[A-Za-z0-9_-]{43};/);
    assert.match(sc, /; HttpOnly/);
    assert.match(sc, /; SameSite=Strict/);
    assert.match(sc, /; Path=\//);
    assert.doesNotMatch(sc, /Max-Age|Expires/, 'without remember me it ends with the browser');
    assert.doesNotMatch(sc, /Secure/, 'plain HTTP has no Secure cookie');
    const rem = await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password, remember: true } });
    assert.match(rem.headers.get('set-cookie'), /Max-Age=2592000/);
    assert.notEqual(cookieOf(rem), cookieOf(plain), 'a new token at every log-in');
  });

  test('only a hash of the token is stored', async () => {
    const { cookie } = await signUp(srv);
    const token = cookie.split('=')[1];
    // read through a second connection while the server runs (WAL allows it)
    const hashes = sql(path.join(srv.dataDir, 'hearth.db'), 'SELECT token_hash FROM auth_sessions');
    assert.doesNotMatch(hashes, new RegExp(token));
    assert.match(hashes, /^[0-9a-f]{64}$/m);
  });

  test('a cross-origin state change is refused 403 and changes nothing', async () => {
    const { cookie } = await signUp(srv);
    const res = await api(srv, '/api/v1/me', { method: 'PATCH', cookie, body: { signature: 'changed!' }, origin: 'http://attacker.example' });
    assert.equal(res.status, 403);
    assert.equal(res.json.error.code, 'bad_origin');
    const me = await api(srv, '/api/v1/me', { cookie });
    assert.equal(me.json.signature, '');
    const noOrigin = await api(srv, '/api/v1/logout', { method: 'POST', cookie, origin: null });
    assert.equal(noOrigin.status, 403);
    assert.equal((await api(srv, '/api/v1/me', { cookie })).status, 200, 'still logged in');
  });

  test('profile updates validate every field and reject unknown ones', async () => {
    const { cookie } = await signUp(srv);
    const ok = await api(srv, '/api/v1/me', { method: 'PATCH', cookie, body: { display_name: 'New Name', signature: 'Take care', research_consent: true, digest_opt_out: true } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.display_name, 'New Name');
    assert.equal(ok.json.research_consent, true);
    for (const [body, code] of [[{ email: 'nope' }, 'bad_email'], [{ role: 'manager' }, 'unknown_field'],
      [{ research_consent: 'yes' }, 'bad_field'], [{ display_name: 'a\u0007b' }, 'bad_display_name']]) {
      const res = await api(srv, '/api/v1/me', { method: 'PATCH', cookie, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.error.code, code);
    }
    assert.equal((await api(srv, '/api/v1/me', { cookie })).json.role, 'member');
  });

  test('password change needs the old one and ends every other session', async () => {
    const { creds, cookie: a } = await signUp(srv);
    const b = cookieOf(await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } }));
    const wrong = await api(srv, '/api/v1/me/password', { cookie: a, body: { old_password: 'not my password', new_password: 'a brand new password' } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json.error.code, 'wrong_password');
    assert.equal((await api(srv, '/api/v1/me', { cookie: b })).status, 200, 'a refused change ends nothing');

    const ok = await api(srv, '/api/v1/me/password', { cookie: a, body: { old_password: creds.password, new_password: 'a brand new password' } });
    assert.equal(ok.status, 204, ok.text);
    assert.equal((await api(srv, '/api/v1/me', { cookie: a })).status, 200, 'this session goes on');
    assert.equal((await api(srv, '/api/v1/me', { cookie: b })).status, 401, 'the other one ended');
    assert.equal((await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } })).status, 401);
    assert.equal((await api(srv, '/api/v1/login', { body: { username: creds.username, password: 'a brand new password' } })).status, 200);
  });

  test('roles: only managers change them, and the last manager stays', async () => {
    const boss = await cliUser(srv, 'manager');
    const { user, cookie } = await signUp(srv);
    const denied = await api(srv, `/api/v1/users/${user.id}/role`, { method: 'PUT', cookie, body: { role: 'manager' } });
    assert.equal(denied.status, 403);
    assert.equal((await api(srv, '/api/v1/me', { cookie })).json.role, 'member');

    const ok = await api(srv, `/api/v1/users/${user.id}/role`, { method: 'PUT', cookie: boss.cookie, body: { role: 'facilitator' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await api(srv, '/api/v1/me', { cookie })).json.role, 'facilitator');
    const bad = await api(srv, `/api/v1/users/${user.id}/role`, { method: 'PUT', cookie: boss.cookie, body: { role: 'king' } });
    assert.equal(bad.json.error.code, 'bad_role');
    const missing = await api(srv, '/api/v1/users/999999/role', { method: 'PUT', cookie: boss.cookie, body: { role: 'member' } });
    assert.equal(missing.status, 404);
    // the only manager of this server cannot demote themself
    const last = await api(srv, `/api/v1/users/${boss.user.id}/role`, { method: 'PUT', cookie: boss.cookie, body: { role: 'member' } });
    assert.equal(last.status, 409);
    assert.equal(last.json.error.code, 'last_manager');
  });

  test('avatars: checked by their bytes and size, shown to self and staff only', async () => {
    const { user, cookie } = await signUp(srv);
    const put = (body) => api(srv, '/api/v1/me/avatar', { method: 'PUT', cookie, body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal((await put(PNG)).status, 204);
    const got = await api(srv, `/api/v1/users/${user.id}/avatar`, { cookie });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/png');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    const text = await put(Buffer.from('this is not a picture, whatever its name says'));
    assert.equal(text.status, 415);
    const big = Buffer.concat([PNG, Buffer.alloc(129 * 1024)]);
    assert.equal((await put(big)).status, 413);
    assert.equal((await put(Buffer.alloc(0))).status, 400);
    // another member sees no picture: the same answer as no picture at all
    const other = await signUp(srv);
    const hidden = await api(srv, `/api/v1/users/${user.id}/avatar`, { cookie: other.cookie });
    const none = await api(srv, '/api/v1/users/999999/avatar', { cookie: other.cookie });
    assert.equal(hidden.status, 404);
    assert.deepEqual(hidden.json, none.json);
    const staff = await cliUser(srv, 'facilitator');
    assert.equal((await api(srv, `/api/v1/users/${user.id}/avatar`, { cookie: staff.cookie })).status, 200);
  });

  test('every protected route refuses a missing or forged cookie', async () => {
    for (const [method, p] of [['GET', '/api/v1/me'], ['PATCH', '/api/v1/me'], ['POST', '/api/v1/logout'],
      ['POST', '/api/v1/me/password'], ['DELETE', '/api/v1/me'], ['PUT', '/api/v1/users/1/role']]) {
      for (const cookie of [undefined, 'hearth_session=' + 'A'.repeat(43), 'hearth_session=short']) {
        const res = await api(srv, p, { method, cookie, body: method === 'GET' ? undefined : {} });
        assert.equal(res.status, 401, `${method} ${p} ${cookie}`);
        assert.equal(res.json.error.code, 'not_logged_in');
      }
    }
  });
});

describe('sessions end by time', () => {
  let srv;
  before(async () => { srv = await startServer({ args: FAST_HASH }); });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('a session idle past the time-out is refused; remember me is not', async () => {
    const { creds, cookie } = await signUp(srv);
    const remembered = cookieOf(await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password, remember: true } }));
    await advanceClock(srv, 29 * 60_000);
    assert.equal((await api(srv, '/api/v1/me', { cookie })).status, 200, 'activity within 30 minutes');
    await advanceClock(srv, 31 * 60_000);
    const res = await api(srv, '/api/v1/me', { cookie });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.code, 'session_expired');
    assert.equal((await api(srv, '/api/v1/me', { cookie })).json.error.code, 'not_logged_in', 'the row is gone');
    assert.equal((await api(srv, '/api/v1/me', { cookie: remembered })).status, 200);
  });

  test('the absolute lifetime ends even an active session', async () => {
    const { cookie } = await signUp(srv);
    for (let i = 0; i < 26; i++) {
      await advanceClock(srv, 29 * 60_000);
      const r = await api(srv, '/api/v1/me', { cookie });
      if (r.status === 401) {
        assert.ok(i >= 24, `ended after ${i} half-hours`);
        return;
      }
    }
    assert.fail('a 12 h session lived past 12.5 h');
  });
});

describe('brute force', () => {
  test('the 6th rapid failed log-in gets 429 with Retry-After, even with the right password', async () => {
    const srv = await startServer({ args: FAST_HASH });
    try {
      const { creds } = await signUp(srv);
      for (let i = 1; i <= 5; i++) {
        const r = await api(srv, '/api/v1/login', { body: { username: creds.username, password: `wrong guess ${i}` } });
        assert.equal(r.status, 401, `attempt ${i}`);
      }
      const sixth = await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } });
      assert.equal(sixth.status, 429);
      assert.equal(sixth.json.error.code, 'too_many_attempts');
      const wait = Number(sixth.headers.get('retry-after'));
      assert.ok(wait > 0 && wait <= 900, `Retry-After ${wait}`);
      await advanceClock(srv, (wait + 1) * 1000);
      const later = await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } });
      assert.equal(later.status, 200, 'allowed again after the delay');
    } finally { await srv.stop(); srv.cleanup(); }
  });

  test('log-ins are audit-logged without the password', async () => {
    const srv = await startServer({ args: FAST_HASH });
    const { creds } = await signUp(srv);
    await api(srv, '/api/v1/login', { body: { username: creds.username, password: 'definitely wrong' } });
    await srv.stop();
    const db = path.join(srv.dataDir, 'hearth.db');
    const rows = sql(db, "SELECT action, detail FROM audit_log WHERE action LIKE 'login%' ORDER BY id");
    assert.match(rows, /^login\|\{"ip":"127\.0\.0\.1"\}$/m);
    assert.match(rows, /^login_failed\|\{"ip":"127\.0\.0\.1"\}$/m);
    const all = readFileSync(db);
    assert.equal(all.indexOf(Buffer.from(creds.password)), -1);
    assert.equal(all.indexOf(Buffer.from('definitely wrong')), -1);
    srv.cleanup();
  });
});

describe('erasure', () => {
  test('removes e-mail, display name and username from the database file', async () => {
    const srv = await startServer({ args: FAST_HASH });
    const marker = `Zebedee${process.pid}Quill`;
    const { creds, cookie } = await signUp(srv, { display_name: marker, email: `${marker.toLowerCase()}@example.org`, username: marker.toLowerCase() });
    await api(srv, '/api/v1/me/avatar', { method: 'PUT', cookie, body: PNG });
    const refused = await api(srv, '/api/v1/me', { method: 'DELETE', cookie, body: { password: 'not it at all' } });
    assert.equal(refused.status, 403);
    const res = await api(srv, '/api/v1/me', { method: 'DELETE', cookie, body: { password: creds.password } });
    assert.equal(res.status, 204, res.text);
    assert.equal((await api(srv, '/api/v1/me', { cookie })).status, 401, 'logged out everywhere');
    assert.equal((await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } })).status, 401);
    await srv.stop();
    const db = path.join(srv.dataDir, 'hearth.db');
    for (const f of [db, db + '-wal']) {
      if (!existsSync(f)) continue;
      const bytes = readFileSync(f);
      for (const needle of [marker, marker.toLowerCase(), creds.email]) {
        assert.equal(bytes.indexOf(Buffer.from(needle)), -1, `${needle} still in ${path.basename(f)}`);
      }
    }
    assert.equal(sql(db, 'SELECT username, display_name IS NULL, email IS NULL FROM users'), 'former-1|1|1');
    srv.cleanup();
  });
});

describe('the loop never waits on hashing', () => {
  test('/healthz is answered while 20 log-ins with the real scrypt cost are hashing', async () => {
    const srv = await startServer();
    try {
      const creds = newUser();
      const reg = await api(srv, '/api/v1/register', { body: creds });
      assert.equal(reg.status, 201);
      let finished = 0;
      const logins = Array.from({ length: 20 }, () =>
        api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } })
          .then((r) => { finished += 1; return r; }));
      // health checks while the hashes run: each must come back before most log-ins finish
      const seen = [];
      for (let i = 0; i < 5; i++) {
        const h = await api(srv, '/healthz');
        assert.equal(h.status, 200);
        seen.push(finished);
      }
      const results = await Promise.all(logins);
      for (const r of results) assert.equal(r.status, 200);
      assert.ok(seen[seen.length - 1] < 15, `health answered while log-ins were queued (finished: ${seen})`);
      // the stored hash pins the format and the real parameters
      const hash = sql(path.join(srv.dataDir, 'hearth.db'), `SELECT password_hash FROM users WHERE username='${creds.username}'`);
      assert.match(hash, /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    } finally { await srv.stop(); srv.cleanup(); }
  });
});

describe('hearth user (CLI)', () => {
  test('add, passwd and role work on the data folder and refuse bad input', async () => {
    const srv = await startServer({ args: FAST_HASH });
    const dir = ['--data', srv.dataDir, '--testing', ...FAST_HASH];
    let r = runHearth(['user', 'add', 'cliperson', '--role', 'facilitator', ...dir], { input: 'a good long password\n' });
    assert.equal(r.status, 0, r.stderr);
    r = runHearth(['user', 'add', 'cliperson', '--role', 'member', ...dir], { input: 'a good long password\n' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /taken/);
    r = runHearth(['user', 'add', 'x', ...dir], { input: 'a good long password\n' });
    assert.equal(r.status, 2);
    r = runHearth(['user', 'add', 'weakling', ...dir], { input: 'short\n' });
    assert.equal(r.status, 1);
    let login = await api(srv, '/api/v1/login', { body: { username: 'cliperson', password: 'a good long password' } });
    assert.equal(login.json.user.role, 'facilitator');
    r = runHearth(['user', 'passwd', 'cliperson', ...dir], { input: 'another long password\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((await api(srv, '/api/v1/me', { cookie: cookieOf(login) })).status, 401, 'sessions ended');
    r = runHearth(['user', 'role', 'cliperson', 'member', ...dir]);
    assert.equal(r.status, 0, r.stderr);
    login = await api(srv, '/api/v1/login', { body: { username: 'cliperson', password: 'another long password' } });
    assert.equal(login.json.user.role, 'member');
    r = runHearth(['user', 'role', 'nobody', 'member', ...dir]);
    assert.equal(r.status, 1);
    await srv.stop();
    srv.cleanup();
  });
});
