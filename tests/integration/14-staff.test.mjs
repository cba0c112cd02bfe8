// 14-staff — the directory of staff accounts a manager chooses facilitators
// from (GET /api/v1/staff): managers only; facilitators and managers, each
// with the groups they facilitate, ordered by display name; no e-mail or
// other personal data; erased accounts and members are not listed.
// And giving someone a role by username (POST /api/v1/staff): managers
// only, audited, the person's sockets reconnect, the last manager stays.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, api, signUp, cliUser, sql, FAST_HASH } from './helper.mjs';
import { connect, sleep } from './live-helper.mjs';

let seq = 0;
function groupBody(facilitators) {
  seq += 1;
  return {
    name: `Staff test group ${seq}`, category: 'patient', timezone: 'Europe/London',
    weekday: 'monday', start_time: '18:00', cycle_start: '2027-03-01', facilitators,
  };
}

async function createGroup(srv, manager, facilitators) {
  const res = await api(srv, '/api/v1/groups', { cookie: manager.cookie, body: groupBody(facilitators) });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

/** Stop the server: under the sanitizers, a leak or undefined behaviour shows here. */
async function stopClean(srv) {
  const { code } = await srv.stop();
  srv.cleanup();
  assert.equal(code, 0, srv.logs().slice(-4000));
  assert.doesNotMatch(srv.logs(), /runtime error|Sanitizer/);
}

async function staffAs(srv, who) {
  const res = await api(srv, '/api/v1/staff', { cookie: who.cookie });
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.json.staff), res.text);
  return res.json.staff;
}

describe('staff directory', () => {
  let srv, manager, ben, amy, member;
  before(async () => {
    srv = await startServer({ args: FAST_HASH });
    // display names chosen so that the order by name differs from the order of ids
    manager = await cliUser(srv, 'manager', { display_name: 'Mo Manager' });
    ben = await cliUser(srv, 'facilitator', { display_name: 'ben Facilitator' });
    amy = await cliUser(srv, 'facilitator', { display_name: 'Amy Facilitator' });
    member = await signUp(srv, { display_name: 'Bea Member' });
  });
  after(() => stopClean(srv));

  test('a manager sees facilitators and managers with their groups, by name, without e-mail', async () => {
    const g1 = await createGroup(srv, manager, [ben.user.id]);
    const g2 = await createGroup(srv, manager, [ben.user.id, manager.user.id]);
    const res = await api(srv, '/api/v1/staff', { cookie: manager.cookie });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('cache-control') || '', /no-store/);
    const staff = res.json.staff;
    const ids = staff.map((s) => s.id);
    assert.deepEqual(ids, [amy.user.id, ben.user.id, manager.user.id],
      'facilitators and managers only, ordered by display name whatever its case');
    const byId = Object.fromEntries(staff.map((s) => [s.id, s]));
    assert.deepEqual(byId[ben.user.id], {
      id: ben.user.id, username: ben.creds.username, name: 'ben Facilitator', role: 'facilitator',
      groups: [g1.id, g2.id],
    });
    assert.deepEqual(byId[manager.user.id], {
      id: manager.user.id, username: manager.creds.username, name: 'Mo Manager', role: 'manager',
      groups: [g2.id],
    });
    assert.deepEqual(byId[amy.user.id].groups, [], 'a facilitator of no group yet');
    assert.equal(byId[amy.user.id].role, 'facilitator');
    for (const s of staff) {
      assert.deepEqual(Object.keys(s).sort(), ['groups', 'id', 'name', 'role', 'username'],
        `only what choosing a facilitator needs: ${JSON.stringify(s)}`);
    }
    assert.ok(!res.text.includes('@example.org'), 'no e-mail address anywhere');
    assert.ok(!ids.includes(member.user.id), 'members are not staff');
  });

  test('a member given the facilitator role is listed; one demoted is not', async () => {
    const promoted = await signUp(srv);
    const up = await api(srv, `/api/v1/users/${promoted.user.id}/role`,
      { method: 'PUT', cookie: manager.cookie, body: { role: 'facilitator' } });
    assert.equal(up.status, 200, up.text);
    let entry = (await staffAs(srv, manager)).find((s) => s.id === promoted.user.id);
    assert.equal(entry && entry.role, 'facilitator');
    const down = await api(srv, `/api/v1/users/${promoted.user.id}/role`,
      { method: 'PUT', cookie: manager.cookie, body: { role: 'member' } });
    assert.equal(down.status, 200, down.text);
    entry = (await staffAs(srv, manager)).find((s) => s.id === promoted.user.id);
    assert.equal(entry, undefined);
  });

  test('members and facilitators may not see it; without a log-in it is 401', async () => {
    for (const [who, label] of [[member, 'member'], [ben, 'facilitator']]) {
      const res = await api(srv, '/api/v1/staff', { cookie: who.cookie });
      assert.equal(res.status, 403, `${label}: ${res.text}`);
      assert.equal(res.json.error.code, 'not_allowed', label);
      assert.equal(typeof res.json.error.message, 'string');
      assert.equal(res.json.staff, undefined);
    }
    const anon = await api(srv, '/api/v1/staff');
    assert.equal(anon.status, 401, anon.text);
    assert.equal(anon.json.error.code, 'not_logged_in');
  });

  test('an erased facilitator is not listed', async () => {
    const gone = await cliUser(srv, 'facilitator', { display_name: 'Aaron Leaving' });
    await createGroup(srv, manager, [gone.user.id]);
    assert.ok((await staffAs(srv, manager)).some((s) => s.id === gone.user.id), 'listed at first');
    const erase = await api(srv, '/api/v1/me',
      { method: 'DELETE', cookie: gone.cookie, body: { password: gone.creds.password } });
    assert.equal(erase.status, 204, erase.text);
    const staff = await staffAs(srv, manager);
    assert.equal(staff.find((s) => s.id === gone.user.id), undefined);
    assert.ok(!staff.some((s) => /^former-/.test(s.username) || s.name === 'Former member'));
  });
});

