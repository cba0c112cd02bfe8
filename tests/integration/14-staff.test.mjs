// 14-staff — the directory of staff accounts a manager chooses facilitators
// from (GET /api/v1/staff): managers only; facilitators and managers, each
// with the groups they facilitate, ordered by display name; no e-mail or
// other personal data; erased accounts and members are not listed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, signUp, cliUser, FAST_HASH } from './helper.mjs';

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
  after(async () => {
    // under the sanitizers, a leak or undefined behaviour shows here
    const { code } = await srv.stop();
    srv.cleanup();
    assert.equal(code, 0, srv.logs().slice(-4000));
    assert.doesNotMatch(srv.logs(), /runtime error|Sanitizer/);
  });

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
