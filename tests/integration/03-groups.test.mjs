// 03-groups — groups and their schedules, calendars, applications with
// sealed screening data, memberships (one group at a time), the waitlist
// and its offers, reminders, extensions, and who may see what.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ICAL from 'ical.js';
import {
  startServer, api, sql, signUp, cliUser, cookieOf, advanceClock, runHearth, FAST_HASH,
} from './helper.mjs';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const QUESTIONS = ['What brings you to the group?', 'Is there anything we should know?'];

function londonTime(ms) {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(ms));
}

let seq = 0;
function groupBody(fac, over = {}) {
  seq += 1;
  return {
    name: `Thursday evening group ${seq}`,
    category: 'patient',
    description: 'For people living with cancer.',
    timezone: 'Europe/London',
    weekday: 'thursday',
    start_time: '19:00',
    cycle_start: '2027-03-04',
    cycle_weeks: 12,
    hiatus_weeks: 2,
    facilitators: [fac.user.id],
    screening_questions: QUESTIONS,
    ...over,
  };
}

function application(tag) {
  return {
    answers: [`I was diagnosed in spring ${tag}`, `Evenings suit me ${tag}`],
    age_band: '45-54',
    gp: { name: `Dr Gwendolyn Marchbanks ${tag}`, practice: `Elm Street Surgery ${tag}`, phone: '020 7946 0958' },
  };
}

