// 03-layout — how the pages look and read: 360 px and desktop screenshots
// (saved for people to look at), nothing cut off or overlapping, WCAG AA
// contrast of every text, help one click from every page, and no links to
// screens whose API the server does not have yet.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, PHONE, DESKTOP, withPage, registerApi, signInContext, screenshot, waitForText,
  waitForPath, withBrowserAndServer, checkScreen,
} from './helper.mjs';

describe('layout, contrast and help', { skip: SKIP }, () => {
  let srv;
  let browser;
  let creds;
  withBrowserAndServer({}, async (s, b) => {
    srv = s;
    browser = b;
    creds = await registerApi(srv);
  });

  for (const [size, viewport] of [['360', PHONE], ['desktop', DESKTOP]]) {
    test(`signed out, ${size}: screenshots; nothing cut off, overlapping or faint`, async (t) => {
      await withPage(t, browser, srv, async ({ page }) => {
        for (const [path, heading] of [['/', 'A quiet place to meet'], ['/signin', 'Sign in'],
          ['/register', 'Create an account'], ['/crisis', 'Need help now?'],
          ['/guidelines', 'Community guidelines'], ['/no-such-page', 'We cannot find that page']]) {
          await page.goto(path);
          await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
          await checkScreen(page, `${path} at ${size}`);
          await screenshot(page, `${path.slice(1) || 'home'}-${size}`);
        }
        // with errors showing
        await page.goto('/signin');
        await page.getByLabel('Username').fill('nobody-here');
        await page.getByLabel('Password', { exact: true }).fill('not a real password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await waitForText(page.locator('form [role="alert"]'), /do not match/);
        await checkScreen(page, `/signin with an error at ${size}`);
        await screenshot(page, `signin-error-${size}`);
        await page.goto('/register');
        await page.getByRole('button', { name: 'Create my account' }).click();
        await waitForText(page.locator('form [role="alert"]'), /fields need your attention/);
        await checkScreen(page, `/register with errors at ${size}`);
        await screenshot(page, `register-errors-${size}`);
      }, { viewport });
    });

    test(`signed in, ${size}: profile and its dialog`, async (t) => {
      await withPage(t, browser, srv, async ({ page, context }) => {
        await signInContext(srv, context, creds);
        await page.goto('/profile');
        await page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor();
        await checkScreen(page, `/profile at ${size}`);
        await screenshot(page, `profile-${size}`);
        await page.getByRole('button', { name: 'Save choices' }).click();
        await waitForText(page.locator('section[aria-labelledby="p-privacy"] [role="status"]'), /saved/);
        await checkScreen(page, `/profile with a message at ${size}`);
        await page.goto('/');
        await page.getByRole('heading', { name: /^Hello/, level: 1 }).waitFor();
        await checkScreen(page, `/ signed in at ${size}`);
        await screenshot(page, `home-signed-in-${size}`);
        if (viewport === PHONE) {
          await page.getByRole('button', { name: 'Menu' }).click();
          await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Your profile' }).waitFor();
          await checkScreen(page, `menu open at ${size}`);
          await screenshot(page, `menu-open-${size}`);
          await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Your profile' }).click();
          await page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor();
        } else {
          await page.goto('/profile');
        }
        await page.getByRole('button', { name: 'Delete my account…' }).click();
        await page.getByRole('dialog').waitFor();
        await page.getByRole('dialog').getByRole('button', { name: 'Delete my account' }).click();
        await waitForText(page.getByRole('dialog').locator('[role="alert"]'), /password/);
        const dialogLayout = await page.evaluate(() => {
          const d = document.querySelector('dialog').getBoundingClientRect();
          return { left: d.left, right: d.right, width: innerWidth };
        });
        assert.ok(dialogLayout.left >= 0 && dialogLayout.right <= dialogLayout.width, 'the dialog fits');
        await checkScreen(page, `delete dialog at ${size}`);
        await screenshot(page, `delete-dialog-${size}`, { fullPage: false });
      }, { viewport });
    });
  }

  test('crisis resources and guidelines are one click from every page', async (t) => {
    await withPage(t, browser, srv, async ({ page, context }) => {
      const paths = ['/', '/signin', '/register', '/guidelines', '/no-such-page'];
      for (const signedIn of [false, true]) {
        if (signedIn) await signInContext(srv, context, creds);
        for (const path of signedIn ? [...paths, '/profile'] : paths) {
          await page.goto(path);
          await page.locator('#view h1').waitFor();
          const help = page.getByRole('navigation', { name: 'Help and guidelines' });
          assert.ok(await help.getByRole('link', { name: 'Guidelines' }).isVisible(), path);
          await help.getByRole('link', { name: 'Need help now?' }).click();
          await page.getByRole('heading', { name: 'Need help now?', level: 1 }).waitFor();
          await waitForPath(page, '/crisis');
        }
      }
      for (const [tel, name] of [['tel:116123', /Samaritans/], ['tel:111', /NHS 111/], ['tel:999', /Emergency/]]) {
        const item = page.locator('.helpline').filter({ has: page.locator(`a[href="${tel}"]`) });
        await waitForText(item, name);
      }
      await waitForText(page.locator('main'), /charity that runs this Hearth can change this list/);
      await page.getByRole('navigation', { name: 'Help and guidelines' }).getByRole('link', { name: 'Guidelines' }).click();
      await page.getByRole('heading', { name: 'Community guidelines', level: 1 }).waitFor();
      await waitForText(page.locator('main'), /What is said here stays here/);
    });
  });

  test('the navigation offers each role its screens; a screen whose API is missing is hidden',
    async (t) => {
      await withPage(t, browser, srv, async ({ page, context }) => {
        await signInContext(srv, context, creds);
        await page.goto('/');
        await page.getByRole('heading', { name: /^Hello/, level: 1 }).waitFor();
        const nav = page.getByRole('navigation', { name: 'Main' });
        await nav.getByRole('button', { name: 'Sign out' }).waitFor();
        const names = (await nav.locator('a, button').allTextContents()).map((s) => s.trim());
        assert.deepEqual(names, ['Home', 'Find a group', 'My group', 'Boards', 'Messages',
          'Transcripts', 'Your profile', 'Sign out']);
        for (const path of ['/dashboard', '/manage', '/manage/groups/new', '/dashboard/applications/1']) {
          await page.goto(path);
          await page.getByRole('heading', { name: 'We cannot find that page', level: 1 }).waitFor();
        }
      });
      // a server without the boards API: no link, no screen
      await withPage(t, browser, srv, async ({ page, context }) => {
        await signInContext(srv, context, creds);
        await page.route('**/api/v1/boards', (route) => route.fulfill({
          status: 404, contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'not_found', message: 'There is nothing at this address.' } }),
        }));
        await page.goto('/');
        const nav = page.getByRole('navigation', { name: 'Main' });
        await nav.getByRole('button', { name: 'Sign out' }).waitFor();
        const names = (await nav.locator('a, button').allTextContents()).map((s) => s.trim());
        assert.ok(!names.includes('Boards'), names.join(', '));
        assert.ok(names.includes('Messages'));
        await page.goto('/boards');
        await page.getByRole('heading', { name: 'We cannot find that page', level: 1 }).waitFor();
      });
    });
});
