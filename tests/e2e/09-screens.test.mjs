// 09-screens — every screen of the client, as the role that uses it, at
// 360 px and at desktop width: a screenshot of each (for people to look
// at), nothing cut off or overlapping, every text at WCAG AA contrast; and
// the screens a role may not use are not offered to it.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, PHONE, DESKTOP, withPeople, makeGroup, api, signUp, screenshot, checkScreen, until,
  waitForText, withBrowserAndServer,
} from './helper.mjs';
import { connect, join, openSession } from '../integration/live-helper.mjs';

describe('every screen at 360 px and desktop', { skip: SKIP }, () => {
  let srv;
  let browser;
  let g;
  const ids = {};
  withBrowserAndServer({ args: ['--live-rate-burst', '50'] }, async (s, b) => {
    srv = s;
    browser = b;
    g = await makeGroup(srv, { members: 2, slot: { screening_questions: ['What brings you here?'] } });
    const [ma, mb] = g.members;
    // a board topic with a reply that quotes it
    const folders = await api(srv, `/api/v1/groups/${g.group.id}/folders`, { cookie: ma.cookie });
    ids.folder = folders.json.folders[0].id;
    const topic = await api(srv, `/api/v1/folders/${ids.folder}/topics`, { cookie: ma.cookie,
      body: { subject: 'Small things that help', body: 'A walk at lunchtime.\n\nA **long** bath.' } });
    ids.topic = topic.json.topic_id;
    await api(srv, `/api/v1/topics/${ids.topic}/posts`, { cookie: mb.cookie,
      body: { body: 'Gardening, for me.', quote: { post: topic.json.post.id, text: 'A walk at lunchtime.' } } });
    // a conversation
    const conv = await api(srv, '/api/v1/conversations', { cookie: ma.cookie, body: { participants: [mb.user.id] } });
    ids.conv = conv.json.id;
    await api(srv, `/api/v1/conversations/${ids.conv}/messages`, { cookie: ma.cookie,
      body: { client_id: 'screen-1', text: 'Thinking of you today.' } });
    // a session that has ended, with a transcript
    ids.session = await openSession(srv, g.group, g.facilitator);
    const f = await connect(srv, g.facilitator.cookie);
    await join(f, ids.session);
    const a = await connect(srv, ma.cookie);
    await join(a, ids.session);
    a.send({ type: 'say', session: ids.session, client_id: 's1', text: 'Good evening, everyone.' });
    await a.next('ack');
    f.send({ type: 'mod', session: ids.session, action: 'end' });
    await f.next('session_state', (x) => x.state === 'closed');
    await a.close();
    await f.close();
    // an application waiting for the facilitator
    const applicant = await signUp(srv);
    const app = await api(srv, `/api/v1/groups/${g.group.id}/applications`, { cookie: applicant.cookie,
      body: { answers: ['Friends told me about it.'], age_band: '35-44', gp: { name: 'Dr Rowan', practice: 'The Surgery', phone: '0161 496 0000' } } });
    ids.app = app.json.id;
    // a report for the manager
    await api(srv, '/api/v1/reports', { cookie: mb.cookie, body: { about: 'post', post: topic.json.post.id,
      kind: 'other', reason: 'Checking the queue.' } });
  });

  const SCREENS = {
    member: [
      ['/groups', 'Find a group'], [() => `/groups/${g.group.id}`, () => g.group.name],
      [() => `/groups/${g.group.id}/apply`, () => `Apply to ${g.group.name}`],
      ['/my-group', 'My group'], ['/boards', 'Boards'],
      [() => `/boards/${ids.folder}`, null], [() => `/topics/${ids.topic}`, 'Small things that help'],
      ['/messages', 'Messages'], [() => `/messages/${ids.conv}`, /^With /],
      ['/transcripts', 'Transcripts'], [() => `/transcripts/${ids.session}`, /transcript$/],
      ['/reports', 'Your reports'],
    ],
    facilitator: [
      ['/dashboard', 'Dashboard'], [() => `/dashboard/applications/${ids.app}`, /application$/],
      ['/my-group', 'My group'],
    ],
    manager: [
      ['/manage', 'Manage'], ['/manage/groups/new', 'Set up a new group'],
      [() => `/manage/groups/${g.group.id}`, /^Change /], ['/dashboard', 'Dashboard'], ['/boards', 'Boards'],
    ],
  };
  const who = () => ({ member: g.members[0], facilitator: g.facilitator, manager: g.manager });

  for (const [size, viewport] of [['360', PHONE], ['desktop', DESKTOP]]) {
    test(`at ${size}: every screen, as its role`, async (t) => {
      const people = who();
      await withPeople(t, browser, srv, Object.entries(people).map(([role, p]) => ({
        creds: p.creds, name: role, viewport })), async (pages) => {
        for (const [i, role] of Object.keys(people).entries()) {
          const { page } = pages[i];
          for (const [pathOf, headingOf] of SCREENS[role]) {
            const path = typeof pathOf === 'function' ? pathOf() : pathOf;
            const heading = typeof headingOf === 'function' ? headingOf() : headingOf;
            await page.goto(path);
            const h1 = heading ? page.getByRole('heading', { name: heading, level: 1 })
              : page.locator('#view h1');
            await h1.waitFor();
            await page.waitForFunction(() => !document.querySelector('main[aria-busy="true"]'));
            await checkScreen(page, `${role} ${path} at ${size}`);
            const name = `${role}-${path.replace(/\/\d+/g, '-id').replace(/[^a-z-]+/gi, '-').replace(/^-|-$/g, '')}-${size}`;
            await screenshot(page, `screen-${name}`);
          }
        }
      });
    });
  }

  test('each role is offered only its own screens', async (t) => {
    const people = who();
    await withPeople(t, browser, srv, Object.entries(people).map(([role, p]) => ({ creds: p.creds, name: role })),
      async (pages) => {
        const want = {
          member: ['Home', 'Find a group', 'My group', 'Boards', 'Messages', 'Transcripts', 'Your profile', 'Sign out'],
          facilitator: ['Home', 'My group', 'Boards', 'Messages', 'Transcripts', 'Dashboard', 'Your profile', 'Sign out'],
          manager: ['Home', 'Boards', 'Dashboard', 'Manage', 'Your profile', 'Sign out'],
        };
        for (const [i, role] of Object.keys(people).entries()) {
          const { page } = pages[i];
          await page.goto('/');
          const nav = page.getByRole('navigation', { name: 'Main' });
          await nav.getByRole('button', { name: 'Sign out' }).waitFor();
          await page.waitForFunction((n) => document.querySelectorAll('#nav-list li').length === n, want[role].length);
          const names = (await nav.locator('a, button').allTextContents()).map((s) => s.trim());
          assert.deepEqual(names, want[role], role);
        }
        // a member opening the manager's page, or a manager the live room, finds nothing there
        await pages[0].page.goto('/manage');
        await pages[0].page.getByRole('heading', { name: 'We cannot find that page', level: 1 }).waitFor();
        await pages[2].page.goto(`/sessions/${ids.session}`);
        await pages[2].page.getByRole('heading', { name: 'We cannot find that page', level: 1 }).waitFor();
        // a session whose doors are not open yet says when they open, and lets nobody write
        const sid = await until('a planned session', async () => {
          const r = await api(srv, `/api/v1/groups/${g.group.id}/sessions`, { cookie: g.members[0].cookie });
          const s = r.json.sessions.find((x) => x.session_id && x.state === 'scheduled');
          return s && s.session_id;
        }, 20_000);
        await pages[0].page.goto(`/sessions/${sid}`);
        await pages[0].page.locator('section.room[data-state="doors"]').waitFor();
        await waitForText(pages[0].page.locator('.room-state'), /The doors open at \d\d:\d\d.*, ten minutes before the start/);
        assert.equal(await pages[0].page.getByLabel('Your message').isVisible(), false);
        await checkScreen(pages[0].page, 'a session before its doors open');
        await screenshot(pages[0].page, 'screen-member-session-doors-desktop');

        // members see no moderation on the boards; the facilitator does
        await pages[0].page.goto(`/topics/${ids.topic}`);
        await pages[0].page.locator('article.post').first().waitFor();
        assert.equal(await pages[0].page.getByRole('button', { name: 'Pin to the top' }).count(), 0);
        await pages[1].page.goto(`/topics/${ids.topic}`);
        await pages[1].page.getByRole('button', { name: 'Pin to the top' }).waitFor();
      });
  });
});