async function createGroup(srv, manager, fac, over = {}) {
  const res = await api(srv, '/api/v1/groups', { cookie: manager.cookie, body: groupBody(fac, over) });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function applyTo(srv, who, gid, tag = 'x') {
  const res = await api(srv, `/api/v1/groups/${gid}/applications`, { cookie: who.cookie, body: application(tag) });
  assert.equal(res.status, 201, res.text);
  return res.json.id;
}

async function decide(srv, fac, appId, decision, extra = {}) {
  return api(srv, `/api/v1/applications/${appId}/decision`, { cookie: fac.cookie, body: { decision, ...extra } });
}

/** A new member who applied to gid and was approved; returns {member, appId, decision}. */
async function approvedMember(srv, fac, gid, remember = false) {
  const member = await signUp(srv, {}, remember ? { remember: true } : {});
  const appId = await applyTo(srv, member, gid, member.user.username);
  const res = await decide(srv, fac, appId, 'approve');
  assert.equal(res.status, 200, res.text);
  return { member, appId, decision: res.json };
}

describe('groups', () => {
  let srv, manager, fac, otherFac;
  before(async () => {
    srv = await startServer({ args: FAST_HASH });
    manager = await cliUser(srv, 'manager');
    fac = await cliUser(srv, 'facilitator');
    otherFac = await cliUser(srv, 'facilitator');
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('only a manager creates a group; settings are checked', async () => {
    const member = await signUp(srv);
    for (const who of [member, fac]) {
      const res = await api(srv, '/api/v1/groups', { cookie: who.cookie, body: groupBody(fac) });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.json.error.code, 'not_allowed');
    }
    const cases = [
      [{ timezone: 'Mars/Olympus_Mons' }, 'bad_schedule'],
      [{ timezone: '../../etc/passwd' }, 'bad_schedule'],
      [{ cycle_weeks: 13 }, 'bad_field'],
      [{ capacity: 0 }, 'bad_field'],
      [{ capacity: 51 }, 'bad_field'],
      [{ start_time: '25:00' }, 'bad_field'],
      [{ weekday: 8 }, 'bad_field'],
      [{ category: 'social' }, 'bad_field'],
      [{ cycle_start: '2027-02-30' }, 'bad_schedule'],
      [{ intake_close_weeks: 12 }, 'bad_schedule'],
      [{ screening_questions: ['x'.repeat(501)] }, 'bad_field'],
      [{ facilitators: [member.user.id] }, 'bad_facilitator'],
      [{ facilitators: [fac.user.id, fac.user.id] }, 'bad_field'],
      [{ colour: 'blue' }, 'unknown_field'],
      [{ name: '' }, 'bad_field'],
    ];
    for (const [over, code] of cases) {
      const res = await api(srv, '/api/v1/groups', { cookie: manager.cookie, body: groupBody(fac, over) });
      assert.equal(res.status, 400, `${JSON.stringify(over)}: ${res.text}`);
      assert.equal(res.json.error.code, code, JSON.stringify(over));
    }
    const missing = await api(srv, '/api/v1/groups', { cookie: manager.cookie, body: { name: 'No slot' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error.code, 'missing_field');

    const g = await createGroup(srv, manager, fac, { capacity: 6, intake_close_weeks: 3 });
    assert.equal(g.capacity, 6);
    assert.equal(g.category, 'patient');
    assert.equal(g.start_time, '19:00');
    assert.equal(g.weekday, 4);
    assert.equal(g.duration_min, 60, 'duration defaults to 60 minutes');
    assert.deepEqual(g.screening_questions, QUESTIONS);
    assert.deepEqual(g.facilitators.map((f) => f.id), [fac.user.id]);
    assert.equal(g.cycle.weeks, 12);
    assert.equal(g.cycle.intake_close_weeks, 3);
    assert.equal(g.seats_left, 6);
    assert.equal(g.taking_members, true, 'intake is open before the first cycle');
    assert.equal(g.next_session.local_start, '2027-03-04T19:00');
  });

  test('managers edit groups; facilitators only their few fields; members nothing', async () => {
    const g = await createGroup(srv, manager, fac);
    const byMember = await api(srv, `/api/v1/groups/${g.id}`, { method: 'PATCH', cookie: (await signUp(srv)).cookie, body: { capacity: 4 } });
    assert.equal(byMember.status, 403);
    const facCap = await api(srv, `/api/v1/groups/${g.id}`, { method: 'PATCH', cookie: fac.cookie, body: { capacity: 4 } });
    assert.equal(facCap.status, 403);
    const facDesc = await api(srv, `/api/v1/groups/${g.id}`, { method: 'PATCH', cookie: fac.cookie, body: { description: 'New words', checkins_enabled: true } });
    assert.equal(facDesc.status, 200, facDesc.text);
    assert.equal(facDesc.json.description, 'New words');
    assert.equal(facDesc.json.checkins_enabled, true);
    const otherDesc = await api(srv, `/api/v1/groups/${g.id}`, { method: 'PATCH', cookie: otherFac.cookie, body: { description: 'Not mine' } });
    assert.equal(otherDesc.status, 403, 'a facilitator of another group');
    const mgr = await api(srv, `/api/v1/groups/${g.id}`, { method: 'PATCH', cookie: manager.cookie, body: { capacity: 4, start_time: '18:30', facilitators: [fac.user.id, otherFac.user.id] } });
    assert.equal(mgr.status, 200, mgr.text);
    assert.equal(mgr.json.capacity, 4);
    assert.equal(mgr.json.start_time, '18:30');
    assert.equal(mgr.json.facilitators.length, 2);
    const bad = await api(srv, `/api/v1/groups/${g.id}`, { method: 'PATCH', cookie: manager.cookie, body: { timezone: 'Nowhere/Land' } });
    assert.equal(bad.status, 400);
    const after = await api(srv, `/api/v1/groups/${g.id}`, { cookie: manager.cookie });
    assert.equal(after.json.timezone, 'Europe/London', 'a refused edit changes nothing');
    const none = await api(srv, '/api/v1/groups/999999', { method: 'PATCH', cookie: manager.cookie, body: { capacity: 4 } });
    assert.equal(none.status, 404);
  });

  test('anyone logged in sees the list of groups, and nothing more', async () => {
    const g = await createGroup(srv, manager, fac);
    const member = await signUp(srv);
    const list = await api(srv, '/api/v1/groups', { cookie: member.cookie });
    assert.equal(list.status, 200, list.text);
    const mine = list.json.groups.find((x) => x.id === g.id);
    assert.ok(mine, 'the new group is listed');
    assert.equal(mine.seats_left, 8);
    assert.equal(mine.taking_members, true);
    assert.equal(typeof mine.next_session.starts_at, 'number');
    assert.equal(mine.my_role, null);
    assert.equal(mine.members_count, undefined, 'no running figures for outsiders');
    assert.equal(mine.waitlist_length, undefined);
    assert.equal((await api(srv, '/api/v1/groups')).status, 401, 'not logged in');
    for (const p of ['sessions', 'members']) {
      const res = await api(srv, `/api/v1/groups/${g.id}/${p}`, { cookie: member.cookie });
      assert.equal(res.status, 403, p);
      assert.equal(res.json.error.code, 'not_member');
    }
    const wl = await api(srv, `/api/v1/groups/${g.id}/waitlist`, { cookie: member.cookie });
    assert.equal(wl.status, 403);
    const none = await api(srv, '/api/v1/groups/999999/sessions', { cookie: member.cookie });
    assert.equal(none.status, 404);
  });

  test('sessions keep their local time across a DST change; hiatus weeks have none', async () => {
    const g = await createGroup(srv, manager, fac);
    const from = Date.UTC(2027, 1, 1);
    const to = Date.UTC(2027, 6, 1);
    const res = await api(srv, `/api/v1/groups/${g.id}/sessions?from=${from}&to=${to}`, { cookie: fac.cookie });
    assert.equal(res.status, 200, res.text);
    const s = res.json.sessions;
    assert.equal(s.length, 15, '12 weeks, 2 weeks of hiatus, then 3 of the next cycle');
    for (const x of s) {
      assert.equal(londonTime(x.starts_at), '19:00', new Date(x.starts_at).toISOString());
      assert.equal(x.ends_at - x.starts_at, HOUR);
      assert.equal(x.doors_open_at, x.starts_at - 10 * 60_000);
      assert.equal(x.state, 'scheduled');
      assert.match(x.local_start, /T19:00$/);
    }
    // UK clocks go forward on 28 March 2027: 19:00 GMT before, 18:00 UTC after
    assert.equal(new Date(s[3].starts_at).toISOString(), '2027-03-25T19:00:00.000Z');
    assert.equal(new Date(s[4].starts_at).toISOString(), '2027-04-01T18:00:00.000Z');
    assert.equal(s[4].starts_at - s[3].starts_at, 7 * DAY - HOUR);
    assert.deepEqual(s.map((x) => x.week), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]);
    assert.equal(s[12].starts_at - s[11].starts_at, 21 * DAY, 'two weeks without sessions');
    assert.equal(s[12].cycle, s[11].cycle + 1);
    const mgr = await api(srv, `/api/v1/groups/${g.id}/sessions?from=${from}&to=${to}`, { cookie: manager.cookie });
    assert.equal(mgr.status, 200, 'managers see the schedule (metadata)');
    const tooLong = await api(srv, `/api/v1/groups/${g.id}/sessions?from=${from}&to=${from + 500 * DAY}`, { cookie: fac.cookie });
    assert.equal(tooLong.status, 400);
  });

  test('the calendar is valid iCalendar with its VTIMEZONE, for members and facilitators only', async () => {
    const g = await createGroup(srv, manager, fac);
    const res = await api(srv, `/api/v1/groups/${g.id}/calendar.ics`, { cookie: fac.cookie });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^text\/calendar/);
    const cal = new ICAL.Component(ICAL.parse(res.text));
    const vtz = cal.getFirstSubcomponent('vtimezone');
    assert.ok(vtz, 'a VTIMEZONE');
    assert.equal(vtz.getFirstPropertyValue('tzid'), 'Europe/London');
    ICAL.TimezoneService.register(vtz);
    const events = cal.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
    assert.ok(events.length >= 12, `${events.length} events`);
    const api2 = await api(srv, `/api/v1/groups/${g.id}/sessions?from=${Date.UTC(2027, 1, 1)}&to=${Date.UTC(2027, 11, 31)}`, { cookie: fac.cookie });
    const starts = new Set(api2.json.sessions.map((x) => x.starts_at));
    const uids = new Set();
    for (const ev of events) {
      const t = ev.startDate.toJSDate().getTime();
      assert.ok(starts.has(t), `event at ${new Date(t).toISOString()} is a session`);
      assert.equal(londonTime(t), '19:00');
      assert.equal(ev.endDate.toJSDate().getTime() - t, HOUR);
      assert.equal(ev.summary, g.name);
      uids.add(ev.uid);
    }
    assert.equal(uids.size, events.length, 'one UID per session');

    const member = await signUp(srv);
    const refused = await api(srv, `/api/v1/groups/${g.id}/calendar.ics`, { cookie: member.cookie });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 'not_member');
    const mgr = await api(srv, `/api/v1/groups/${g.id}/calendar.ics`, { cookie: manager.cookie });
    assert.equal(mgr.status, 403, 'a manager who does not take part has no calendar');
    const other = await api(srv, `/api/v1/groups/${g.id}/calendar.ics`, { cookie: otherFac.cookie });
    assert.equal(other.status, 403, 'a facilitator of other groups');
    const { member: joined } = await approvedMember(srv, fac, g.id);
    const ok = await api(srv, `/api/v1/groups/${g.id}/calendar.ics`, { cookie: joined.cookie });
    assert.equal(ok.status, 200, 'a member has it');
  });

  test('application → approve → member; screening is for the facilitators alone', async () => {
    const g = await createGroup(srv, manager, fac);
    const applicant = await signUp(srv);
    const appId = await applyTo(srv, applicant, g.id, 'alpha');

    const mine = await api(srv, '/api/v1/me/applications', { cookie: applicant.cookie });
    assert.equal(mine.status, 200);
    assert.equal(mine.json.applications[0].status, 'pending');
    assert.equal(mine.json.applications[0].group.id, g.id);
    const again = await api(srv, `/api/v1/groups/${g.id}/applications`, { cookie: applicant.cookie, body: application('again') });
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, 'application_pending');

    const list = await api(srv, '/api/v1/applications?status=pending', { cookie: fac.cookie });
    assert.equal(list.status, 200);
    const row = list.json.applications.find((a) => a.id === appId);
    assert.ok(row);
    assert.equal(row.answers, undefined, 'the list holds no screening content');
    assert.equal(row.gp, undefined);

    const open = await api(srv, `/api/v1/applications/${appId}`, { cookie: fac.cookie });
    assert.equal(open.status, 200, open.text);
    assert.deepEqual(open.json.answers.map((a) => a.question), QUESTIONS);
    assert.equal(open.json.answers[0].answer, 'I was diagnosed in spring alpha');
    assert.equal(open.json.gp.name, 'Dr Gwendolyn Marchbanks alpha');
    assert.equal(open.json.age_band, '45-54');

    // who may not read it: another member, another group's facilitator, a manager
    const nosy = await signUp(srv);
    const byMember = await api(srv, `/api/v1/applications/${appId}`, { cookie: nosy.cookie });
    assert.equal(byMember.status, 404);
    const missing = await api(srv, '/api/v1/applications/999999', { cookie: nosy.cookie });
    assert.deepEqual(byMember.json, missing.json, 'another\'s application answers like none');
    const byOther = await api(srv, `/api/v1/applications/${appId}`, { cookie: otherFac.cookie });
    assert.equal(byOther.status, 404);
    const byManager = await api(srv, `/api/v1/applications/${appId}`, { cookie: manager.cookie });
    assert.equal(byManager.status, 403);
    assert.equal(byManager.json.error.code, 'screening_private');
    assert.equal(byManager.json.answers, undefined);
    const mgrList = await api(srv, '/api/v1/applications', { cookie: manager.cookie });
    const mrow = mgrList.json.applications.find((a) => a.id === appId);
    assert.ok(mrow, 'managers see that there is an application');
    assert.equal(mrow.age_band, undefined, 'but none of its content');
    assert.equal(mrow.answers, undefined);
    const memberList = await api(srv, '/api/v1/applications', { cookie: nosy.cookie });
    assert.deepEqual(memberList.json.applications, []);
    const own = await api(srv, `/api/v1/applications/${appId}`, { cookie: applicant.cookie });
    assert.equal(own.status, 200);
    assert.equal(own.json.status, 'pending');
    assert.equal(own.json.answers, undefined);
    assert.equal(own.json.notes, undefined, 'notes are for the facilitators');

    // nobody but the group's facilitators decides
    for (const who of [nosy, otherFac, manager, applicant]) {
      const res = await decide(srv, who, appId, 'approve');
      assert.equal(res.status, who === manager ? 404 : 404, res.text);
    }
    const notes = await api(srv, `/api/v1/applications/${appId}/notes`, { cookie: fac.cookie, body: { notes: 'Spoke on the phone; a good fit.' } });
    assert.equal(notes.status, 200, notes.text);
    const notesOther = await api(srv, `/api/v1/applications/${appId}/notes`, { cookie: otherFac.cookie, body: { notes: 'x' } });
    assert.equal(notesOther.status, 404);
    const res = await decide(srv, fac, appId, 'approve', { message: 'Welcome! We meet on Thursdays.' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'approved');
    assert.equal(res.json.member, true);
    const twice = await decide(srv, fac, appId, 'refer', { message: 'x' });
    assert.equal(twice.status, 409);
    assert.equal(twice.json.error.code, 'already_decided');

    const after = await api(srv, '/api/v1/me/applications', { cookie: applicant.cookie });
    assert.equal(after.json.applications[0].status, 'approved');
    assert.equal(after.json.applications[0].message, 'Welcome! We meet on Thursdays.');
    const reopened = await api(srv, `/api/v1/applications/${appId}`, { cookie: fac.cookie });
    assert.equal(reopened.json.notes, 'Spoke on the phone; a good fit.');
    const members = await api(srv, `/api/v1/groups/${g.id}/members`, { cookie: applicant.cookie });
    assert.equal(members.status, 200, 'a member sees the group');
    assert.deepEqual(members.json.members.map((m) => m.id), [applicant.user.id]);
    assert.equal(members.json.members[0].started_at, undefined, 'membership dates are for staff');
    const sessions = await api(srv, `/api/v1/groups/${g.id}/sessions`, { cookie: applicant.cookie });
    assert.equal(sessions.status, 200);
    const mineList = await api(srv, '/api/v1/me/groups', { cookie: applicant.cookie });
    assert.deepEqual(mineList.json.groups.map((x) => x.id), [g.id]);
    assert.equal(mineList.json.groups[0].my_role, 'member');
  });

  test('bad applications are refused and change nothing', async () => {
    const g = await createGroup(srv, manager, fac);
    const who = await signUp(srv);
    const good = application('b');
    const cases = [
      [{ ...good, answers: ['only one'] }, 'bad_answers'],
      [{ ...good, answers: ['a', 'x'.repeat(4001)] }, 'bad_answers'],
      [{ ...good, age_band: '12-17' }, 'bad_age_band'],
      [{ ...good, gp: { name: 'Dr A', practice: 'B' } }, 'bad_gp'],
      [{ ...good, gp: { name: 'Dr A', practice: 'B', phone: '1'.repeat(201) } }, 'bad_gp'],
      [{ ...good, extra: 1 }, 'unknown_field'],
    ];
    for (const [body, code] of cases) {
      const res = await api(srv, `/api/v1/groups/${g.id}/applications`, { cookie: who.cookie, body });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.error.code, code);
    }
    const mine = await api(srv, '/api/v1/me/applications', { cookie: who.cookie });
    assert.deepEqual(mine.json.applications, []);
    const none = await api(srv, '/api/v1/groups/999999/applications', { cookie: who.cookie, body: good });
    assert.equal(none.status, 404);
  });

  test('a member is in one group at a time, workshops aside (409 already_in_group)', async () => {
    const a = await createGroup(srv, manager, fac);
    const b = await createGroup(srv, manager, fac, { category: 'caregiver' });
    const w = await createGroup(srv, manager, fac, { category: 'workshop', screening_questions: [] });
    const { member } = await approvedMember(srv, fac, a.id);
    const second = await api(srv, `/api/v1/groups/${b.id}/applications`, { cookie: member.cookie, body: application('two') });
    assert.equal(second.status, 409, second.text);
    assert.equal(second.json.error.code, 'already_in_group');
    const same = await api(srv, `/api/v1/groups/${a.id}/applications`, { cookie: member.cookie, body: application('same') });
    assert.equal(same.status, 409);
    assert.equal(same.json.error.code, 'already_member');
    const ws = await api(srv, `/api/v1/groups/${w.id}/applications`, { cookie: member.cookie, body: { answers: [], age_band: '45-54', gp: application('w').gp } });
    assert.equal(ws.status, 201, ws.text);
    const res = await decide(srv, fac, ws.json.id, 'approve');
    assert.equal(res.json.status, 'approved', 'a workshop besides the group');

    // the rule holds at approval too: applied to b before joining a
    const other = await signUp(srv);
    const appB = await applyTo(srv, other, b.id, 'ob');
    const appA = await applyTo(srv, other, a.id, 'oa');
    assert.equal((await decide(srv, fac, appA, 'approve')).json.status, 'approved');
    const refused = await decide(srv, fac, appB, 'approve');
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.code, 'already_in_group');
  });

  test('the ninth approved member of 8 seats is waitlisted and moves in when a seat frees', async () => {
    const g = await createGroup(srv, manager, fac);
    const first = [];
    for (let i = 0; i < 8; i++) first.push(await approvedMember(srv, fac, g.id));
    assert.ok(first.every((x) => x.decision.status === 'approved'));
    const ninth = await approvedMember(srv, fac, g.id);
    assert.equal(ninth.decision.status, 'waitlisted');
    assert.equal(ninth.decision.waitlist_position, 1);
    assert.equal(ninth.decision.reason, 'full');
    const tenth = await approvedMember(srv, fac, g.id);
    assert.equal(tenth.decision.waitlist_position, 2);

    const shown = await api(srv, `/api/v1/groups/${g.id}`, { cookie: ninth.member.cookie });
    assert.equal(shown.json.seats_left, 0);
    assert.equal(shown.json.taking_members, false);
    const mine = await api(srv, '/api/v1/me/applications', { cookie: ninth.member.cookie });
    assert.equal(mine.json.applications[0].status, 'waitlisted');
    assert.deepEqual(mine.json.applications[0].waitlist, { position: 1, state: 'waiting' });
    const wl = await api(srv, `/api/v1/groups/${g.id}/waitlist`, { cookie: fac.cookie });
    assert.deepEqual(wl.json.waitlist.map((e) => e.user.id), [ninth.member.user.id, tenth.member.user.id]);

    // only the group's facilitators end a membership
    const leaver = first[0].member.user.id;
    const byMember = await api(srv, `/api/v1/groups/${g.id}/members/${leaver}/end`, { cookie: first[1].member.cookie, body: {} });
    assert.equal(byMember.status, 403);
    const byOther = await api(srv, `/api/v1/groups/${g.id}/members/${leaver}/end`, { cookie: otherFac.cookie, body: {} });
    assert.equal(byOther.status, 403);
    const end = await api(srv, `/api/v1/groups/${g.id}/members/${leaver}/end`, { cookie: fac.cookie, body: {} });
    assert.equal(end.status, 200, end.text);
    const endAgain = await api(srv, `/api/v1/groups/${g.id}/members/${leaver}/end`, { cookie: fac.cookie, body: {} });
    assert.equal(endAgain.status, 404);

    const offers = await api(srv, '/api/v1/me/offers', { cookie: ninth.member.cookie });
    assert.equal(offers.json.offers.length, 1, 'the first in line is offered the seat');
    const offer = offers.json.offers[0];
    assert.equal(offer.group.id, g.id);
    assert.ok(Math.abs(offer.expires_at - offer.created_at - 72 * HOUR) < 1000);
    assert.deepEqual((await api(srv, '/api/v1/me/offers', { cookie: tenth.member.cookie })).json.offers, []);
    const stolen = await api(srv, `/api/v1/offers/${offer.id}/accept`, { cookie: tenth.member.cookie, body: {} });
    assert.equal(stolen.status, 404, 'an offer is its addressee\'s');
    const acc = await api(srv, `/api/v1/offers/${offer.id}/accept`, { cookie: ninth.member.cookie, body: {} });
    assert.equal(acc.status, 200, acc.text);
    const again = await api(srv, `/api/v1/offers/${offer.id}/accept`, { cookie: ninth.member.cookie, body: {} });
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, 'offer_closed');

    const members = await api(srv, `/api/v1/groups/${g.id}/members?history=1`, { cookie: fac.cookie });
    const ids = members.json.members.filter((m) => m.ended_at === null).map((m) => m.id);
    assert.equal(ids.length, 8);
    assert.ok(ids.includes(ninth.member.user.id));
    assert.ok(!ids.includes(leaver));
    const past = members.json.members.find((m) => m.id === leaver);
    assert.equal(past.ended_reason, 'ended_by_facilitator', 'history is kept');
    assert.ok(past.ended_at >= past.started_at);
    const app9 = await api(srv, '/api/v1/me/applications', { cookie: ninth.member.cookie });
    assert.equal(app9.json.applications[0].status, 'approved');
    const pos10 = await api(srv, '/api/v1/me/applications', { cookie: tenth.member.cookie });
    assert.deepEqual(pos10.json.applications[0].waitlist, { position: 1, state: 'waiting' });
    const oldMember = await api(srv, `/api/v1/groups/${g.id}/sessions`, { cookie: first[0].member.cookie });
    assert.equal(oldMember.status, 403, 'an ended membership no longer opens the group');
  });

  test('past the intake cutoff, approved members wait for the next cycle', async () => {
    // a cycle that began weeks ago and closes intake 10 weeks before its end
    const start = new Date(Date.now() - 21 * DAY).toISOString().slice(0, 10);
    const g = await createGroup(srv, manager, fac, { cycle_start: start, intake_close_weeks: 10, timezone: 'UTC', weekday: 1 });
    assert.equal(g.intake_open, false);
    assert.equal(g.taking_members, false);
    const x = await approvedMember(srv, fac, g.id);
    assert.equal(x.decision.status, 'waitlisted');
    assert.equal(x.decision.reason, 'intake_closed');
  });

  test('referral closes an application with a message; withdrawing works once', async () => {
    const g = await createGroup(srv, manager, fac);
    const a = await signUp(srv);
    const appA = await applyTo(srv, a, g.id, 'ref');
    const noMsg = await decide(srv, fac, appA, 'refer');
    assert.equal(noMsg.status, 400);
    assert.equal(noMsg.json.error.code, 'missing_message');
    const ref = await decide(srv, fac, appA, 'refer', { message: 'A bereavement group would suit you better.' });
    assert.equal(ref.json.status, 'referred');
    const mine = await api(srv, '/api/v1/me/applications', { cookie: a.cookie });
    assert.equal(mine.json.applications[0].message, 'A bereavement group would suit you better.');
    const bad = await decide(srv, fac, appA, 'maybe');
    assert.equal(bad.status, 400);

    const b = await signUp(srv);
    const appB = await applyTo(srv, b, g.id, 'wd');
    const notHers = await api(srv, `/api/v1/applications/${appB}/withdraw`, { cookie: a.cookie, body: {} });
    assert.equal(notHers.status, 404);
    const wd = await api(srv, `/api/v1/applications/${appB}/withdraw`, { cookie: b.cookie, body: {} });
    assert.equal(wd.status, 200, wd.text);
    const wd2 = await api(srv, `/api/v1/applications/${appB}/withdraw`, { cookie: b.cookie, body: {} });
    assert.equal(wd2.status, 409);
  });

  test('members ask for the 12-week extension; facilitators grant it', async () => {
    const start = new Date(Date.now() - 14 * DAY).toISOString().slice(0, 10);
    const g = await createGroup(srv, manager, fac, { cycle_start: start, timezone: 'UTC', weekday: 3, hiatus_weeks: 1 });
    const { member } = await approvedMember(srv, fac, g.id);
    const outsider = await signUp(srv);
    const refusedAsk = await api(srv, `/api/v1/groups/${g.id}/extension-request`, { cookie: outsider.cookie, body: {} });
    assert.equal(refusedAsk.status, 403);
    const ask = await api(srv, `/api/v1/groups/${g.id}/extension-request`, { cookie: member.cookie, body: {} });
    assert.equal(ask.status, 200, ask.text);
    assert.equal(ask.json.requests, 1);
    const shown = await api(srv, `/api/v1/groups/${g.id}`, { cookie: fac.cookie });
    assert.equal(shown.json.extension_requests, 1);
    const byMember = await api(srv, `/api/v1/groups/${g.id}/extension`, { cookie: member.cookie, body: {} });
    assert.equal(byMember.status, 403);
    const cycleStart = shown.json.cycle.current.starts_at;
    const grant = await api(srv, `/api/v1/groups/${g.id}/extension`, { cookie: fac.cookie, body: {} });
    assert.equal(grant.status, 200, grant.text);
    assert.equal(grant.json.cycle.extension_weeks, 12);
    assert.equal(grant.json.cycle.current.starts_at, cycleStart, 'the same cycle, now longer');
    const twice = await api(srv, `/api/v1/groups/${g.id}/extension`, { cookie: fac.cookie, body: {} });
    assert.equal(twice.status, 409);
    assert.equal(twice.json.error.code, 'already_extended');
    const sessions = await api(srv, `/api/v1/groups/${g.id}/sessions?from=${cycleStart}&to=${cycleStart + 30 * 7 * DAY}`, { cookie: fac.cookie });
    const cycle1 = sessions.json.sessions.filter((x) => x.cycle === sessions.json.sessions[0].cycle);
    assert.equal(cycle1.length, 24, '12 weeks and the 12-week extension');
  });

  test('a session reminder goes once to each member', async () => {
    const at = new Date(Date.now() + 12 * HOUR);
    const hhmm = at.toISOString().slice(11, 16);
    const weekday = ((at.getUTCDay() + 6) % 7) + 1;
    const g = await createGroup(srv, manager, fac, {
      timezone: 'UTC', weekday, start_time: hhmm, cycle_start: at.toISOString().slice(0, 10),
    });
    const { member } = await approvedMember(srv, fac, g.id);
    const t1 = await api(srv, '/api/v1/test/groups/tick', { body: {} });
    assert.equal(t1.status, 200, t1.text);
    assert.ok(t1.json.reminders >= 1, JSON.stringify(t1.json));
    const t2 = await api(srv, '/api/v1/test/groups/tick', { body: {} });
    assert.equal(t2.json.reminders, 0, 'once per session and member');
    srv.reminded = { group: g.id, user: member.user.id };
  });

  test('avatars are seen by those who share a group', async () => {
    const PNG = Buffer.from(
      '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489' +
      '0000000d4944415478da63f8cfc0f01f0005000201a5b0e1ed0000000049454e44ae426082', 'hex');
    const g = await createGroup(srv, manager, fac);
    const { member: a } = await approvedMember(srv, fac, g.id);
    const { member: b } = await approvedMember(srv, fac, g.id);
    const c = await signUp(srv);
    const put = await api(srv, '/api/v1/me/avatar', { method: 'PUT', cookie: a.cookie, body: PNG, headers: { 'content-type': 'image/png' } });
    assert.equal(put.status, 204, put.text);
    const byB = await api(srv, `/api/v1/users/${a.user.id}/avatar`, { cookie: b.cookie });
    assert.equal(byB.status, 200, 'a fellow member');
    const byC = await api(srv, `/api/v1/users/${a.user.id}/avatar`, { cookie: c.cookie });
    assert.equal(byC.status, 404, 'not a fellow member');
    await api(srv, `/api/v1/groups/${g.id}/leave`, { cookie: b.cookie, body: {} });
    const afterLeave = await api(srv, `/api/v1/users/${a.user.id}/avatar`, { cookie: b.cookie });
    assert.equal(afterLeave.status, 404, 'once they no longer share it');
  });

  test('hearth group add and list work on the data folder', async () => {
    const qfile = path.join(srv.dataDir, 'questions.txt');
    writeFileSync(qfile, 'Why now?\nAnything else?\n');
    const add = runHearth(['group', 'add', 'Monday carers', '--category', 'caregiver', '--timezone', 'Europe/Paris',
      '--weekday', 'monday', '--start', '18:00', '--cycle-start', '2027-01-04', '--cycle-weeks', '15',
      '--facilitators', fac.creds.username, '--questions-file', qfile, '--data', srv.dataDir]);
    assert.equal(add.status, 0, add.stderr);
    const id = Number(/added group (\d+)/.exec(add.stdout)[1]);
    const bad = runHearth(['group', 'add', 'Bad', '--category', 'patient', '--timezone', 'Nowhere/X',
      '--weekday', 'monday', '--start', '18:00', '--cycle-start', '2027-01-04', '--data', srv.dataDir]);
    assert.equal(bad.status, 2, 'bad settings are a usage error');
    assert.match(bad.stderr, /time zone/);
    const noFac = runHearth(['group', 'add', 'Bad', '--category', 'patient', '--timezone', 'UTC',
      '--weekday', 'monday', '--start', '18:00', '--cycle-start', '2027-01-04', '--facilitators', 'nobody-here', '--data', srv.dataDir]);
    assert.equal(noFac.status, 1);
    const list = runHearth(['group', 'list', '--data', srv.dataDir]);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /Monday carers/);
    const shown = await api(srv, `/api/v1/groups/${id}`, { cookie: fac.cookie });
    assert.equal(shown.json.category, 'caregiver');
    assert.equal(shown.json.cycle.weeks, 15);
    assert.deepEqual(shown.json.screening_questions, ['Why now?', 'Anything else?']);
    assert.equal(shown.json.my_role, 'facilitator');
  });

  test('GP contact and answers never reach the database file in clear', async () => {
    const g = await createGroup(srv, manager, fac);
    const who = await signUp(srv);
    const body = application('zz');
    body.gp.name = 'Dr Quillon Farthingale-Unique';
    body.answers[0] = 'My answer holds the word xylophonequartz';
    const res = await api(srv, `/api/v1/groups/${g.id}/applications`, { cookie: who.cookie, body });
    assert.equal(res.status, 201);
    const { code } = await srv.stop();
    assert.equal(code, 0);
    const db = path.join(srv.dataDir, 'hearth.db');
    for (const f of [db, db + '-wal']) {
      if (!existsSync(f)) continue;
      const bytes = readFileSync(f);
      for (const secret of ['Quillon', 'Farthingale', 'xylophonequartz', 'Elm Street Surgery', '020 7946 0958']) {
        assert.equal(bytes.indexOf(Buffer.from(secret)), -1, `${secret} in ${path.basename(f)}`);
      }
    }
    assert.equal(sql(db, `SELECT length(answers) > 28 AND length(gp_contact) > 28 FROM applications WHERE id = ${res.json.id}`), '1');
    const key = path.join(srv.dataDir, 'keys', 'field.key');
    assert.equal((await import('node:fs')).statSync(key).mode & 0o077, 0, 'the key is private');
    // mails were queued with the events, and reminders remembered
    const kinds = sql(db, 'SELECT DISTINCT kind FROM mail_outbox ORDER BY kind').split('\n');
    for (const k of ['application_decision', 'application_received', 'application_waiting', 'seat_offered', 'session_reminder']) {
      assert.ok(kinds.includes(k), `a ${k} mail`);
    }
    const { group, user } = srv.reminded;
    assert.equal(sql(db, `SELECT count(*) FROM session_reminders WHERE group_id = ${group} AND user_id = ${user}`), '1');
    const audit = sql(db, "SELECT count(*) FROM audit_log WHERE action = 'screening_read'");
    assert.ok(Number(audit) >= 2, 'reading screening data is audited');
    const leaks = sql(db, "SELECT count(*) FROM audit_log WHERE detail LIKE '%Marchbanks%' OR detail LIKE '%diagnosed%'");
    assert.equal(leaks, '0');
  });
});

