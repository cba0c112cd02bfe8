// 08-messages — a private conversation in two browsers: one member starts
// it with someone from her group; the other sees the unread count rise in
// the inbox without reloading, opens it, and replies; the reply arrives
// live (a `dm` frame); a message is reported to the manager.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, DESKTOP, PHONE, withPeople, makeGroup, waitForText, waitForPath, screenshot,
  assertLayout, api, withBrowserAndServer,
} from './helper.mjs';

describe('private messages', { skip: SKIP }, () => {
  let srv;
  let browser;
  let g;
  withBrowserAndServer({}, async (s, b) => {
    srv = s;
    browser = b;
    g = await makeGroup(srv, { members: 2 });
  });

  test('start a conversation, live delivery and unread counts, reply, report', async (t) => {
    const [ma, mb] = g.members;
    await withPeople(t, browser, srv, [
      { creds: ma.creds, name: 'ann', viewport: DESKTOP },
      { creds: mb.creds, name: 'bea', viewport: PHONE },
    ], async ([ann, bea]) => {
      await bea.page.goto('/messages');
      await waitForText(bea.page.locator('section[aria-labelledby="m-inbox"]'), /no private conversations yet/);

      // from "My group": Message → the conversation is started with her
      await ann.page.goto('/my-group');
      await ann.page.getByRole('link', { name: `Message ${mb.creds.display_name}` }).click();
      await waitForPath(ann.page, `/messages?with=${mb.user.id}`);
      assert.equal(await ann.page.getByLabel(mb.creds.display_name).isChecked(), true);
      await ann.page.getByRole('button', { name: 'Start the conversation' }).click();
      await ann.page.getByRole('heading', { name: `With ${mb.creds.display_name}`, level: 1 }).waitFor();
      const box = ann.page.getByLabel(`Message to ${mb.creds.display_name}`);
      await box.fill('Hello Bea. How did the scan go?');
      await box.press('Enter');
      await waitForText(ann.page.locator('ol.dm-list'), /How did the scan go\?/);

      // Bea's inbox shows it, unread, without reloading
      const inbox = bea.page.locator('section[aria-labelledby="m-inbox"]');
      await waitForText(inbox, /1 unread/);
      await waitForText(inbox, /How did the scan go\?/);
      await screenshot(bea.page, 'messages-inbox-360');
      await assertLayout(bea.page, 'inbox at 360 px');
      await inbox.getByRole('link', { name: new RegExp(ma.creds.display_name) }).click();
      await bea.page.getByRole('heading', { name: `With ${ma.creds.display_name}`, level: 1 }).waitFor();
      await waitForText(bea.page.locator('ol.dm-list'), /How did the scan go\?/);

      // Bea replies; Ann's open conversation shows it live
      const reply = bea.page.getByLabel(`Message to ${ma.creds.display_name}`);
      await reply.fill('It went well, thank you.\nResults next week.');
      await reply.press('Enter');
      await waitForText(ann.page.locator('ol.dm-list'), /It went well, thank you\.\nResults next week\./);
      await waitForText(ann.page.locator('[aria-live="polite"]').last(), /It went well/);
      await screenshot(bea.page, 'conversation-360');
      await assertLayout(bea.page, 'conversation at 360 px');

      // the inbox has nothing unread once read
      await bea.page.goto('/messages');
      await waitForText(bea.page.locator('section[aria-labelledby="m-inbox"]'), /Nothing unread/);

      // Ann reports Bea's message to the manager
      await ann.page.getByRole('button', { name: new RegExp(`Report the message from ${mb.creds.display_name}`) }).click();
      const dlg = ann.page.getByRole('dialog', { name: 'Report this message' });
      await dlg.getByLabel('Something else').check();
      await dlg.getByLabel('What happened?').fill('Testing that reports reach the manager.');
      await dlg.getByRole('button', { name: 'Send the report' }).click();
      await waitForText(dlg.locator('[role="status"]'), /The online manager will look at this/);
      // Bea blocks Ann, then thinks better of it
      await bea.page.goto(new URL(ann.page.url()).pathname);
      await bea.page.getByText('People, blocking and reporting').click();
      await bea.page.getByRole('button', { name: `Block ${ma.creds.display_name}` }).click();
      await bea.page.getByRole('dialog').getByRole('button', { name: `Block ${ma.creds.display_name}` }).click();
      await waitForPath(bea.page, '/messages');
      await waitForText(bea.page.locator('#status'), /is blocked/);
      const blocked = bea.page.locator('section[aria-labelledby="m-blocked"]');
      await waitForText(blocked, new RegExp(ma.creds.display_name));
      await blocked.getByRole('button', { name: `Unblock ${ma.creds.display_name}` }).click();
      await waitForText(blocked, /You have not blocked anyone/);

      const q = await api(srv, '/api/v1/reports', { cookie: g.manager.cookie });
      assert.equal(q.status, 200);
      assert.ok(q.json.reports.some((r) => r.about === 'conversation_message' &&
        r.quoted && r.quoted.includes('It went well')));
    });
  });
});
