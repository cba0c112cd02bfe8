// 02-keyboard — using Hearth with the keyboard alone: the skip link, a logical
// tab order with a visible focus, signing in, dialogs that hold focus and
// give it back, and the small-screen menu.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, PHONE, withPage, registerApi, signInContext, waitForText, waitForPath,
  withBrowserAndServer,
} from './helper.mjs';

/** What has focus: its accessible-ish name, and whether its focus shows. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { name: '(body)' };
    const label = el.labels && el.labels[0] ? el.labels[0].textContent : null;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      name: (label || el.getAttribute('aria-label') || el.textContent || '').trim(),
      outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2,
      onScreen: r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
      inDialog: !!el.closest('dialog'),
    };
  });
}

describe('keyboard only', { skip: SKIP }, () => {
  let srv;
  let browser;
  withBrowserAndServer({}, (s, b) => { srv = s; browser = b; });

  test('the tab order is logical and every stop shows its focus', async (t) => {
    await withPage(t, browser, srv, async ({ page }) => {
      await page.goto('/signin');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      const names = [];
      for (let i = 0; i < 14; i++) {
        await page.keyboard.press('Tab');
        const f = await focused(page);
        assert.ok(f.outline, `focus is visible on ${f.name}`);
        assert.ok(f.onScreen, `${f.name} is on screen when focused`);
        names.push(f.name);
      }
      assert.deepEqual(names, [
        'Skip to content', 'Need help now?', 'Guidelines', 'Hearth', 'Home', 'Sign in',
        'Create an account', 'Username', 'Password', 'Show password',
        'Keep me signed in on this device', 'Sign in', 'Create an account', 'Crisis resources',
      ]);
    });
  });

  test('skip link, then sign in with the keyboard alone', async (t) => {
    const creds = await registerApi(srv);
    await withPage(t, browser, srv, async ({ page, context }) => {
      await page.goto('/signin');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).name, 'Skip to content');
      await page.keyboard.press('Enter');
      assert.equal((await focused(page)).id, 'main');
      assert.equal(new URL(page.url()).pathname, '/signin', 'no #main in the address');

      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).name, 'Username');
      await page.keyboard.type(creds.username);
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).name, 'Password');
      await page.keyboard.type('a wrong password, typed');
      await page.keyboard.press('Enter'); // submits the form from the field
      await waitForText(page.locator('form [role="alert"]'), /do not match/);
      const f = await focused(page);
      assert.equal(f.name, 'Password', 'focus returns to the field in error');
      await page.keyboard.press('ControlOrMeta+a');
      await page.keyboard.type(creds.password);
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).name, 'Show password');
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).name, 'Keep me signed in on this device');
      await page.keyboard.press('Space');
      assert.equal(await page.getByLabel('Keep me signed in on this device').isChecked(), true);
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).name, 'Sign in');
      await page.keyboard.press('Enter');

      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await waitForPath(page, '/');
      await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
      assert.match((await focused(page)).name, /^Hello, /, 'reading starts at the new page');
      const [c] = (await context.cookies(srv.url)).filter((k) => k.name === 'hearth_session');
      assert.ok(c && c.expires > 0, 'remembered');
    });
  });

  test('a dialog keeps focus inside and gives it back on Escape', async (t) => {
    const creds = await registerApi(srv);
    await withPage(t, browser, srv, async ({ page, context }) => {
      await signInContext(srv, context, creds);
      await page.goto('/profile');
      const opener = page.getByRole('button', { name: 'Delete my account…' });
      await opener.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
      await dialog.waitFor();
      let f = await focused(page);
      assert.equal(f.name, 'Your password');
      const seen = new Set();
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press('Tab');
        f = await focused(page);
        assert.ok(f.inDialog, `Tab ${i + 1} stays in the dialog (at ${f.name})`);
        assert.ok(f.outline, `focus is visible on ${f.name}`);
        seen.add(f.name);
      }
      assert.deepEqual([...seen].sort(), ['Delete my account', 'Keep my account', 'Your password']);
      // backwards from the first control wraps to the last
      await dialog.getByLabel('Your password').focus();
      await page.keyboard.press('Shift+Tab');
      assert.equal((await focused(page)).name, 'Keep my account');

      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      f = await focused(page);
      assert.equal(f.name, 'Delete my account…', 'focus is back where it was');
      assert.equal(f.inDialog, false);
    });
  });

  test('on a small screen the menu opens and is used with the keyboard', async (t) => {
    await withPage(t, browser, srv, async ({ page }) => {
      await page.goto('/');
      await page.getByRole('heading', { level: 1 }).waitFor();
      const menu = page.getByRole('button', { name: 'Menu' });
      assert.equal(await menu.getAttribute('aria-expanded'), 'false');
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).isVisible(), false);
      const order = [];
      for (let i = 0; i < 5; i++) {
        await page.keyboard.press('Tab');
        order.push((await focused(page)).name);
      }
      assert.deepEqual(order, ['Skip to content', 'Need help now?', 'Guidelines', 'Hearth', 'Menu']);
      await page.keyboard.press('Enter');
      assert.equal(await menu.getAttribute('aria-expanded'), 'true');
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).name, 'Home');
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).name, 'Sign in');
      await page.keyboard.press('Enter');
      await waitForPath(page, '/signin');
      await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
      assert.equal(await menu.getAttribute('aria-expanded'), 'false', 'closed after choosing');
      assert.equal((await focused(page)).name, 'Sign in');
    }, { viewport: PHONE });
  });
});