describe('waitlist offers expire', () => {
  let srv, manager, fac;
  before(async () => {
    srv = await startServer({ args: FAST_HASH });
    manager = await cliUser(srv, 'manager');
    fac = await cliUser(srv, 'facilitator');
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('an unanswered offer passes to the next in line after 72 hours', async () => {
    const g = await createGroup(srv, manager, fac, { capacity: 1, cycle_start: '2028-01-06' });
    // the clock moves 3 days: these log-ins must outlast it
    const a = await approvedMember(srv, fac, g.id, true);
    const b = await approvedMember(srv, fac, g.id, true);
    const c = await approvedMember(srv, fac, g.id, true);
    assert.deepEqual([a, b, c].map((x) => x.decision.status), ['approved', 'waitlisted', 'waitlisted']);
    const left = await api(srv, `/api/v1/groups/${g.id}/leave`, { cookie: a.member.cookie, body: {} });
    assert.equal(left.status, 200, left.text);
    const offerB = (await api(srv, '/api/v1/me/offers', { cookie: b.member.cookie })).json.offers[0];
    assert.ok(offerB);
    const early = await api(srv, '/api/v1/test/groups/tick', { body: {} });
    assert.equal(early.json.expired, 0);
    await advanceClock(srv, 72 * HOUR + 60_000);
    const late = await api(srv, `/api/v1/offers/${offerB.id}/accept`, { cookie: b.member.cookie, body: {} });
    assert.equal(late.status, 409, 'an offer past its time is closed');
    const tick = await api(srv, '/api/v1/test/groups/tick', { body: {} });
    assert.equal(tick.json.expired, 1);
    assert.equal(tick.json.offered, 1);
    const lapsed = (await api(srv, '/api/v1/me/applications', { cookie: b.member.cookie })).json.applications[0];
    assert.equal(lapsed.status, 'withdrawn', 'a lapsed offer closes the application');
    assert.equal(lapsed.waitlist, null);
    const offerC = (await api(srv, '/api/v1/me/offers', { cookie: c.member.cookie })).json.offers[0];
    assert.ok(offerC, 'the next in line has it');
    const dec = await api(srv, `/api/v1/offers/${offerC.id}/decline`, { cookie: c.member.cookie, body: {} });
    assert.equal(dec.status, 200);
    const login = await api(srv, '/api/v1/login', { body: { username: manager.creds.username, password: manager.creds.password } });
    const mgr = cookieOf(login);
    const wl = await api(srv, `/api/v1/groups/${g.id}/waitlist`, { cookie: mgr });
    assert.deepEqual(wl.json.waitlist, [], 'nobody is left waiting');
    const shown = await api(srv, `/api/v1/groups/${g.id}`, { cookie: mgr });
    assert.equal(shown.json.seats_left, 1);
    assert.equal(shown.json.members_count, 0);
    const reapply = await api(srv, `/api/v1/groups/${g.id}/applications`, { cookie: b.member.cookie, body: application('again') });
    assert.equal(reapply.status, 201, 'they may apply again');
    const { code } = await srv.stop();
    assert.equal(code, 0);
    const db = path.join(srv.dataDir, 'hearth.db');
    assert.equal(sql(db, `SELECT count(*) FROM mail_outbox WHERE kind = 'offer_lapsed' AND user_id = ${b.member.user.id}`), '1');
  });
});
