// 03-layout — how the pages look and read: 360 px and desktop screenshots
// (saved for people to look at), nothing cut off or overlapping, WCAG AA
// contrast of every text, help one click from every page, and no links to
// screens whose API the server does not have yet.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, PHONE, DESKTOP, withPage, registerApi, signInContext, screenshot, waitForText,
  waitForPath, withBrowserAndServer,
} from './helper.mjs';

// Runs in the page: elements that stick out of the viewport or overlap others.
function layoutProblems() {
  const sel = 'h1, h2, p, label, input, textarea, button, a, dt, dd, img, li > span, .btn';
  // an open modal dialog lies over the page: then only it is looked at
  const root = document.querySelector('dialog[open]') || document;
  const shown = [...root.querySelectorAll(sel)].filter((el) => {
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && cs.visibility !== 'hidden' && !el.closest('.visually-hidden') &&
      (el.textContent.trim() || ['INPUT', 'TEXTAREA', 'IMG'].includes(el.tagName));
  });
  const what = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30)}"`;
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
  }
  const rects = shown.map((el) => [el, el.getBoundingClientRect()]);
  for (const [el, r] of rects) {
    if (r.left < -0.5 || r.right > width + 0.5) problems.push(`${what(el)} is cut off (${r.left}..${r.right})`);
  }
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      const [a, ra] = rects[i];
      const [b, rb] = rects[j];
      if (a.contains(b) || b.contains(a)) continue;
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 1 && h > 1) problems.push(`${what(a)} overlaps ${what(b)}`);
    }
  }
  return problems;
}

// Runs in the page: texts (and text-field borders) below WCAG AA contrast.
function contrastProblems() {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (x, y) => {
    const [l1, l2] = [lum(x), lum(y)].sort((p, q) => q - p);
    return (l1 + 0.05) / (l2 + 0.05);
  };
  const over = (fg, bg) => ({ // fg with alpha over an opaque bg
    r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a), a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const problems = [];
  const all = document.querySelectorAll('body *:not(script):not(style):not(noscript)');
  for (const el of all) {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2 || el.closest('.visually-hidden')) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || el.closest('[aria-disabled="true"]')) continue;
    const bg = background(el);
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (ownText) {
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      const need = large ? 3 : 4.5;
      const got = ratio(over(parse(cs.color), bg), bg);
      if (got < need) problems.push(`"${el.textContent.trim().slice(0, 40)}" ${cs.color} on rgb(${bg.r},${bg.g},${bg.b}): ${got.toFixed(2)} < ${need}`);
    }
    if (el.matches('input[type="text"], input[type="password"], input[type="email"], textarea')) {
      const border = parse(cs.borderTopColor);
      const outside = background(el.parentElement);
      const got = ratio(over(border, outside), outside);
      if (got < 3) problems.push(`border of ${el.name}: ${got.toFixed(2)} < 3`);
    }
  }
  return problems;
}

async function checkPage(page, label) {
  const layout = await page.evaluate(layoutProblems);
  assert.deepEqual(layout, [], `${label}: layout`);
  const contrast = await page.evaluate(contrastProblems);
  assert.deepEqual(contrast, [], `${label}: contrast`);
}

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
          await checkPage(page, `${path} at ${size}`);
          await screenshot(page, `${path.slice(1) || 'home'}-${size}`);
        }
        // with errors showing
        await page.goto('/signin');
        await page.getByLabel('Username').fill('nobody-here');
        await page.getByLabel('Password', { exact: true }).fill('not a real password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await waitForText(page.locator('form [role="alert"]'), /do not match/);
        await checkPage(page, `/signin with an error at ${size}`);
        await screenshot(page, `signin-error-${size}`);
        await page.goto('/register');
        await page.getByRole('button', { name: 'Create my account' }).click();
        await waitForText(page.locator('form [role="alert"]'), /fields need your attention/);
        await checkPage(page, `/register with errors at ${size}`);
        await screenshot(page, `register-errors-${size}`);
      }, { viewport });
    });

    test(`signed in, ${size}: profile and its dialog`, async (t) => {
      await withPage(t, browser, srv, async ({ page, context }) => {
        await signInContext(srv, context, creds);
        await page.goto('/profile');
        await page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor();
        await checkPage(page, `/profile at ${size}`);
        await screenshot(page, `profile-${size}`);
        await page.getByRole('button', { name: 'Save choices' }).click();
        await waitForText(page.locator('section[aria-labelledby="p-privacy"] [role="status"]'), /saved/);
        await checkPage(page, `/profile with a message at ${size}`);
        await page.goto('/');
        await page.getByRole('heading', { name: /^Hello/, level: 1 }).waitFor();
        await checkPage(page, `/ signed in at ${size}`);
        await screenshot(page, `home-signed-in-${size}`);
        if (viewport === PHONE) {
          await page.getByRole('button', { name: 'Menu' }).click();
          await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Your profile' }).waitFor();
          await checkPage(page, `menu open at ${size}`);
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
        await checkPage(page, `delete dialog at ${size}`);
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
