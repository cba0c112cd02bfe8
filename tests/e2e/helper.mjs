// helper.mjs — browser tests: Debian's Chromium driven by playwright-core
// against a real `hearth serve` (started by ../integration/helper.mjs).
//
// One browser per test file (playwright gives it a fresh temporary profile);
// one context — its own cookies and storage — per test. A failing test saves a
// screenshot of its page under SHOTS. Every page is watched for script errors
// and Content-Security-Policy violations, which fail the test.
import { existsSync, mkdirSync } from 'node:fs';
import { before, after } from 'node:test';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, FAST_HASH, newUser, api, signUp, cookieOf } from '../integration/helper.mjs';

export { startServer, FAST_HASH, newUser, api, signUp, cookieOf };

export const CHROMIUM = process.env.HEARTH_CHROMIUM || '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** Why the browser tests are skipped, or false (for describe's `skip`). */
export const SKIP = HAVE_CHROMIUM ? false
  : `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;

export const SHOTS = path.join(process.env.HEARTH_TEST_TMP || path.resolve('build-e2e-shots'),
  'e2e-shots');
mkdirSync(SHOTS, { recursive: true });

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'];

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 360, height: 740 };

/** A headless Chromium with its own temporary profile. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** A server for browser tests: fast hashing, and no lockout from many tries. */
export function startWebServer(opts = {}) {
  return startServer({
    ...opts, args: [...FAST_HASH, '--accounts-max-failures', '1000', ...(opts.args || [])],
  });
}

/**
 * A server and a browser for the enclosing describe(): both started before
 * its tests and stopped after them. ready(srv, browser) runs once both are
 * up, for the set-up its tests share.
 */
export function withBrowserAndServer(opts, ready) {
  let srv, browser;
  before(async () => {
    srv = await startWebServer(opts);
    browser = await launchBrowser();
    await ready(srv, browser);
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
    srv?.cleanup();
  });
}

function fileName(name) {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120) || 'page';
}

/**
 * Save a screenshot as SHOTS/<name>.png (the whole page, or with
 * {fullPage: false} what is on screen, e.g. for a dialog); returns its path.
 */
export async function screenshot(page, name, { fullPage = true } = {}) {
  const file = path.join(SHOTS, fileName(name) + '.png');
  await page.screenshot({ path: file, fullPage });
  return file;
}

/**
 * Run fn({page, context, problems}) in a fresh browser context on srv, with
 * the given viewport. On failure a screenshot is saved (its path is added to
 * the error). Script errors and CSP violations on the page fail the test,
 * except console errors matching opts.ignoreConsole (a list of RegExps).
 */
export async function withPage(t, browser, srv, fn, opts = {}) {
  const { context, page, problems } = await openAs(browser, srv, null, opts);
  try {
    await fn({ page, context, problems });
    assert(problems.length === 0, `problems on the page:\n${problems.join('\n')}`);
  } catch (e) {
    try {
      const file = await screenshot(page, `FAILED-${t.name}`);
      e.message += `\n(screenshot: ${file})`;
    } catch { /* the page may be gone */ }
    throw e;
  } finally {
    await context.close();
  }
}

function assert(ok, message) {
  if (!ok) throw new Error(message);
}

/** The user's data straight from the API, with a browser context's cookie. */
export async function meFromContext(srv, context) {
  const cookies = await context.cookies(srv.url);
  const c = cookies.find((k) => k.name === 'hearth_session');
  if (!c) return { status: 401 };
  return api(srv, '/api/v1/me', { cookie: `${c.name}=${c.value}` });
}

/** Register through the API (fast); returns the credentials. */
export async function registerApi(srv, over = {}) {
  const creds = newUser(over);
  const res = await api(srv, '/api/v1/register', { body: creds });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${res.text}`);
  return creds;
}

/** Sign in through the page's form. */
export async function signInUi(page, creds, { remember = false, path: at = '/signin' } = {}) {
  await page.goto(at);
  await page.getByLabel('Username').fill(creds.username);
  await page.getByLabel('Password', { exact: true }).fill(creds.password);
  if (remember) await page.getByLabel('Keep me signed in on this device').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * Wait until the locator's text matches re (it may be filled in a moment
 * later, as live regions are); returns the text. Fails with what it saw.
 */
