// 05-groups — joining a group in the browser: register and sign in, find a
// group (its schedule in the group's time zone and the reader's own), apply
// with the screening questions, age range and GP; a facilitator in a second
// browser reviews the application and approves it; the applicant follows
// the status to "My group" (next session, calendar, members). And a seat
// offered from the waitlist, accepted.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, DESKTOP, PHONE, withPeople, openAs, makeGroup, addMember, newUser, api, waitForText,
  waitForPath, screenshot, assertLayout, until, cliUser, withBrowserAndServer,
} from './helper.mjs';

const QUESTIONS = ['What brings you to the group?', 'Is there anything we should know?'];

describe('groups and applications', { skip: SKIP }, () => {
  let srv;
  let browser;
  withBrowserAndServer({}, (s, b) => { srv = s; browser = b; });

  test('register, sign in, find a group, apply; a facilitator approves in a second browser',
    async (t) => {
      const g = await makeGroup(srv, { members: 0, slot: {
        screening_questions: QUESTIONS, cycle_start: '2030-01-08', weekday: 2, start_time: '19:00',
      } });
      const creds = newUser();
      await withPeople(t, browser, srv, [
        { creds: null, name: 'applicant', viewport: PHONE, timezoneId: 'Asia/Tokyo' },
        { creds: g.facilitator.creds, name: 'facilitator', viewport: DESKTOP },
      ], async ([me, fac]) => {
        const page = me.page;
        // register, then sign out and in again
        await page.goto('/register');
        await page.getByLabel('Username').fill(creds.username);
        await page.getByLabel('Display name').fill(creds.display_name);
        await page.getByLabel('E-mail address').fill(creds.email);
        await page.getByLabel('Password', { exact: true }).fill(creds.password);
        await page.getByLabel('Password again').fill(creds.password);
        await page.getByRole('button', { name: 'Create my account' }).click();
        await waitForText(page.locator('#status'), /Your account is ready/);
        await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('button', { name: 'Sign out' }).click();
        await waitForText(page.locator('#status'), /You have signed out/);
        await page.goto('/signin');
        await page.getByLabel('Username').fill(creds.username);
        await page.getByLabel('Password', { exact: true }).fill(creds.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await waitForText(page.locator('#status'), /Signed in as/);

        // find the group: its own time and the reader's (Tokyo)
        await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Find a group' }).click();
        await waitForPath(page, '/groups');
        const item = page.locator('li.group-item').filter({ hasText: g.group.name });
        await waitForText(item, /Tuesdays at 19:00, London time/);
        await waitForText(item, /In your time \(Tokyo time\): Wednesdays at 04:00/);
        await waitForText(item, /Taking members: 8 seats free of 8/);
        await screenshot(page, 'find-a-group-360');
        await assertLayout(page, 'find a group at 360 px');
        await item.getByRole('link', { name: /About this group and how to apply/ }).click();
        await page.getByRole('heading', { name: g.group.name, level: 1 }).waitFor();
        await page.getByRole('link', { name: 'Apply to join' }).click();
        await page.getByRole('heading', { name: `Apply to ${g.group.name}`, level: 1 }).waitFor();

        // nothing filled in: each field says what it needs
        await page.getByRole('button', { name: 'Send my application' }).click();
        await waitForText(page.locator('form [role="alert"]'), /fields need your attention/);
        assert.equal(await page.locator('[aria-invalid="true"]').count(), 6);
        await page.getByLabel(QUESTIONS[0]).fill('I was diagnosed last spring and would like to talk to others.');
        await page.getByLabel(QUESTIONS[1]).fill('Evenings suit me best.');
        await page.getByLabel('Your age range').selectOption('45-54');
        await page.getByLabel('Your GP’s name').fill('Dr Ada Lovelace');
        await page.getByLabel('Their practice or surgery').fill('Elm Street Surgery');
        await page.getByLabel('The practice’s phone number').fill('020 7946 0958');
        await screenshot(page, 'apply-360');
        await assertLayout(page, 'apply at 360 px');
        await page.getByRole('button', { name: 'Send my application' }).click();
        await waitForPath(page, '/my-group');
        await waitForText(page.locator('#status'), /Your application to .* has been sent/);
        const apps = page.locator('section[aria-labelledby="my-apps"]');
        await waitForText(apps, /Waiting to be read/);

        // the facilitator reviews and approves, in another browser
        await fac.page.goto('/dashboard');
        const appLink = fac.page.getByRole('link', { name: creds.display_name });
        await appLink.click();
        await fac.page.getByRole('heading', { name: `${creds.display_name}’s application`, level: 1 }).waitFor();
        const answers = fac.page.locator('section[aria-labelledby="ap-answers"]');
        await waitForText(answers, /diagnosed last spring/);
        await waitForText(fac.page.locator('section[aria-labelledby="ap-gp"]'), /Dr Ada Lovelace.*Elm Street Surgery.*020 7946 0958/s);
        await fac.page.getByLabel('Your notes').fill('Spoke on the phone; a good fit.');
        await fac.page.getByRole('button', { name: 'Save the notes' }).click();
        await waitForText(fac.page.locator('section[aria-labelledby="ap-notes"] [role="status"]'), /saved/);
        await fac.page.getByLabel('Approve').check();
        await fac.page.getByLabel('Message to the applicant').fill('Welcome! We meet on Tuesdays.');
        await screenshot(fac.page, 'application-review-desktop');
        await assertLayout(fac.page, 'application review');
        await fac.page.getByRole('button', { name: 'Send the decision' }).click();
        await waitForPath(fac.page, '/dashboard');
        await waitForText(fac.page.locator('#status'), new RegExp(`${creds.display_name} has joined`));

        // the applicant's page follows by itself (it looks again every 10 s while waiting)
        await page.getByRole('heading', { name: g.group.name, level: 2 }).waitFor({ timeout: 15_000 });
        await waitForText(apps, /Approved/);
        await waitForText(apps, /Welcome! We meet on Tuesdays\./);
        const card = page.locator(`section[aria-labelledby="grp-${g.group.id}"]`);
        await waitForText(card, /You are a member/);
        await waitForText(card, /Tuesday,? 8 January 2030 at 19:00 \(London time\)/);
        await waitForText(card, /That is Wednesday,? 9 January 2030 at 04:00 in your time/);
        await waitForText(card, /Starts in .* days/);
        assert.equal(await card.getByRole('button', { name: 'Join the session' }).isDisabled(), true,
          'joining waits for the doors to open');
        await waitForText(card.locator('.people').last(), new RegExp(creds.display_name));
        const ics = card.getByRole('link', { name: /Download the sessions for your calendar/ });
        const res = await me.context.request.get(await ics.getAttribute('href'));
        assert.equal(res.status(), 200);
        assert.match(res.headers()['content-type'], /^text\/calendar/);
        assert.match(await res.text(), /BEGIN:VCALENDAR/);
        await screenshot(page, 'my-group-360');
        await assertLayout(page, 'my group at 360 px');
      });
    });

  test('the manager sets up a group, choosing its facilitator by name, and changes it; the facilitator sees it', async (t) => {
    const g = await makeGroup(srv, { members: 0 });
    const fac = await cliUser(srv, 'facilitator');
    // a checkbox's name: the display name, then the username
    const boxName = (who) => ({ name: `${who.creds.display_name} (${who.creds.username})`, exact: true });
    await withPeople(t, browser, srv, [
      { creds: g.manager.creds, name: 'manager' },
      { creds: fac.creds, name: 'facilitator' },
    ], async ([m, f]) => {
      const page = m.page;
      await page.goto('/manage');
      await page.getByRole('link', { name: 'Set up a new group' }).click();
      await page.getByRole('heading', { name: 'Set up a new group', level: 1 }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill('Thursday carers');
      await page.getByLabel('Who it is for').selectOption('caregiver');
      await page.getByLabel('Description').fill('For people caring for someone with cancer.');
      await page.getByLabel('Seats').fill('6');
      await page.getByLabel('Time zone', { exact: true }).fill('Europe/London');
      await page.getByLabel('Day', { exact: true }).selectOption('4');
      await page.getByLabel('Start time').fill('18:30');
      await page.getByLabel('First day of the cycle').fill('2030-03-07');
      await page.getByLabel('Screening questions').fill('Who do you care for?\nWhat would help you most?');
      // facilitators are ticked by name; each shows the groups they already run
      const choose = page.getByRole('group', { name: /^Facilitators/ });
      const newBox = choose.getByRole('checkbox', boxName(fac));
      assert.equal(await newBox.isChecked(), false);
      // (a `has` locator is looked for inside each .check)
      const entry = (who) => choose.locator('.check').filter({ has: page.getByRole('checkbox', boxName(who)) });
      await waitForText(entry(fac), /Facilitates no group yet/);
      await waitForText(entry(g.facilitator), new RegExp(`Facilitates: ${g.group.name}\\.`));
      assert.equal(await choose.getByRole('checkbox', boxName(g.manager)).count(), 0,
        'managers who run no group are not offered');
      await newBox.check();
      await assertLayout(page, 'set up a group');
      await page.getByRole('button', { name: 'Set up the group' }).click();
      await waitForPath(page, '/manage');
      await waitForText(page.locator('#status'), /“Thursday carers” is set up/);
      // (in the Groups card: the Staff card names the groups each person runs too)
      const item = page.locator('section[aria-labelledby="mg-groups"] li').filter({ hasText: 'Thursday carers' });
      await waitForText(item, /Thursdays at 18:30 \(Europe\/London\).*6 of 6 seats free/s);
      await waitForText(item.locator('p', { hasText: 'Facilitators:' }),
        new RegExp(`^Facilitators: ${fac.creds.display_name}$`));
      await item.getByRole('link', { name: /Change the group/ }).click();
      await page.getByRole('heading', { name: 'Change Thursday carers', level: 1 }).waitFor();
      assert.equal(await page.getByLabel('Screening questions').inputValue(), 'Who do you care for?\nWhat would help you most?');
      const edit = page.getByRole('group', { name: /^Facilitators/ });
      assert.equal(await edit.getByRole('checkbox', boxName(fac)).isChecked(), true, 'the current facilitator is ticked');
      // a second facilitator, ticked from the keyboard
      const second = edit.getByRole('checkbox', boxName(g.facilitator));
      assert.equal(await second.isChecked(), false);
      await second.focus();
      await page.keyboard.press('Space');
      assert.equal(await second.isChecked(), true);
      await page.getByLabel('Seats').fill('7');
      await page.getByRole('button', { name: 'Save the changes' }).click();
      await waitForText(page.locator('#status'), /has been saved/);
      const list = await api(srv, '/api/v1/groups', { cookie: g.manager.cookie });
      const made = list.json.groups.find((x) => x.name === 'Thursday carers');
      assert.equal(made.capacity, 7);
      assert.equal(made.category, 'caregiver');
      assert.deepEqual(made.facilitators.map((x) => x.id),
        [fac.user.id, g.facilitator.user.id].sort((a, b) => a - b));

      // the facilitator finds the new group on their dashboard
      await f.page.goto('/dashboard');
      await f.page.getByRole('heading', { name: 'Thursday carers', level: 2 }).waitFor();
    });
  });

  test('a seat offered from the waitlist is accepted on "My group"', async (t) => {
    const g = await makeGroup(srv, { members: 1, capacity: 1 });
    const waiting = await addMember(srv, g.group, g.facilitator); // full: waitlisted
    await withPeople(t, browser, srv, [{ creds: waiting.creds, name: 'waiting' }], async ([p]) => {
      await p.page.goto('/my-group');
      const apps = p.page.locator('section[aria-labelledby="my-apps"]');
      await waitForText(apps, /On the waitlist/);
      await waitForText(apps, /You are number 1 on the waitlist/);
      assert.equal(await p.page.getByRole('button', { name: 'Withdraw this application' }).count(), 1);
      // a seat frees
      const left = await api(srv, `/api/v1/groups/${g.group.id}/leave`, { cookie: g.members[0].cookie, body: {} });
      assert.equal(left.status, 200, left.text);
      await p.page.reload();
      await waitForText(apps, /A seat is yours if you want it/);
      await p.page.getByRole('button', { name: 'Accept the seat' }).click();
      await waitForText(p.page.locator('#status'), /you have joined/);
      await p.page.getByRole('heading', { name: g.group.name, level: 2 }).waitFor();
      await until('a member', async () => {
        const r = await api(srv, `/api/v1/groups/${g.group.id}/members`, { cookie: g.facilitator.cookie });
        return r.json.members.some((m) => m.id === waiting.user.id);
      });
    });
  });
});
