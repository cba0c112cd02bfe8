// 06-live-room — a live session in three browsers against the real server:
// a facilitator and two members join from "My group" while the doors are
// open; messages appear for all in the same order; typing shows; a
// member's network drops and comes back, and nothing is lost or shown
// twice; the crisis card and the facilitator's alert; the facilitator
// removes a message and it disappears for everyone; the 360 px room is
// screenshotted and checked; the session ends and its transcript is read,
// searched and downloaded.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, PHONE, DESKTOP, withPeople, makeGroup, slotStartingSoon, screenshot, assertLayout, until,
  waitForText, waitForPath, withBrowserAndServer,
} from './helper.mjs';

/** The messages a page shows: [{seq, author, text}] in page order. */
function shown(page) {
  return page.$$eval('ol.msgs:not(.msgs-pending) > li.msg', (els) => els.map((e) => ({
    seq: Number(e.dataset.seq),
    author: e.querySelector('.msg-author').textContent.replace(/ \(you\)$/, ''),
    text: e.querySelector('.msg-text').textContent,
  })));
}

async function joinFromMyGroup(page) {
  await page.goto('/my-group');
  await page.getByRole('heading', { name: 'My group', level: 1 }).waitFor();
  // the session's row is planned within seconds; the page refreshes itself
  const join = page.getByRole('link', { name: 'Join the session' });
  await join.waitFor({ timeout: 30_000 });
  await join.click();
  await page.locator('section.room[data-state="open"]').waitFor({ timeout: 20_000 });
}

async function say(page, text) {
  const box = page.getByLabel('Your message');
  await box.fill(text);
  await box.press('Enter');
}