export async function waitForText(locator, re, timeout = 10_000) {
  const end = Date.now() + timeout;
  let text = '';
  for (;;) {
    text = (await locator.textContent().catch(() => '')) || '';
    if (re.test(text)) return text;
    if (Date.now() > end) throw new Error(`expected ${re} in ${locator}, saw ${JSON.stringify(text)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Wait until the page's path (and query) is `want`. */
export async function waitForPath(page, want, timeout = 10_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const u = new URL(page.url());
    if (u.pathname + u.search === want) return;
    if (Date.now() > end) throw new Error(`expected path ${want}, at ${u.pathname + u.search}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sign a browser context in without the UI (a cookie from the API). */
export async function signInContext(srv, context, creds) {
  const res = await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
  const [name, value] = cookieOf(res).split('=');
  await context.addCookies([{ name, value, url: srv.url, httpOnly: true, sameSite: 'Strict' }]);
  return res.json.user;
}

// ---- groups, several people at once, and layout (screens of issue 9) ----

export { cliUser } from '../integration/helper.mjs';
export { makeGroup, addMember } from '../integration/live-helper.mjs';

/**
 * Slot settings for a group whose next session starts in about three
 * minutes (UTC), so that its doors (ten minutes before) are open now.
 */
export function slotStartingSoon() {
  const start = new Date(Math.ceil((Date.now() + 2 * 60_000) / 60_000) * 60_000 + 60_000);
  const iso = start.toISOString();
  return {
    timezone: 'UTC', weekday: ((start.getUTCDay() + 6) % 7) + 1, start_time: iso.slice(11, 16),
    cycle_start: iso.slice(0, 10),
  };
}

/** A browser context signed in as creds, watched like withPage's; returns {context, page, problems}. */
export async function openAs(browser, srv, creds, opts = {}) {
  const context = await browser.newContext({
    baseURL: srv.url, viewport: opts.viewport || DESKTOP, locale: 'en-GB',
    timezoneId: opts.timezoneId || 'Europe/London', reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(15_000);
  if (creds) await signInContext(srv, context, creds);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    // Chromium logs every 4xx answer to a fetch; those are expected here
    if (m.type() === 'error' && !/^Failed to load resource/.test(text) &&
        !(opts.ignoreConsole || []).some((re) => re.test(text))) {
      problems.push(`console error: ${text}`);
    }
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(srv.url) && !/^(data|blob):/.test(r.url())) {
      problems.push(`third-party request: ${r.url()}`);
    }
  });
  return { context, page, problems, name: opts.name || (creds && creds.username) || 'guest' };
}

/**
 * Run fn(people) with several signed-in browser contexts (one per entry of
 * who: {creds, name, viewport}). On failure every page is screenshotted;
 * script errors on any page fail the test.
 */
export async function withPeople(t, browser, srv, who, fn) {
  const people = [];
  try {
    for (const w of who) people.push(await openAs(browser, srv, w.creds, w));
    await fn(people);
    const problems = people.flatMap((p) => p.problems.map((x) => `${p.name}: ${x}`));
    assert(problems.length === 0, `problems on the pages:\n${problems.join('\n')}`);
  } catch (e) {
    const shots = [];
    for (const p of people) {
      try {
        shots.push(await screenshot(p.page, `FAILED-${t.name}-${p.name}`));
      } catch { /* the page may be gone */ }
    }
    e.message += `\n(screenshots: ${shots.join(', ')})`;
    throw e;
  } finally {
    for (const p of people) await p.context.close().catch(() => {});
  }
}

/**
 * Runs in the page: elements that are cut off at the sides, or that overlap
 * one another, as the reader sees them: a part scrolled out of view inside
 * a scrolling box is hidden, not overlapping what lies outside the box.
 */
export function visibleLayoutProblems() {
  const sel = 'h1, h2, h3, p, label, input, textarea, select, button, a, dt, dd, img, li > span, .btn, .badge, time, legend';
  const root = document.querySelector('dialog[open]') || document;
  const clipOf = (el) => {
    let r = { left: -Infinity, top: -Infinity, right: Infinity, bottom: Infinity };
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (/(auto|scroll|hidden|clip)/.test(cs.overflowX + cs.overflowY)) {
        const b = e.getBoundingClientRect();
        r = { left: Math.max(r.left, b.left), top: Math.max(r.top, b.top),
          right: Math.min(r.right, b.right), bottom: Math.min(r.bottom, b.bottom) };
      }
    }
    return r;
  };
  // an inline element that wraps is several boxes, one per line: compare those
  const visible = (el) => {
    const b = el.getBoundingClientRect();
    const c = clipOf(el);
    const boxes = getComputedStyle(el).display === 'inline' ? [...el.getClientRects()] : [b];
    const parts = boxes.map((x) => ({ left: Math.max(x.left, c.left), top: Math.max(x.top, c.top),
      right: Math.min(x.right, c.right), bottom: Math.min(x.bottom, c.bottom) }))
      .filter((r) => r.right - r.left > 1 && r.bottom - r.top > 1);
    return parts.length ? { parts, full: b } : null;
  };
  const shown = [...root.querySelectorAll(sel)].filter((el) => {
    const cs = getComputedStyle(el);
    // (checkVisibility: not inside a closed <details> or anything else not rendered)
    return cs.visibility !== 'hidden' && !el.closest('.visually-hidden') &&
      (!el.checkVisibility || el.checkVisibility()) &&
      (el.textContent.trim() || ['INPUT', 'TEXTAREA', 'SELECT', 'IMG'].includes(el.tagName));
  }).map((el) => [el, visible(el)]).filter(([, r]) => r);
  const what = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : ''} "${(el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30)}"`;
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
  }
  for (const [el, r] of shown) {
    if (r.full.left < -0.5 || r.full.right > width + 0.5) problems.push(`${what(el)} is cut off (${r.full.left}..${r.full.right})`);
    // text wider than its own box (and not allowed to wrap) is cut off too
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible' &&
        !['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)) {
      problems.push(`${what(el)} is clipped inside its box`);
    }
  }
  for (let i = 0; i < shown.length; i++) {
    for (let j = i + 1; j < shown.length; j++) {
      const [a, ra] = shown[i];
      const [b, rb] = shown[j];
      if (a.contains(b) || b.contains(a)) continue;
      const hit = ra.parts.some((x) => rb.parts.some((y) =>
        Math.min(x.right, y.right) - Math.max(x.left, y.left) > 1 &&
        Math.min(x.bottom, y.bottom) - Math.max(x.top, y.top) > 1));
      if (hit) problems.push(`${what(a)} overlaps ${what(b)}`);
    }
  }
  return problems;
}

/** Fail if the page has anything cut off or overlapping (see visibleLayoutProblems). */
export async function assertLayout(page, label) {
  const problems = await page.evaluate(visibleLayoutProblems);
  assert(problems.length === 0, `${label}: layout problems:\n${problems.join('\n')}`);
}

/** Poll fn() until it returns something truthy; returns it. */
export async function until(what, fn, timeout = 15_000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Runs in the page: texts (and text-field borders) below WCAG AA contrast.
export function contrastProblems() {
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
    if (el.checkVisibility && !el.checkVisibility()) continue;
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
    if (el.matches('input[type="text"], input[type="password"], input[type="email"], input[type="search"], input[type="number"], textarea, select')) {
      const border = parse(cs.borderTopColor);
      const outside = background(el.parentElement);
      const got = ratio(over(border, outside), outside);
      if (got < 3) problems.push(`border of ${el.name}: ${got.toFixed(2)} < 3`);
    }
  }
  return problems;
}


/** Layout (visibleLayoutProblems) and contrast (contrastProblems) of the page as shown. */
export async function checkScreen(page, label) {
  await assertLayout(page, label);
  const contrast = await page.evaluate(contrastProblems);
  assert(contrast.length === 0, `${label}: contrast:\n${contrast.join('\n')}`);
}
