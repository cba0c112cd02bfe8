// 01-accounts — the account screens in a real browser: register, sign in and
// out, remember me, a wrong password announced, the profile, the picture,
// password change, deleting the account, and coming back after a 401.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, withPage, newUser, registerApi, signInUi, signInContext, meFromContext, waitForText,
  waitForPath, api, withBrowserAndServer,
} from './helper.mjs';

// smallest valid PNG: signature, IHDR 1x1, IDAT, IEND
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489' +
  '0000000d4944415478da63f8cfc0f01f0005000201a5b0e1ed0000000049454e44ae426082', 'hex');

describe('accounts in the browser', { skip: SKIP }, () => {
  let srv;
  let browser;
  withBrowserAndServer({}, (s, b) => { srv = s; browser = b; });

  test('register, sign out, a wrong password is announced, sign in again', async (t) => {
    await withPage(t, browser, srv, async ({ page, context }) => {
      const creds = newUser();
      await page.goto('/');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Create an account' }).click();
      await waitForPath(page, '/register');
      await page.getByLabel('Username').fill(creds.username);
      await page.getByLabel('Display name').fill(creds.display_name);
      await page.getByLabel('E-mail address').fill(creds.email);
      await page.getByLabel('Password', { exact: true }).fill(creds.password);
      await page.getByLabel('Password again').fill(creds.password);
      await page.getByRole('button', { name: 'Create my account' }).click();

      await waitForPath(page, '/');
      await waitForText(page.locator('#status'), /Welcome to Hearth, .*Your account is ready/);
      assert.equal(await page.locator('#status').getAttribute('role'), 'status');
      await waitForText(page.locator('h1'), new RegExp(`Hello, ${creds.display_name}`));
      const me = await meFromContext(srv, context);
      assert.equal(me.status, 200);
      assert.equal(me.json.username, creds.username);
      assert.equal(me.json.email, creds.email);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await waitForText(page.locator('#status'), /You have signed out/);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' }).waitFor();
      assert.equal((await meFromContext(srv, context)).status, 401, 'the cookie is gone');

      // a wrong password: the server's words, in an alert, tied to the field
      await page.goto('/signin');
      await page.getByLabel('Username').fill(creds.username);
      await page.getByLabel('Password', { exact: true }).fill('this is not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.locator('form [role="alert"]');
      await waitForText(alert, /^That username and password do not match\. Please try again\.$/);
      const pw = page.getByLabel('Password', { exact: true });
      assert.equal(await pw.getAttribute('aria-invalid'), 'true');
      const described = await pw.getAttribute('aria-describedby');
      const errText = await page.locator(`#${described.split(' ').pop()}`).textContent();
      assert.match(errText, /do not match/);
      assert.ok(await pw.evaluate((el) => el === document.activeElement), 'focus goes to the field');
      assert.equal((await meFromContext(srv, context)).status, 401);

      // the right one: the error goes away and we are in
      await pw.fill(creds.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await waitForText(page.locator('#status'), new RegExp(`Signed in as ${creds.display_name}`));
      assert.equal((await meFromContext(srv, context)).status, 200);
    });
  });

  test('registration errors are shown next to their fields', async (t) => {
    await withPage(t, browser, srv, async ({ page }) => {
      const taken = await registerApi(srv);
      const creds = newUser({ username: taken.username });
      await page.goto('/register');
      await page.getByRole('button', { name: 'Create my account' }).click();
      // nothing filled in: every field says what it needs, nothing is sent
      await waitForText(page.locator('form [role="alert"]'), /fields need your attention/);
      assert.equal(await page.locator('[aria-invalid="true"]').count(), 5);
      assert.ok(await page.getByLabel('Username').evaluate((el) => el === document.activeElement));

      await page.getByLabel('Username').fill(creds.username);
      await page.getByLabel('Display name').fill(creds.display_name);
      await page.getByLabel('E-mail address').fill(creds.email);
      await page.getByLabel('Password', { exact: true }).fill(creds.password);
      await page.getByLabel('Password again').fill(creds.password + 'x');
      await page.getByRole('button', { name: 'Create my account' }).click();
      await waitForText(page.locator('form [role="alert"]'), /not the same/);
      assert.equal(await page.getByLabel('Password again').getAttribute('aria-invalid'), 'true');

      await page.getByLabel('Password again').fill(creds.password);
      await page.getByRole('button', { name: 'Create my account' }).click();
      await waitForText(page.locator('form [role="alert"]'), /already in use/);
      assert.equal(await page.getByLabel('Username').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByLabel('Password again').getAttribute('aria-invalid'), null);
      await waitForPath(page, '/register');
    });
  });

  test('remember me keeps the cookie past the browser session; without it, it ends with it',
    async (t) => {
      const creds = await registerApi(srv);
      await withPage(t, browser, srv, async ({ page, context }) => {
        await signInUi(page, creds, { remember: true });
        const [c] = (await context.cookies(srv.url)).filter((k) => k.name === 'hearth_session');
        assert.ok(c, 'signed in');
        const days = (c.expires * 1000 - Date.now()) / 86_400_000;
        assert.ok(days > 29 && days <= 30, `a 30-day cookie (${days} days)`);
        assert.equal(c.httpOnly, true);
        await page.reload();
        await page.getByRole('button', { name: 'Sign out' }).waitFor();
      });
      await withPage(t, browser, srv, async ({ page, context }) => {
        await signInUi(page, creds, { remember: false });
        const [c] = (await context.cookies(srv.url)).filter((k) => k.name === 'hearth_session');
        assert.ok(c, 'signed in');
        assert.equal(c.expires, -1, 'a browser-session cookie');
      });
    });

  test('profile: details and choices are saved, names stay text', async (t) => {
    const creds = await registerApi(srv);
    await withPage(t, browser, srv, async ({ page, context }) => {
      await signInUi(page, creds);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Your profile' }).click();
      await waitForPath(page, '/profile');
      await page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor();
      assert.equal(await page.title(), 'Your profile — Hearth');
      assert.equal(await page.getByLabel('Display name').inputValue(), creds.display_name);
      assert.equal(await page.getByLabel('E-mail address').inputValue(), creds.email);

      const sneaky = 'Sam <img src=x onerror="window.pwned=1">';
      await page.getByLabel('Display name').fill(sneaky);
      await page.getByLabel('Signature').fill('Take care of yourselves — Sam');
      await page.getByRole('button', { name: 'Save details' }).click();
      await waitForText(page.locator('section[aria-labelledby="p-about"] [role="status"]'),
        /Your details have been saved/);

      await page.getByLabel(/Include what I write, anonymised/).check();
      await page.getByLabel('E-mail me summaries of what is new in my group').uncheck();
      await page.getByRole('button', { name: 'Save choices' }).click();
      await waitForText(page.locator('section[aria-labelledby="p-privacy"] [role="status"]'),
        /Your choices have been saved/);

      const me = (await meFromContext(srv, context)).json;
      assert.equal(me.display_name, sneaky);
      assert.equal(me.signature, 'Take care of yourselves — Sam');
      assert.equal(me.research_consent, true);
      assert.equal(me.digest_opt_out, true);

      await page.reload();
      assert.equal(await page.getByLabel('Display name').inputValue(), sneaky);
      assert.equal(await page.getByLabel(/Include what I write/).isChecked(), true);
      assert.equal(await page.getByLabel('E-mail me summaries of what is new in my group').isChecked(), false);

      // the name is shown as the text it is
      await page.getByRole('link', { name: 'Home' }).first().click();
      await waitForText(page.locator('h1'), /^Hello, Sam <img src=x onerror="window.pwned=1">$/);
      assert.equal(await page.locator('main img').count(), 0);
      assert.equal(await page.evaluate(() => window.pwned), undefined);

      // a server refusal is shown at the field
      await page.goto('/profile');
      await page.getByLabel('E-mail address').fill('not an address');
      await page.getByRole('button', { name: 'Save details' }).click();
      await waitForText(page.locator('section[aria-labelledby="p-about"] [role="alert"]'),
        /valid e-mail address/);
      assert.equal(await page.getByLabel('E-mail address').getAttribute('aria-invalid'), 'true');
      assert.equal((await meFromContext(srv, context)).json.email, creds.email);
    });
  });

  test('picture: the rule is explained before upload, a big one is refused unsent', async (t) => {
    const creds = await registerApi(srv);
    await withPage(t, browser, srv, async ({ page, context }) => {
      await signInUi(page, creds);
      await page.goto('/profile');
      const chooser = page.getByLabel('Choose a picture');
      const hintId = (await chooser.getAttribute('aria-describedby')).split(' ')[0];
      assert.match(await page.locator(`#${hintId}`).textContent(),
        /PNG, JPEG, GIF or WebP picture of at most 128 KiB/);
      assert.equal(await page.getByRole('button', { name: 'Remove picture' }).isVisible(), false);

      const puts = [];
      page.on('request', (r) => { if (r.method() === 'PUT') puts.push(r.url()); });
      const big = Buffer.concat([PNG, Buffer.alloc(200 * 1024)]);
      await chooser.setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: big });
      await waitForText(page.locator('section[aria-labelledby="p-picture"] [role="alert"]'),
        /That picture is 201 KiB; the limit is 128 KiB/);
      assert.equal(await chooser.getAttribute('aria-invalid'), 'true');
      await page.getByRole('button', { name: 'Upload picture' }).click();
      await waitForText(page.locator('section[aria-labelledby="p-picture"] [role="alert"]'), /128 KiB/);
      assert.deepEqual(puts, [], 'nothing was uploaded');

      await chooser.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG });
      assert.equal(await chooser.getAttribute('aria-invalid'), null);
      await page.getByRole('button', { name: 'Upload picture' }).click();
      await waitForText(page.locator('section[aria-labelledby="p-picture"] [role="status"]'),
        /Your picture has been updated/);
      assert.equal(puts.length, 1);
      const img = page.getByRole('img', { name: 'Your current picture' });
      await img.waitFor();
      await page.waitForFunction(() => {
        const i = document.querySelector('img.avatar');
        return i && i.complete && i.naturalWidth === 1;
      });
      assert.equal((await meFromContext(srv, context)).json.has_avatar, true);

      await page.getByRole('button', { name: 'Remove picture' }).click();
      await waitForText(page.locator('section[aria-labelledby="p-picture"] [role="status"]'),
        /Your picture has been removed/);
      await waitForText(page.locator('.avatar-box'), /You have no picture yet/);
      assert.equal((await meFromContext(srv, context)).json.has_avatar, false);
    });
  });

  test('password change: the old one is checked, the new one works', async (t) => {
    const creds = await registerApi(srv);
    const fresh = 'a different long password';
    await withPage(t, browser, srv, async ({ page }) => {
      await signInUi(page, creds);
      await page.goto('/profile');
      const alert = page.locator('section[aria-labelledby="p-password"] [role="alert"]');

      await page.getByLabel('Current password').fill('not my password at all');
      await page.getByLabel('New password', { exact: true }).fill(fresh);
      await page.getByLabel('New password again').fill(fresh);
      await page.getByRole('button', { name: 'Change password' }).click();
      await waitForText(alert, /That password is not right/);
      assert.equal(await page.getByLabel('Current password').getAttribute('aria-invalid'), 'true');

      await page.getByLabel('Current password').fill(creds.password);
      await page.getByLabel('New password', { exact: true }).fill('short');
      await page.getByLabel('New password again').fill('short');
      await page.getByRole('button', { name: 'Change password' }).click();
      await waitForText(alert, /at least 10 characters/);
      assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid'), 'true');

      await page.getByLabel('New password', { exact: true }).fill(fresh);
      await page.getByLabel('New password again').fill(fresh);
      await page.getByRole('button', { name: 'Change password' }).click();
      await waitForText(page.locator('section[aria-labelledby="p-password"] [role="status"]'),
        /Your password has been changed/);
      assert.equal(await page.getByLabel('Current password').inputValue(), '', 'fields are emptied');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await waitForText(page.locator('#status'), /You have signed out/);
    });
    const old = await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } });
    assert.equal(old.status, 401);
    await withPage(t, browser, srv, async ({ page }) => {
      await signInUi(page, { ...creds, password: fresh });
    });
  });

  test('delete my account: explained, confirmed with the password, then gone', async (t) => {
    const creds = await registerApi(srv);
    await withPage(t, browser, srv, async ({ page, context }) => {
      await signInUi(page, creds);
      await page.goto('/profile');
      const section = page.locator('section[aria-labelledby="p-delete"]');
      await waitForText(section, /Former member/);
      await waitForText(section, /cannot be undone/);

      await page.getByRole('button', { name: 'Delete my account…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
      await dialog.waitFor();
      assert.ok(await dialog.getByLabel('Your password').evaluate((el) => el === document.activeElement));
      await dialog.getByLabel('Your password').fill('not the password here');
      await dialog.getByRole('button', { name: 'Delete my account' }).click();
      await waitForText(dialog.locator('[role="alert"]'), /That password is not right/);
      assert.equal((await meFromContext(srv, context)).status, 200, 'still there');

      // "Keep my account" closes it and gives focus back
      await dialog.getByRole('button', { name: 'Keep my account' }).click();
      await dialog.waitFor({ state: 'detached' });
      assert.ok(await page.getByRole('button', { name: 'Delete my account…' })
        .evaluate((el) => el === document.activeElement));

      await page.getByRole('button', { name: 'Delete my account…' }).click();
      await dialog.getByLabel('Your password').fill(creds.password);
      await dialog.getByRole('button', { name: 'Delete my account' }).click();
      await waitForPath(page, '/goodbye');
      await waitForText(page.locator('h1'), /Your account has been deleted/);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' }).waitFor();
      assert.equal(await dialog.count(), 0);
    });
    const again = await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } });
    assert.equal(again.status, 401);
  });

  test('a page that needs sign-in sends you there and back; so does an ended session',
    async (t) => {
      const creds = await registerApi(srv);
      await withPage(t, browser, srv, async ({ page, context }) => {
        await page.goto('/profile');
        await waitForPath(page, '/signin?next=%2Fprofile');
        await waitForText(page.locator('#status'), /Please sign in to continue/);
        await page.getByLabel('Username').fill(creds.username);
        await page.getByLabel('Password', { exact: true }).fill(creds.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await waitForPath(page, '/profile');
        await page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor();

        // the session ends elsewhere (here: signed out through the API)
        const [c] = (await context.cookies(srv.url)).filter((k) => k.name === 'hearth_session');
        const out = await api(srv, '/api/v1/logout', { method: 'POST', cookie: `${c.name}=${c.value}` });
        assert.equal(out.status, 204);
        await page.getByLabel('Signature').fill('written after the session ended');
        await page.getByRole('button', { name: 'Save details' }).click();
        await waitForPath(page, '/signin?next=%2Fprofile');
        await waitForText(page.locator('#status'), /sign in/i);
        await page.getByLabel('Username').fill(creds.username);
        await page.getByLabel('Password', { exact: true }).fill(creds.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await waitForPath(page, '/profile');
        await page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor();
      });
    });

  test('a signed-in person visiting sign-in goes on; next never leaves the site', async (t) => {
    const creds = await registerApi(srv);
    await withPage(t, browser, srv, async ({ page, context }) => {
      await signInContext(srv, context, creds);
      await page.goto('/signin?next=%2F%2Fevil.example%2Fx');
      await waitForPath(page, '/');
      await page.goto('/register?next=%2Fprofile');
      await waitForPath(page, '/profile');
    });
  });
});
