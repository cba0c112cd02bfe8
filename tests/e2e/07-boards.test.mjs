// 07-boards — the group's boards in the browser: folders, a new topic with
// a preview and a picture (its rules explained before choosing one), a
// reply that quotes part of an earlier post, the quote's link, flagging,
// a held post approved by the facilitator, pinning; and the thread at
// 360 px, screenshotted and checked for anything cut off or overlapping.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, DESKTOP, PHONE, withPeople, makeGroup, waitForText, screenshot, assertLayout, until,
  withBrowserAndServer,
} from './helper.mjs';

// a 1×1 PNG
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489' +
  '0000000d4944415478da63f8cfc0f01f0005000201a5b0e1ed0000000049454e44ae426082', 'hex');

describe('boards', { skip: SKIP }, () => {
  let srv;
  let browser;
  let g;
  withBrowserAndServer({}, async (s, b) => {
    srv = s;
    browser = b;
    g = await makeGroup(srv, { members: 2 });
  });

  test('a topic with a picture, a reply with a quote, a flag, a held post approved', async (t) => {
    const [ma, mb] = g.members;
    await withPeople(t, browser, srv, [
      { creds: ma.creds, name: 'ann', viewport: DESKTOP },
      { creds: mb.creds, name: 'bea', viewport: PHONE },
      { creds: g.facilitator.creds, name: 'facilitator', viewport: DESKTOP },
    ], async ([ann, bea, fac]) => {
      // Ann starts a topic in her group's first folder
      await ann.page.goto('/boards');
      const groupCard = ann.page.locator(`section[aria-labelledby="b-g${g.group.id}"]`);
      await groupCard.locator('a.folder-link').first().click();
      await ann.page.getByRole('heading', { name: 'Start a new topic' }).waitFor();
      const chooser = ann.page.getByLabel('Add a picture');
      const hintId = (await chooser.getAttribute('aria-describedby')).split(' ')[0];
      assert.match(await ann.page.locator(`#${hintId}`).textContent(),
        /One picture per post: a PNG, JPEG, GIF or WebP of at most 128 KiB/, 'the rules come first');
      await ann.page.getByLabel('Subject').fill('Sleeping after treatment');
      await ann.page.getByLabel('What would you like to say?').fill(
        'I sleep **badly** since the treatment ended.\n\nWarm milk helps a little, and so does reading.');
      await ann.page.getByRole('button', { name: 'Preview' }).click();
      await ann.page.locator('.preview strong').filter({ hasText: 'badly' }).waitFor();
      // a picture that is too big is refused before anything is sent
      await chooser.setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: Buffer.concat([PNG, Buffer.alloc(200 * 1024)]) });
      await waitForText(ann.page.locator('.field-error').filter({ hasText: 'KiB' }), /the limit is 128 KiB/);
      await chooser.setInputFiles({ name: 'garden.png', mimeType: 'image/png', buffer: PNG });
      await ann.page.getByRole('button', { name: 'Post the topic' }).click();
      await ann.page.getByRole('heading', { name: 'Sleeping after treatment', level: 1 }).waitFor();
      await waitForText(ann.page.locator('#status'), /Your topic has been posted/);
      const first = ann.page.locator('article.post').first();
      await first.locator('.post-body strong').filter({ hasText: 'badly' }).waitFor();
      await ann.page.waitForFunction(() => {
        const i = document.querySelector('.post-picture img');
        return i && i.complete && i.naturalWidth === 1;
      });
      const topicUrl = new URL(ann.page.url()).pathname;

      // Bea, on her phone, quotes part of Ann's post in a reply
      await bea.page.goto(topicUrl);
      const annPost = bea.page.locator('article.post').first();
      await annPost.locator('.post-body').waitFor();
      await bea.page.evaluate(() => {
        const p = [...document.querySelectorAll('article.post .post-body p')]
          .find((x) => x.textContent.includes('Warm milk'));
        const text = p.firstChild;
        const range = document.createRange();
        range.setStart(text, 0);
        range.setEnd(text, 'Warm milk helps a little'.length);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      });
      await annPost.getByRole('button', { name: /^Quote/ }).click();
      await waitForText(bea.page.locator('.quote-chip'), /Quoting .*the part you selected.*Warm milk helps a little/s);
      assert.ok(await bea.page.getByLabel('Your reply').evaluate((el) => el === document.activeElement),
        'focus goes to the reply');
      await bea.page.getByLabel('Your reply').fill('Thank you, I will try the milk tonight.');
      await bea.page.getByRole('button', { name: 'Post the reply' }).click();
      const reply = bea.page.locator('article.post').nth(1);
      await reply.locator('blockquote').filter({ hasText: 'Warm milk helps a little' }).waitFor();
      await waitForText(reply.locator('.post-body'), /I will try the milk tonight/);
      assert.equal(await reply.locator('blockquote').filter({ hasText: 'and so does reading' }).count(), 0,
        'only the selected part is quoted');
      await screenshot(bea.page, 'board-thread-360');
      await assertLayout(bea.page, 'board thread at 360 px');

      // Ann sees the reply; the quote's link leads to her post
      await ann.page.reload();
      const quoted = ann.page.locator('article.post').nth(1);
      await quoted.locator('blockquote').waitFor();
      const link = quoted.locator('.post-body a[href^="/boards/posts/"]').first();
      await link.click();
      await until('the quoted post has focus', () => ann.page.evaluate(() =>
        document.activeElement && document.activeElement.matches('article.post') &&
        document.activeElement.textContent.includes('Warm milk')));

      // Bea flags Ann's post; the facilitator sees it and deals with it
      await annPost.getByRole('button', { name: /^Flag/ }).click();
      const dlg = bea.page.getByRole('dialog', { name: 'Flag this post for the facilitators' });
      await dlg.getByLabel('Why should a facilitator look at it?').fill('It mentions a treatment by name.');
      await dlg.getByRole('button', { name: 'Flag the post' }).click();
      await waitForText(dlg.locator('[role="status"]'), /Thank you/);
      await dlg.getByRole('button', { name: 'Close' }).click();

      // a reply with a link to an unknown site is held for the facilitator
      await bea.page.getByLabel('Your reply').fill('This article helped me: [sleep](https://sleep.example.org/tips)');
      await bea.page.getByRole('button', { name: 'Post the reply' }).click();
      await waitForText(bea.page.locator('section[aria-labelledby="reply-h"] [role="status"]'), /A facilitator will look at it/);
      await bea.page.locator('article.post-held').waitFor();

      await fac.page.goto('/dashboard');
      const dash = fac.page.locator(`section[aria-labelledby="d-g${g.group.id}"]`);
      await waitForText(dash, /It mentions a treatment by name\./);
      await waitForText(dash, /This article helped me/);
      await screenshot(fac.page, 'dashboard-desktop');
      await assertLayout(fac.page, 'dashboard');
      await dash.getByRole('button', { name: 'Mark as dealt with' }).click();
      await waitForText(fac.page.locator('#status'), /dealt with/);
      await dash.getByRole('button', { name: /^Approve/ }).click();
      await waitForText(fac.page.locator('#status'), /approved/);

      // the facilitator pins the topic; Ann now sees the approved reply
      await fac.page.goto(topicUrl);
      await fac.page.getByRole('button', { name: 'Pin to the top' }).click();
      await waitForText(fac.page.locator('.topic-badges'), /Pinned/);
      await ann.page.goto(topicUrl);
      await waitForText(ann.page.locator('.posts'), /This article helped me/);
      assert.equal(await ann.page.locator('article.post-held').count(), 0);
    });
  });
});