/** POST /api/v1/staff as `who` (null: no cookie). */
function giveRole(srv, who, body, opts = {}) {
  return api(srv, '/api/v1/staff', { cookie: who && who.cookie, body, ...opts });
}

/** The audit rows of role changes of account `id`: "actor|detail", oldest first. */
function roleAudit(srv, id) {
  const out = sql(path.join(srv.dataDir, 'hearth.db'),
    `SELECT actor_id, detail FROM audit_log WHERE action = 'role_change' AND target_type = 'user'
     AND target_id = ${Number(id)} ORDER BY id`);
  return out ? out.split('\n') : [];
}

describe('giving someone a role by username', () => {
  let srv, manager, fac, member;
  before(async () => {
    srv = await startServer({ args: FAST_HASH });
    manager = await cliUser(srv, 'manager', { display_name: 'Rhian Manager' });
    fac = await cliUser(srv, 'facilitator');
    member = await signUp(srv);
  });
  after(() => stopClean(srv));

  test('a manager promotes a member by username in any case: audited, their socket reconnects, listed as staff', async () => {
    const person = await signUp(srv, { display_name: 'Dr Okafor' });
    const ws = await connect(srv, person.cookie);
    const mixed = person.creds.username.replace(/^user/, 'UsEr');
    assert.notEqual(mixed, person.creds.username);
    const res = await giveRole(srv, manager, { username: mixed, role: 'facilitator' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id: person.user.id, username: person.creds.username,
      name: 'Dr Okafor', role: 'facilitator', groups: [] }, 'the account as the staff list shows it');
    const closed = await Promise.race([ws.closedP, sleep(10_000).then(() => ({ code: 'still open' }))]);
    if (closed.code === 'still open') ws.ws.terminate();
    assert.equal(closed.code, 4002, 'the open WebSocket is closed: rights changed');
    assert.equal((await api(srv, '/api/v1/me', { cookie: person.cookie })).json.role, 'facilitator');
    const listed = (await staffAs(srv, manager)).find((s) => s.id === person.user.id);
    assert.deepEqual(listed, res.json);
    assert.deepEqual(roleAudit(srv, person.user.id), [`${manager.user.id}|{"to":"facilitator"}`]);

    // once they run a group, the answer names it, as the list does
    const g = await createGroup(srv, manager, [person.user.id]);
    const again = await giveRole(srv, manager, { username: person.creds.username.toUpperCase(), role: 'facilitator' });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json.groups, [g.id]);
    assert.deepEqual(again.json, (await staffAs(srv, manager)).find((s) => s.id === person.user.id));

    // and back to member: no longer staff
    const down = await giveRole(srv, manager, { username: person.creds.username, role: 'member' });
    assert.equal(down.status, 200, down.text);
    assert.equal(down.json.role, 'member');
    assert.equal((await staffAs(srv, manager)).find((s) => s.id === person.user.id), undefined);
    assert.equal(roleAudit(srv, person.user.id).at(-1), `${manager.user.id}|{"to":"member"}`);
  });

  test('unknown and erased usernames are 404 not_found', async () => {
    const unknown = await giveRole(srv, manager, { username: 'nobody-by-this-name', role: 'facilitator' });
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal(unknown.json.error.code, 'not_found');
    const gone = await signUp(srv);
    const erase = await api(srv, '/api/v1/me',
      { method: 'DELETE', cookie: gone.cookie, body: { password: gone.creds.password } });
    assert.equal(erase.status, 204, erase.text);
    for (const username of [gone.creds.username, `former-${gone.user.id}`]) {
      const res = await giveRole(srv, manager, { username, role: 'facilitator' });
      assert.equal(res.status, 404, `${username}: ${res.text}`);
      assert.equal(res.json.error.code, 'not_found', username);
    }
    assert.deepEqual(roleAudit(srv, gone.user.id), []);
  });

  test('members and facilitators are refused 403; without a log-in it is 401; nothing changes', async () => {
    const target = await signUp(srv);
    for (const [who, label] of [[member, 'member'], [fac, 'facilitator']]) {
      const res = await giveRole(srv, who, { username: target.creds.username, role: 'facilitator' });
      assert.equal(res.status, 403, `${label}: ${res.text}`);
      assert.equal(res.json.error.code, 'not_allowed', label);
      const self = await giveRole(srv, who, { username: who.creds.username, role: 'manager' });
      assert.equal(self.status, 403, `${label} promoting themself: ${self.text}`);
    }
    const anon = await giveRole(srv, null, { username: target.creds.username, role: 'facilitator' });
    assert.equal(anon.status, 401, anon.text);
    assert.equal(anon.json.error.code, 'not_logged_in');
    const foreign = await giveRole(srv, manager, { username: target.creds.username, role: 'facilitator' },
      { origin: 'http://attacker.example' });
    assert.equal(foreign.status, 403, foreign.text);
    assert.equal((await api(srv, '/api/v1/me', { cookie: target.cookie })).json.role, 'member');
    assert.equal((await api(srv, '/api/v1/me', { cookie: member.cookie })).json.role, 'member');
    assert.equal((await api(srv, '/api/v1/me', { cookie: fac.cookie })).json.role, 'facilitator');
    assert.deepEqual(roleAudit(srv, target.user.id), []);
  });

  test('a bad body is 400 with the field\'s code and changes nothing', async () => {
    const target = await signUp(srv);
    const u = target.creds.username;
    const cases = [
      [{ username: u, role: 'king' }, 'bad_role'],
      [{ username: u, role: 'Facilitator' }, 'bad_role'],
      [{ username: u }, 'bad_role'],
      [{ username: u, role: 2 }, 'bad_role'],
      [{ role: 'facilitator' }, 'missing_field'],
      [{ username: '', role: 'facilitator' }, 'missing_field'],
      [{ username: 42, role: 'facilitator' }, 'missing_field'],
      [{ username: 'x'.repeat(65), role: 'facilitator' }, 'bad_username'],
    ];
    for (const [body, code] of cases) {
      const res = await giveRole(srv, manager, body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.json.error.code, code, JSON.stringify(body));
      assert.equal(typeof res.json.error.message, 'string');
    }
    const notJson = await giveRole(srv, manager, 'username=x&role=manager',
      { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(notJson.status, 400, notJson.text);
    assert.equal((await api(srv, '/api/v1/me', { cookie: target.cookie })).json.role, 'member');
    assert.deepEqual(roleAudit(srv, target.user.id), []);
  });

  test('the last manager cannot demote themself (409 last_manager); with a second manager they can', async () => {
    for (const role of ['member', 'facilitator']) {
      const res = await giveRole(srv, manager, { username: manager.creds.username, role });
      assert.equal(res.status, 409, `${role}: ${res.text}`);
      assert.equal(res.json.error.code, 'last_manager');
    }
    assert.equal((await api(srv, '/api/v1/me', { cookie: manager.cookie })).json.role, 'manager');
    assert.deepEqual(roleAudit(srv, manager.user.id), [], 'a refused change leaves no audit row');

    // the same rule as PUT /api/v1/users/{id}/role: a manager may step down while another remains
    const second = await signUp(srv);
    const up = await giveRole(srv, manager, { username: second.creds.username, role: 'manager' });
    assert.equal(up.status, 200, up.text);
    const stepDown = await giveRole(srv, second, { username: second.creds.username, role: 'member' });
    assert.equal(stepDown.status, 200, stepDown.text);
    assert.equal((await api(srv, '/api/v1/me', { cookie: second.cookie })).json.role, 'member');
    const last = await api(srv, `/api/v1/users/${manager.user.id}/role`,
      { method: 'PUT', cookie: manager.cookie, body: { role: 'member' } });
    assert.equal(last.status, 409, last.text);
    assert.equal(last.json.error.code, 'last_manager');
  });
});
