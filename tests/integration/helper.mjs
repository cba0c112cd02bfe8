// helper.mjs — start a real `hearth serve` for a test and talk to it.
//
// Each server gets its own temporary data folder and a free port (it is
// started with --listen 127.0.0.1:0 and reports the port it took in its
// "listening" log line). Servers run with --testing, which also makes them
// exit when the test process dies, so none outlives its test.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const BIN = process.env.HEARTH_BIN || path.resolve('build/server/hearth');
export const WEB_ROOT = process.env.HEARTH_WEB_ROOT || path.resolve('web-client');
const TMP = process.env.HEARTH_TEST_TMP || tmpdir();

export function tempDir(prefix = 'hearth-it-') {
  return mkdtempSync(path.join(TMP, prefix));
}

/** Run `hearth ARGS…` to completion; returns {status, stdout, stderr}. */
export function runHearth(args, opts = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 60_000, ...opts });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Start a server. opts: {args: [...extra flags], dataDir, testing (default true),
 * config: INI text written to a file and passed with --config}.
 * Resolves to a handle: {port, url, origin, dataDir, logs(), stop(), kill(), exited}.
 */
export async function startServer(opts = {}) {
  const dataDir = opts.dataDir || tempDir();
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, '--web-root', WEB_ROOT];
  if (opts.testing !== false) args.push('--testing');
  if (opts.config) {
    const file = path.join(dataDir, 'test.ini');
    writeFileSync(file, opts.config);
    args.push('--config', file);
  }
  args.push(...(opts.args || []));
  const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '', stdout = '';
  proc.stdout.on('data', (chunk) => { stdout += chunk; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr}`)), 30_000);
    proc.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = /event=listening .*port=(\d+)/.exec(stderr);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${stderr}`)); });
  });
  const url = `http://127.0.0.1:${port}`;
  const handle = {
    port, url, origin: url, dataDir, proc, exited,
    logs: () => stderr,
    output: () => stdout,
    /** SIGTERM and wait; resolves to {code, signal}. */
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    /** SIGKILL (no shutdown at all) and wait. */
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      return exited;
    },
    cleanup() { rmSync(dataDir, { recursive: true, force: true }); },
  };
  return handle;
}

/**
 * One HTTP request. opts: {method, body (object → JSON, or Buffer/string), cookie,
 * origin (default: the server's own; pass null for none), headers}.
 * Resolves to {status, headers, text, json}.
 */
export async function api(srv, pathname, opts = {}) {
  const method = opts.method || (opts.body !== undefined ? 'POST' : 'GET');
  const headers = { ...(opts.headers || {}) };
  if (opts.origin !== null && method !== 'GET') headers.origin = opts.origin ?? srv.origin;
  if (opts.cookie) headers.cookie = opts.cookie;
  let body = opts.body;
  if (body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body)) {
    body = JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(srv.url + pathname, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** Read one number from /metrics, e.g. metric(srv, 'hearth_store_commits_total'). */
export async function metric(srv, name) {
  const { text } = await api(srv, '/metrics');
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** Run SQL against a stopped server's database with the sqlite3 shell; returns stdout. */
export function sql(dbFile, query) {
  const r = spawnSync('sqlite3', ['-batch', dbFile, query], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Fast password hashing for tests that are not about hashing (--testing only). */
export const FAST_HASH = ['--accounts-scrypt-ln', '12'];

let userSeq = 0;
/** A fresh, valid registration body; overrides merge in. */
export function newUser(over = {}) {
  userSeq += 1;
  const tag = `${process.pid}x${userSeq}`;
  return {
    username: `user${tag}`,
    password: `a long enough password ${tag}`,
    email: `user${tag}@example.org`,
    display_name: `Person ${tag}`,
    ...over,
  };
}

/** The cookie pair ("name=value") from a response's Set-Cookie, or undefined. */
export function cookieOf(res) {
  const sc = res.headers.get('set-cookie');
  return sc ? sc.split(';')[0] : undefined;
}

/** Register and log in a new user; returns {user, cookie, creds}. */
export async function signUp(srv, over = {}, loginOver = {}) {
  const creds = newUser(over);
  const reg = await api(srv, '/api/v1/register', { body: creds });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.text}`);
  const res = await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password, ...loginOver } });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
  return { user: res.json.user, cookie: cookieOf(res), creds };
}

/** Create a user of any role with the CLI on a server's data folder, then log in. */
export async function cliUser(srv, role, over = {}) {
  const creds = newUser(over);
  const r = runHearth(['user', 'add', creds.username, '--role', role, '--email', creds.email,
    '--display-name', creds.display_name, '--data', srv.dataDir, '--testing', ...FAST_HASH],
  { input: creds.password + '\n' });
  if (r.status !== 0) throw new Error(`user add: ${r.stderr}`);
  const res = await api(srv, '/api/v1/login', { body: { username: creds.username, password: creds.password } });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
  return { user: res.json.user, cookie: cookieOf(res), creds };
}

/** Move the server's clock forward (needs --testing). */
export async function advanceClock(srv, ms) {
  const r = await api(srv, '/api/v1/test/clock', { body: { advance_ms: ms } });
  if (r.status !== 200) throw new Error(`clock: ${r.status} ${r.text}`);
  return r.json;
}

/**
 * Poll fn() until it gives something truthy, and return that. The limit is
 * no timing threshold: it only keeps a broken server from hanging the run.
 */
export async function waitFor(fn, what, limitMs = 30_000) {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
