// 05-ops — operations: backups (on demand while clients write, and daily
// with pruning), restore and its refusals, one server per data folder,
// /healthz and /metrics about backups, the audit log API, and
// `hearth verify audit` catching an edited or deleted row.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import {
  BIN, startServer, api, sql, newUser, signUp, cliUser, advanceClock, runHearth, tempDir, waitFor, FAST_HASH,
} from './helper.mjs';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Run `hearth ARGS…` without blocking this process (so writers keep writing). */
function runHearthAsync(args) {
  return new Promise((resolve) => {
    const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    p.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Stop and remove a server when its test ends, however it ends (a running
 * child would keep the test process alive). */
function owned(t, srv) {
  t.after(async () => {
    const { code, signal } = await srv.stop();
    srv.cleanup();
    // a clean exit (under ASan also: no leak, no error report), or the test's own SIGKILL
    assert.ok(code === 0 || signal === 'SIGKILL', `server exit ${code} ${signal}:\n${srv.logs().slice(-3000)}`);
  });
  return srv;
}

/** A temporary folder removed when the test ends. */
function scratch(t, prefix) {
  const dir = tempDir(prefix);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const backupsOf = (dir) => {
  const d = path.join(dir, 'backups');
  return existsSync(d) ? readdirSync(d).filter((n) => /^hearth-\d{8}-\d{6}\.db$/.test(n)).sort() : [];
};

async function metricsText(srv) {
  return (await api(srv, '/metrics')).text;
}

function metricValue(text, line) {
  const l = text.split('\n').find((x) => x.startsWith(line + ' '));
  return l === undefined ? undefined : Number(l.split(' ').pop());
}

/**
 * Register users in `lanes` parallel loops until stop(). Returns {acked, errors, stop}:
 * acked lists the usernames whose registration was answered 201, in order.
 */
function startWriters(t, srv, lanes = 3) {
  const acked = [];
  const errors = [];
  let running = true;
  const loops = [];
  for (let i = 0; i < lanes; i++) {
    loops.push((async () => {
      while (running) {
        const u = newUser();
        const r = await api(srv, '/api/v1/register', { body: u }).catch((e) => ({ status: 0, text: String(e) }));
        if (r.status !== 201) { errors.push(`${r.status} ${r.text}`); return; }
        acked.push(u.username);
      }
    })());
  }
  const stop = async () => { running = false; await Promise.all(loops); };
  t.after(stop);
  return { acked, errors, stop };
}

describe('backups', () => {
  test('a backup taken while clients write holds every acknowledged row, and restores', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    const out = path.join(scratch(t, 'hearth-bk-'), 'snapshot.db');
    const writers = startWriters(t, srv);
    await waitFor(() => writers.acked.length >= 30 || writers.errors.length, 'some writes');
    assert.deepEqual(writers.errors, []);
    const before = [...writers.acked]; // acknowledged before the backup began
    const r = await runHearthAsync(['backup', out, '--data', srv.dataDir]);
    const during = writers.acked.length - before.length;
    await waitFor(() => writers.acked.length >= before.length + during + 10, 'writes after the backup');
    await writers.stop();
    assert.deepEqual(writers.errors, []);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /written to/);
    assert.match(r.stdout, /field\.key/, 'it reminds the operator of the key');
    assert.equal(statSync(out).mode & 0o777, 0o600);

    assert.equal(sql(out, 'PRAGMA integrity_check'), 'ok');
    assert.equal(sql(out, 'PRAGMA journal_mode'), 'delete', 'a backup is one plain file');
    const names = new Set(sql(out, 'SELECT username FROM users').split('\n'));
    for (const u of before) assert.ok(names.has(u), `${u} acknowledged before the backup is in it`);

    // restore it into a fresh folder and use it
    const fresh = scratch(t, 'hearth-restored-');
    const rr = runHearth(['restore', out, '--data', fresh]);
    assert.equal(rr.status, 0, rr.stderr);
    assert.match(rr.stdout, /restored/);
    assert.match(rr.stdout, /field\.key is missing/, 'a restore without the key says so');
    const again = owned(t, await startServer({ dataDir: fresh, args: FAST_HASH }));
    const who = before[before.length - 1];
    const login = await api(again, '/api/v1/login', { body: { username: who, password: `a long enough password ${who.slice(4)}` } });
    assert.equal(login.status, 200, login.text);
    await again.stop();
    again.cleanup();
    await srv.stop();
    srv.cleanup();
    rmSync(path.dirname(out), { recursive: true, force: true });
  });

  test('the scheduled backup, taken while clients write, holds every acknowledged row', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    const writers = startWriters(t, srv);
    await waitFor(() => writers.acked.length >= 30 || writers.errors.length, 'some writes');
    const before = [...writers.acked];
    await advanceClock(srv, DAY + 60_000);
    const name = await waitFor(() => backupsOf(srv.dataDir)[0], 'the scheduled backup');
    await waitFor(() => writers.acked.length >= before.length + 10 || writers.errors.length, 'writes after it');
    await writers.stop();
    assert.deepEqual(writers.errors, []);
    const file = path.join(srv.dataDir, 'backups', name);
    assert.equal(sql(file, 'PRAGMA integrity_check'), 'ok');
    const names = new Set(sql(file, 'SELECT username FROM users').split('\n'));
    for (const u of before) assert.ok(names.has(u), `${u} acknowledged before the backup is in it`);
  });

  test('`hearth backup` refuses to overwrite a file unless --force, and the data folder itself', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    const dir = scratch(t, 'hearth-bk-');
    const out = path.join(dir, 'b.db');
    writeFileSync(out, 'precious');
    let r = runHearth(['backup', out, '--data', srv.dataDir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /already exists.*--force/);
    assert.equal(readFileSync(out, 'utf8'), 'precious');
    r = runHearth(['backup', out, '--force', '--data', srv.dataDir]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(sql(out, 'PRAGMA integrity_check'), 'ok');
    r = runHearth(['backup', path.join(srv.dataDir, 'hearth.db'), '--force', '--data', srv.dataDir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /outside the data folder/);
    assert.equal((await api(srv, '/healthz')).status, 200, 'the live database is untouched');
    await srv.stop();
    srv.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the daily backup appears after a day; only the newest 7 are kept; each is audited', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    let m = await metricsText(srv);
    assert.equal(metricValue(m, 'hearth_backup_last_success_timestamp_seconds'), 0);
    assert.equal((await api(srv, '/healthz')).json.status, 'ok');
    assert.deepEqual(backupsOf(srv.dataDir), []);
    await signUp(srv); // something to back up

    const seen = [];
    for (let day = 1; day <= 9; day++) {
      await advanceClock(srv, DAY + 60_000);
      const name = await waitFor(() => backupsOf(srv.dataDir).find((n) => !seen.includes(n)), `backup of day ${day}`);
      seen.push(name);
      await waitFor(async () => metricValue(await metricsText(srv), 'hearth_backups_total{result="ok"}') === day, 'the backup to be counted');
    }
    const kept = backupsOf(srv.dataDir);
    assert.deepEqual(kept, seen.slice(2), 'the two oldest were pruned');
    const dir = path.join(srv.dataDir, 'backups');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const n of kept) assert.equal(statSync(path.join(dir, n)).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no temporary file left');
    const newest = path.join(dir, kept[kept.length - 1]);
    assert.equal(sql(newest, 'PRAGMA integrity_check'), 'ok');
    assert.ok(Number(sql(newest, 'SELECT count(*) FROM users')) >= 1);

    m = await metricsText(srv);
    assert.ok(metricValue(m, 'hearth_backup_age_seconds') < DAY / 1000);
    assert.ok(metricValue(m, 'hearth_backup_last_success_timestamp_seconds') > 0);
    assert.equal(metricValue(m, 'hearth_backups_total{result="failed"}'), 0);
    assert.equal((await api(srv, '/healthz')).json.status, 'ok');

    const mgr = await cliUser(srv, 'manager');
    const a = await api(srv, '/api/v1/audit?action=backup', { cookie: mgr.cookie });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.entries.length, 9);
    assert.equal(a.json.entries[0].actor, null, 'the system made them');
    assert.equal(a.json.entries[0].detail.file, seen[8]);

    // the schedule survives a restart: the last time is in the database
    await srv.stop();
    const again = owned(t, await startServer({ dataDir: srv.dataDir, args: FAST_HASH }));
    m = await metricsText(again);
    assert.ok(metricValue(m, 'hearth_backup_last_success_timestamp_seconds') > 0);
    await again.stop();
    again.cleanup();
  });

  test('/healthz says degraded once backups are two intervals overdue, and recovers', async (t) => {
    const dataDir = scratch(t);
    writeFileSync(path.join(dataDir, 'backups'), 'a file where the folder should be');
    const srv = owned(t, await startServer({ dataDir, args: FAST_HASH, config: '[backup]\ninterval_hours = 1\n' }));
    await advanceClock(srv, HOUR / 2);
    assert.equal((await api(srv, '/healthz')).json.status, 'ok', 'a fresh server is not degraded');
    await advanceClock(srv, 2 * HOUR);
    await waitFor(async () => metricValue(await metricsText(srv), 'hearth_backups_total{result="failed"}') >= 1, 'a failed backup');
    const h = await api(srv, '/healthz');
    assert.equal(h.status, 200);
    assert.equal(h.json.status, 'degraded');
    assert.match(srv.logs(), /event=backup_failed/);

    rmSync(path.join(dataDir, 'backups'));
    await advanceClock(srv, 20 * 60_000); // failures are retried after 15 minutes
    await waitFor(async () => metricValue(await metricsText(srv), 'hearth_backups_total{result="ok"}') === 1, 'a backup after the fix');
    assert.equal((await api(srv, '/healthz')).json.status, 'ok');
    assert.equal(backupsOf(dataDir).length, 1);
    await srv.stop();
    srv.cleanup();
  });

  test('restore refuses a running server, a non-database, a foreign and a newer database', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    await signUp(srv);
    const dir = scratch(t, 'hearth-rs-');
    const good = path.join(dir, 'good.db');
    assert.equal(runHearth(['backup', good, '--data', srv.dataDir]).status, 0);

    let r = runHearth(['restore', good, '--data', srv.dataDir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /already running.*stop it before restoring/);
    await srv.stop();
    const db = path.join(srv.dataDir, 'hearth.db');
    const users = sql(db, 'SELECT count(*) FROM users');

    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'Not a database at all, just some words.\n'.repeat(100));
    const foreign = path.join(dir, 'foreign.db');
    sql(foreign, 'CREATE TABLE x (a); INSERT INTO x VALUES (1)');
    const newer = path.join(dir, 'newer.db');
    copyFileSync(good, newer);
    sql(newer, "INSERT INTO schema_migrations VALUES (9999, 'from the future', 0)");
    const cases = [
      [text, /not a SQLite database/],
      [foreign, /not Hearth's/],
      [newer, /schema version 9999, newer than this hearth/],
      [path.join(dir, 'missing.db'), /cannot open/],
    ];
    for (const [file, why] of cases) {
      r = runHearth(['restore', file, '--data', srv.dataDir]);
      assert.equal(r.status, 1, file);
      assert.match(r.stderr, why, file);
    }
    // nothing changed, nothing left behind
    assert.equal(sql(db, 'SELECT count(*) FROM users'), users);
    assert.deepEqual(readdirSync(srv.dataDir).filter((n) => /before-restore|tmp/.test(n)), []);

    // and a good one goes in, keeping the old database aside
    sql(db, "INSERT INTO settings VALUES ('marker', 'old')");
    r = runHearth(['restore', good, '--data', srv.dataDir]);
    assert.equal(r.status, 0, r.stderr);
    const aside = readdirSync(srv.dataDir).filter((n) => n.startsWith('hearth.db.before-restore-'));
    assert.equal(aside.length, 1);
    assert.match(r.stdout, new RegExp(aside[0]));
    assert.equal(sql(path.join(srv.dataDir, aside[0]), "SELECT value FROM settings WHERE key = 'marker'"), 'old');
    assert.equal(sql(db, "SELECT count(*) FROM settings WHERE key = 'marker'"), '0');
    assert.equal(sql(db, 'PRAGMA integrity_check'), 'ok');
    // the restored log records the restore, and its chain still holds
    assert.equal(sql(db, "SELECT detail FROM audit_log WHERE action = 'restore'"), '{"file":"good.db"}');
    assert.equal(runHearth(['verify', 'audit', '--data', srv.dataDir]).status, 0);
    const again = owned(t, await startServer({ dataDir: srv.dataDir, args: FAST_HASH }));
    assert.equal((await api(again, '/healthz')).json.status, 'ok');
    await again.stop();
    again.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a second server on the same data folder is refused; the lock ends with the first', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    const r = runHearth(['serve', '--listen', '127.0.0.1:0', '--data', srv.dataDir, '--testing']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /already running on .*hearth\.lock/);
    assert.equal((await api(srv, '/healthz')).status, 200, 'the first one is unaffected');
    await srv.kill(); // even without a clean shutdown the lock is released
    const again = owned(t, await startServer({ dataDir: srv.dataDir, args: FAST_HASH }));
    assert.equal((await api(again, '/healthz')).status, 200);
    await again.stop();
    again.cleanup();
  });
});

describe('audit', () => {
  test('GET /api/v1/audit is for managers only', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    const member = await signUp(srv);
    const fac = await cliUser(srv, 'facilitator');
    const mgr = await cliUser(srv, 'manager');
    assert.equal((await api(srv, '/api/v1/audit')).status, 401);
    for (const who of [member, fac]) {
      const r = await api(srv, '/api/v1/audit', { cookie: who.cookie });
      assert.equal(r.status, 403);
      assert.equal(r.json.error.code, 'not_allowed');
    }
    const ok = await api(srv, '/api/v1/audit', { cookie: mgr.cookie });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(ok.json.entries.length > 0);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    // the refused attempts read nothing, so they are not "audit_read" rows
    const reads = await api(srv, '/api/v1/audit?action=audit_read', { cookie: mgr.cookie });
    assert.deepEqual(reads.json.entries.map((e) => e.actor.id), [mgr.user.id]);
    await srv.stop();
    srv.cleanup();
  });

  test('filters, paging newest first, and every reading audited', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    const mgr = await cliUser(srv, 'manager');
    const people = [];
    for (let i = 0; i < 4; i++) people.push(await signUp(srv));
    let readings = 0;
    const get = async (q) => {
      readings += 1;
      const r = await api(srv, `/api/v1/audit${q}`, { cookie: mgr.cookie });
      assert.equal(r.status, 200, `${q}: ${r.text}`);
      return r.json;
    };

    const all = await get('?limit=200');
    const ids = all.entries.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    assert.equal(all.next_before_id, null);

    const regs = await get('?action=register');
    assert.equal(regs.entries.length, 4);
    assert.ok(regs.entries.every((e) => e.action === 'register' && e.target_type === 'user'));
    assert.deepEqual(regs.entries.map((e) => e.actor.id).reverse(), people.map((p) => p.user.id));
    assert.equal(regs.entries[0].actor.name, people[3].creds.display_name);

    const p1 = people[1].user.id;
    const mine = await get(`?actor=${p1}`);
    assert.ok(mine.entries.length >= 2); // register, login
    assert.ok(mine.entries.every((e) => e.actor.id === p1));
    const target = await get(`?target_type=user&target_id=${p1}`);
    assert.ok(target.entries.length >= 1);
    assert.ok(target.entries.every((e) => e.target_type === 'user' && e.target_id === p1));
    const sys = await get('?actor=0');
    assert.ok(sys.entries.length >= 1, 'the CLI\'s user add is the system\'s');
    assert.ok(sys.entries.every((e) => e.actor === null));

    const ts = regs.entries.map((e) => e.ts).sort((a, b) => a - b);
    const window = await get(`?action=register&since=${ts[1]}&until=${ts[2]}`);
    assert.ok(window.entries.every((e) => e.ts >= ts[1] && e.ts <= ts[2]));
    assert.ok(window.entries.length >= 2);
    assert.equal((await get(`?since=${Date.now() + 10 * DAY}`)).entries.length, 0);

    // paging by before_id walks the same rows as one big page
    const walked = [];
    let q = '?limit=3&action=register';
    for (;;) {
      const page = await get(q);
      assert.ok(page.entries.length <= 3);
      walked.push(...page.entries.map((e) => e.id));
      if (page.next_before_id === null) break;
      q = `?limit=3&action=register&before_id=${page.next_before_id}`;
    }
    assert.deepEqual(walked, regs.entries.map((e) => e.id));

    // every reading above is itself in the log, with its filters
    const earlier = readings;
    const reads = await get('?action=audit_read&limit=200');
    assert.equal(reads.entries.length, earlier, 'one row per earlier reading');
    assert.ok(reads.entries.every((e) => e.actor.id === mgr.user.id));
    assert.ok(reads.entries.some((e) => e.detail.action === 'register' && e.detail.limit === 3));

    // bad filters: 400, and nothing read or logged
    const before = (await get('?action=audit_read&limit=200')).entries.length;
    for (const bad of ['?limit=0', '?limit=201', '?actor=abc', '?actor=-1', '?since=yesterday',
      '?before_id=0', "?action=x'%20OR%201=1", `?target_type=${'a'.repeat(65)}`]) {
      const r = await api(srv, `/api/v1/audit${bad}`, { cookie: mgr.cookie });
      assert.equal(r.status, 400, bad);
      assert.equal(r.json.error.code, 'bad_field', bad);
    }
    assert.equal((await get('?action=audit_read&limit=200')).entries.length, before + 1);
    await srv.stop();
    srv.cleanup();
  });

  test('`hearth verify audit` passes an intact log and names an edited or deleted row', async (t) => {
    const srv = owned(t, await startServer({ args: FAST_HASH }));
    await cliUser(srv, 'manager');
    for (let i = 0; i < 3; i++) await signUp(srv);
    let r = runHearth(['verify', 'audit', '--data', srv.dataDir]);
    assert.equal(r.status, 0, r.stderr); // also while the server runs
    await srv.stop();
    const db = path.join(srv.dataDir, 'hearth.db');
    r = runHearth(['verify', 'audit', '--data', srv.dataDir]);
    assert.equal(r.status, 0, r.stderr);
    const rows = Number(sql(db, 'SELECT count(*) FROM audit_log'));
    assert.ok(rows >= 7);
    assert.equal(r.stdout.trim(), `audit log intact (${rows} rows)`);

    // the triggers refuse an edit outright…
    assert.throws(() => sql(db, "UPDATE audit_log SET detail = '{}' WHERE id = 3"), /append-only/);
    assert.throws(() => sql(db, 'DELETE FROM audit_log WHERE id = 3'), /append-only/);

    const copyTo = (name) => {
      const d = path.join(srv.dataDir, name);
      mkdirSync(d);
      copyFileSync(db, path.join(d, 'hearth.db'));
      return path.join(d, 'hearth.db');
    };
    // …so a tamperer drops them first: an edited row
    const edited = copyTo('edited');
    sql(edited, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = '{\"ip\":\"10.0.0.1\"}' WHERE id = 3");
    r = runHearth(['verify', 'audit', '--data', path.dirname(edited)]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /BROKEN at row 3: row 3 was changed/);

    // a deleted row in the middle: the next row no longer follows
    const deleted = copyTo('deleted');
    sql(deleted, 'DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 4');
    r = runHearth(['verify', 'audit', '--data', path.dirname(deleted)]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /BROKEN at row 5: .*deleted or inserted/);

    // an edit that recomputes the row's own hash still breaks the next link
    const rehashed = copyTo('rehashed');
    sql(rehashed, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET hash = (CASE substr(hash, 1, 1) WHEN 'f' THEN 'e' ELSE 'f' END) || substr(hash, 2) WHERE id = 2");
    r = runHearth(['verify', 'audit', '--data', path.dirname(rehashed)]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /BROKEN at row 2/);

    r = runHearth(['verify', 'audit', '--data', path.join(srv.dataDir, 'nothing-here')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no database/);
    assert.equal(runHearth(['verify', 'everything', '--data', srv.dataDir]).status, 2);
    srv.cleanup();
  });
});

describe('help', () => {
  // roff writes a hyphen in a flag as \-
  const roff = (s) => s.replace(/-/g, '\\-');
  const man = readFileSync(new URL('../../doc/hearth.1', import.meta.url), 'utf8');

  test('hearth --help documents every command, and hearth.1 too', () => {
    const r = runHearth(['--help']);
    assert.equal(r.status, 0);
    for (const cmd of ['serve', 'user add', 'user passwd', 'user role', 'backup FILE', 'restore FILE', 'verify audit', '--version']) {
      assert.match(r.stdout, new RegExp(`hearth ${cmd}`), cmd);
    }
    // every synopsis line of the help names a command the manual page has
    const synopses = r.stdout.split('\n').filter((l) => /^ {2}hearth [a-z]/.test(l));
    assert.ok(synopses.length >= 7);
    // roff writes a hyphen as "\-": compare the synopses as they read
    const blocks = man.split('.SY ').slice(1).map((b) => b.split('.YS')[0].replaceAll('\\-', '-'));
    for (const l of synopses) {
      const lead = []; // the command's words: "user add", "backup", "verify audit"
      for (const w of l.trim().split(/\s+/).slice(1)) {
        if (!/^[a-z][a-z-]*$/.test(w) || lead.length === 2) break;
        lead.push(w);
      }
      assert.ok(blocks.some((b) => b.startsWith(`hearth\\ ${lead[0]}`) && (!lead[1] || b.includes(lead[1]))),
        `hearth.1 has a synopsis for: ${l.trim()}`);
    }
    const b = runHearth(['backup', '--help']);
    assert.equal(b.status, 0);
    assert.match(b.stdout, /hearth backup FILE \[--force\]/);
    const v = runHearth(['verify', '--help']);
    assert.match(v.stdout, /hearth verify audit/);
  });

  test('hearth serve --help lists every setting with its flag and default, and hearth.1 too', () => {
    const s = runHearth(['serve', '--help']);
    assert.equal(s.status, 0);
    const flags = [...s.stdout.matchAll(/^ {2}\S+ =.*\s--([a-z0-9-]+)$/gm)].map((m) => m[1]);
    assert.ok(flags.length >= 20, 'settings are listed');
    for (const f of ['listen', 'data', 'backup-keep', 'backup-interval-hours', 'store-synchronous']) {
      assert.ok(flags.includes(f), f);
    }
    assert.match(s.stdout, /^ {2}keep = 7 +--backup-keep$/m);
    assert.match(s.stdout, /^ {2}interval_hours = 24 +--backup-interval-hours$/m);
    for (const f of flags) assert.ok(man.includes(`\\fB${roff(`--${f}`)}\\fR`), `hearth.1 documents --${f}`);
  });
});