describe('the live room', { skip: SKIP }, () => {
  let srv;
  let browser;
  let g;
  withBrowserAndServer({ args: ['--live-rate-burst', '50', '--live-rate-per-min', '6000'] }, async (s, b) => {
    srv = s;
    browser = b;
    g = await makeGroup(srv, { members: 2, checkins: true, slot: slotStartingSoon() });
  });

  test('three people, one order, typing, a dropped connection, a removal, the transcript',
    async (t) => {
      const [ma, mb] = g.members;
      await withPeople(t, browser, srv, [
        { creds: g.facilitator.creds, name: 'facilitator', viewport: DESKTOP },
        { creds: ma.creds, name: 'ann', viewport: DESKTOP },
        { creds: mb.creds, name: 'bea', viewport: PHONE, timezoneId: 'America/New_York' },
      ], async ([fac, ann, bea]) => {
        const all = [fac, ann, bea];
        for (const p of all) await joinFromMyGroup(p.page);
        for (const p of all) {
          await waitForText(p.page.locator('.room-side h2').first(), /Who is here \(3\)/);
        }
        assert.equal(await fac.page.getByRole('heading', { name: 'Facilitator tools' }).count(), 1);
        assert.equal(await ann.page.getByRole('heading', { name: 'Facilitator tools' }).count(), 0,
          'members have no facilitator tools');

        // the check-in on arrival: only the facilitator sees the answer
        const checkin = ann.page.locator('form.checkin');
        await waitForText(checkin, /how are you feeling right now\?/);
        await checkin.getByLabel('7', { exact: true }).check();
        await checkin.getByRole('button', { name: 'Send' }).click();
        await waitForText(ann.page.locator('.checkin-slot'), /Your facilitators have your answer/);
        await waitForText(fac.page.locator('.here-list'), /check-in 7 on arrival/);
        assert.equal(await fac.page.locator('form.checkin').count(), 0, 'facilitators are not asked');
        await bea.page.locator('form.checkin').getByRole('button', { name: 'Not now' }).click();
        assert.equal(await bea.page.locator('form.checkin').count(), 0);
        assert.ok(await bea.page.getByLabel('Your message').evaluate((el) => el === document.activeElement));

        // typing shows for the others
        await ann.page.getByLabel('Your message').pressSequentially('Hello every');
        await waitForText(bea.page.locator('.typing'), new RegExp(`${ma.creds.display_name} is typing`));
        await waitForText(fac.page.locator('.typing'), /is typing/);
        await ann.page.getByLabel('Your message').pressSequentially('one');
        await ann.page.getByLabel('Your message').press('Enter');
        await say(fac.page, 'Welcome, both of you.\nTake your time.');
        await say(bea.page, 'Thank you. It is good to be here.');
        let expected;
        await until('three messages everywhere', async () => {
          const lists = await Promise.all(all.map((p) => shown(p.page)));
          if (!lists.every((l) => l.length === 3)) return false;
          expected = lists[0];
          return lists.every((l) => JSON.stringify(l) === JSON.stringify(expected));
        });
        assert.deepEqual(expected.map((m) => m.seq), [1, 2, 3]);
        assert.ok(expected.some((m) => m.text === 'Welcome, both of you.\nTake your time.'),
          'a new line is kept');
        // the composer's counter, and the live region that reads new messages out
        assert.match(await ann.page.locator('#composer-count').textContent(), /^0 of 4000 characters$/);
        await waitForText(bea.page.locator('.room [aria-live="polite"]'), /Welcome, both of you/);

        // Bea's connection drops; the others talk on; Bea writes while away
        await bea.context.setOffline(true);
        await bea.page.locator('section.room[data-state="reconnecting"]').waitFor();
        await waitForText(bea.page.locator('.room-state'), /Reconnecting/);
        await say(ann.page, 'While you were away, one.');
        await say(fac.page, 'While you were away, two.');
        await say(bea.page, 'Written while my connection was down.');
        await waitForText(bea.page.locator('.msgs-pending'), /Waiting for the connection/);
        await until('the others have five', async () => (await shown(ann.page)).length === 5);
        await bea.context.setOffline(false);
        await bea.page.locator('section.room[data-state="open"]').waitFor({ timeout: 20_000 });
        await until('six messages everywhere, the same', async () => {
          const lists = await Promise.all(all.map((p) => shown(p.page)));
          if (!lists.every((l) => l.length === 6)) return false;
          expected = lists[0];
          return lists.every((l) => JSON.stringify(l) === JSON.stringify(expected));
        });
        assert.deepEqual(expected.map((m) => m.seq), [1, 2, 3, 4, 5, 6], 'no gap, nothing twice');
        assert.equal(expected.filter((m) => m.text === 'Written while my connection was down.').length, 1);
        assert.equal(await bea.page.locator('.msgs-pending > li').count(), 0, 'nothing left pending');
        assert.equal(await bea.page.locator('form.checkin').count(), 0, 'a check-in put aside is not asked again');

        // a crisis phrase: the author gets the card, only the facilitator the alert
        await say(ann.page, 'Some days I want to end my life.');
        await ann.page.locator('.crisis-card').waitFor();
        await waitForText(ann.page.locator('.crisis-card'), /116 123/);
        await waitForText(fac.page.locator('.room-tools .alert-list'), /Some days I want to end my life/);
        await until('seven messages for Bea', async () => (await shown(bea.page)).length === 7);
        assert.equal(await bea.page.locator('.crisis-card').count(), 0);
        assert.equal(await bea.page.locator('.alert-list').count(), 0, 'members never see alerts');

        // with the keyboard alone: from the composer back to a message's options, and out again
        await bea.page.getByLabel('Your message').focus();
        await bea.page.keyboard.press('Shift+Tab');
        const focusedName = () => bea.page.evaluate(() => document.activeElement.getAttribute('aria-label') || '');
        assert.match(await focusedName(), new RegExp(`Options for the message from ${ma.creds.display_name}`));
        await bea.page.keyboard.press('Enter');
        const options = bea.page.getByRole('dialog', { name: 'Message options' });
        await options.waitFor();
        assert.equal(await options.getByRole('button', { name: 'Report this message' }).count(), 1);
        assert.equal(await options.getByRole('button', { name: /Remove the message/ }).count(), 0,
          'members cannot remove messages');
        await bea.page.keyboard.press('Escape');
        await options.waitFor({ state: 'detached' });
        assert.match(await focusedName(), /Options for the message/, 'focus comes back');

        // the facilitator removes Ann's first message: gone for everyone
        await fac.page.getByRole('button', { name: new RegExp(`Options for the message from ${ma.creds.display_name}`) }).first().click();
        const dlg = fac.page.getByRole('dialog', { name: 'Message options' });
        await dlg.getByRole('button', { name: 'Remove the message for everyone' }).click();
        for (const p of all) {
          await waitForText(p.page.locator('li.msg[data-seq="1"] .msg-text'), /removed by the facilitator/);
          assert.equal(await p.page.locator('ol.msgs').getByText('Hello everyone').count(), 0, p.name);
        }
        await waitForText(fac.page.locator('.tools-status'), /removed/);

        // the room at 360 px, and the facilitator's at desktop width
        await bea.page.getByLabel('Your message').fill('A thought I have not sent yet');
        await screenshot(bea.page, 'live-room-360');
        await assertLayout(bea.page, 'live room at 360 px');
        await screenshot(fac.page, 'live-room-facilitator-desktop');
        await assertLayout(fac.page, 'live room, facilitator, desktop');

        // the session ends; the transcript is there to read
        await fac.page.getByRole('button', { name: 'End the session…' }).click();
        await fac.page.getByRole('dialog').getByRole('button', { name: 'End the session' }).click();
        for (const p of all) await p.page.locator('section.room[data-state="closed"]').waitFor();
        assert.equal(await ann.page.getByLabel('Your message').isVisible(), false, 'nothing more can be written');
        await ann.page.getByRole('link', { name: 'Read the transcript' }).click();
        await ann.page.getByRole('heading', { name: /: transcript$/, level: 1 }).waitFor();
        const transcript = ann.page.locator('ol.transcript');
        await waitForText(transcript, /While you were away, one\./);
        await waitForText(transcript, /Written while my connection was down\./);
        await waitForText(transcript, /\[removed by facilitator\]/);
        assert.equal(await transcript.getByText('Hello everyone').count(), 0);
        await ann.page.getByLabel('Words to find').fill('away');
        await waitForText(ann.page.locator('#tr-find-count'), /^2 matches\.$/);
        assert.equal(await transcript.locator('mark').count(), 2);
        await ann.page.getByRole('button', { name: 'Next' }).click();
        await waitForText(ann.page.locator('#tr-find-count'), /Match 1 of 2/);
        for (const [f, mime] of [['html', 'text/html'], ['md', 'text/markdown'], ['txt', 'text/plain']]) {
          const link = ann.page.getByRole('link', { name: new RegExp(`Download as .*\\(\\.${f}\\)`) });
          const res = await ann.context.request.get(await link.getAttribute('href'));
          assert.equal(res.status(), 200, f);
          assert.ok(res.headers()['content-type'].startsWith(mime), f);
          assert.match(res.headers()['content-disposition'], /^attachment/);
          assert.match(await res.text(), /Written while my connection was down/);
        }
        await screenshot(ann.page, 'transcript-desktop');
        await assertLayout(ann.page, 'transcript');

        // the list of transcripts, and searching across them
        await ann.page.goto('/transcripts');
        await ann.page.getByLabel('Search the transcripts').fill('connection');
        await ann.page.getByRole('button', { name: 'Search' }).click();
        await waitForText(ann.page.locator('.search-results'), /1 place found/);
        assert.equal(await ann.page.locator('.search-results mark').first().textContent(), 'connection');
        await ann.page.locator('.search-results a').first().click();
        await ann.page.locator('ol.transcript').waitFor();
      });
    });
});
