// 04-mail — the outbox and its sender: .eml files in the spool folder, delivery
// over SMTP to a local sink (python3-aiosmtpd), retries with back-off while the
// SMTP server is down, giving up, and nothing at all for erased users.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  startServer, api, sql, signUp, advanceClock, metric, tempDir, runHearth, waitFor, WEB_ROOT, FAST_HASH,
} from './helper.mjs';

const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const HAVE_SINK = spawnSync(PY, ['-c', 'import aiosmtpd'], { encoding: 'utf8' }).status === 0;
const NO_SINK = !HAVE_SINK && 'python3-aiosmtpd is not installed (see scripts/deps.sh)';

// An SMTP sink: every message is written to DIR/NNNN.eml as received (after
// the SMTP dot-unstuffing), with its envelope in DIR/NNNN.json.
const SINK_PY = `
import asyncio, json, os, sys
from aiosmtpd.smtp import SMTP
out, port = sys.argv[1], int(sys.argv[2])
class Sink:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Sink.n += 1
        base = os.path.join(out, '%04d' % Sink.n)
        with open(base + '.json', 'w') as f:
            json.dump({'from': envelope.mail_from, 'rcpt': envelope.rcpt_tos}, f)
        with open(base + '.tmp', 'wb') as f:
            f.write(envelope.original_content)
        os.rename(base + '.tmp', base + '.eml')
        return '250 OK'
async def main():
    sink = Sink()
    srv = await asyncio.get_running_loop().create_server(lambda: SMTP(sink), '127.0.0.1', port)
    print('ready', flush=True)
    await srv.serve_forever()
asyncio.run(main())
`;

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function startSink(port, dir) {
  mkdirSync(dir, { recursive: true });
  const proc = spawn(PY, ['-c', SINK_PY, dir, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (c) => { out += c; if (out.includes('ready')) resolve(); });
    proc.stderr.on('data', (c) => { out += c; });
    proc.on('exit', (code) => reject(new Error(`SMTP sink exited ${code}: ${out}`)));
  });
  return {
    dir,
    messages() {
      return readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => ({
        raw: readFileSync(path.join(dir, f)),
        env: JSON.parse(readFileSync(path.join(dir, f.replace('.eml', '.json')), 'utf8')),
      }));
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}

const spoolDir = (srv) => path.join(srv.dataDir, 'mail');
const spooled = (srv) => (existsSync(spoolDir(srv))
  ? readdirSync(spoolDir(srv)).filter((f) => f.endsWith('.eml')).sort() : []);

function enqueue(srv, userId, subject, body, extra = {}) {
  return api(srv, '/api/v1/test/mail', { body: { user_id: userId, subject, body, ...extra } });
}

// Every LF is preceded by CR and every CR followed by LF.
function assertCrlfOnly(buf) {
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a) assert.equal(buf[i - 1], 0x0d, `bare LF at byte ${i}`);
    if (buf[i] === 0x0d) assert.equal(buf[i + 1], 0x0a, `bare CR at byte ${i}`);
  }
  assert.equal(buf.subarray(-2).toString(), '\r\n');
}

// {headers: [[name, unfolded value]…], get(name), body}
function parse(buf) {
  const text = buf.toString('latin1');
  const cut = text.indexOf('\r\n\r\n');
  assert.ok(cut > 0, 'no blank line after the headers');
  const headers = [];
  for (const line of text.slice(0, cut).split('\r\n')) {
    if (/^[ \t]/.test(line)) headers[headers.length - 1][1] += line.replace(/^[ \t]+/, ' ');
    else headers.push([line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]);
  }
  return {
    headers,
    get: (name) => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
    body: Buffer.from(text.slice(cut + 4), 'latin1'),
  };
}

function decodeWords(v) {
  const parts = [];
  for (const w of v.split(/\s+/)) {
    const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/.exec(w);
    assert.ok(m, `not an encoded word: ${w}`);
    parts.push(Buffer.from(m[1], 'base64'));
  }
  return Buffer.concat(parts).toString('utf8');
}

function decodeQP(buf) {
  const s = buf.toString('latin1').replace(/=\r\n/g, '');
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=') { bytes.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; } else bytes.push(s.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

const mailMetric = (srv, what) => metric(srv, `hearth_mail_${what}`);

describe('mail to the spool folder (no SMTP configured)', () => {
  let srv;
  before(async () => { srv = await startServer({ args: FAST_HASH }); });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('a queued mail appears in DATA/mail as an .eml with CRLF lines and the right headers', async () => {
    const { user, creds } = await signUp(srv);
    const res = await enqueue(srv, user.id, 'Your application was received', 'Hello,\nWe will be in touch.\n');
    assert.equal(res.status, 201, res.text);
    const [file] = await waitFor(() => spooled(srv).length && spooled(srv), 'the spool file');
    assert.match(file, new RegExp(`^\\d{8}T\\d{6}Z-${res.json.id}\\.eml$`));
    assert.equal(statSync(spoolDir(srv)).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(spoolDir(srv), file)).mode & 0o777, 0o600);
    const raw = readFileSync(path.join(spoolDir(srv), file));
    assertCrlfOnly(raw);
    const m = parse(raw);
    assert.equal(m.get('To'), creds.email);
    assert.equal(m.get('From'), 'Hearth <no-reply@localhost>');
    assert.equal(m.get('Subject'), 'Your application was received');
    assert.match(m.get('Date'), /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    assert.match(m.get('Message-ID'), /^<hearth\.\d+\.\d+@localhost>$/);
    assert.equal(m.get('MIME-Version'), '1.0');
    assert.equal(m.get('Content-Type'), 'text/plain; charset=utf-8');
    assert.equal(m.get('Content-Transfer-Encoding'), '7bit');
    assert.equal(m.body.toString(), 'Hello,\r\nWe will be in touch.\r\n');
    // no temporary file is left behind
    assert.deepEqual(readdirSync(spoolDir(srv)).filter((f) => !f.endsWith('.eml')), []);
    // the file is written before its row is marked sent: wait for the record
    await waitFor(async () => await mailMetric(srv, 'sent_total') >= 1, 'the sent record');
    assert.equal(await mailMetric(srv, 'queue_depth'), 0);
  });

  test('a non-ASCII subject is RFC 2047 encoded and a CR/LF in it cannot add a header', async () => {
    const { user } = await signUp(srv);
    const before = spooled(srv);
    const res = await enqueue(srv, user.id, 'Café ☕\r\nBcc: victim@example.org', 'Merci — à bientôt\n');
    assert.equal(res.status, 201, res.text);
    const file = await waitFor(() => spooled(srv).find((f) => !before.includes(f)), 'the spool file');
    const raw = readFileSync(path.join(spoolDir(srv), file));
    assertCrlfOnly(raw);
    const m = parse(raw);
    assert.equal(m.headers.filter(([n]) => /^bcc$/i.test(n)).length, 0);
    assert.equal(decodeWords(m.get('Subject')), 'Café ☕  Bcc: victim@example.org');
    assert.equal(m.get('Content-Transfer-Encoding'), 'quoted-printable');
    assert.equal(decodeQP(m.body), 'Merci — à bientôt\r\n');
    for (const b of raw) assert.ok(b < 0x80, 'the message is 7-bit clean');
  });

  test('the test route refuses bad input and unknown users', async () => {
    const { user } = await signUp(srv);
    const cases = [
      [{ subject: 's', body: 'b' }, 400, 'missing_field'],
      [{ user_id: 'x', subject: 's', body: 'b' }, 400, 'missing_field'],
      [{ user_id: user.id, body: 'b' }, 400, 'missing_field'],
      [{ user_id: user.id, subject: '', body: 'b' }, 400, 'bad_field'],
      [{ user_id: user.id, subject: 'x'.repeat(257), body: 'b' }, 400, 'bad_field'],
      [{ user_id: user.id, subject: 's', body: 'b'.repeat(65 * 1024) }, 400, 'bad_field'],
      [{ user_id: user.id, subject: 's', body: 'b', kind: 'Bad-Kind' }, 400, 'bad_field'],
      [{ user_id: 999999, subject: 's', body: 'b' }, 404, 'not_found'],
    ];
    const before = spooled(srv).length;
    for (const [body, status, code] of cases) {
      const res = await api(srv, '/api/v1/test/mail', { body });
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 80)}: ${res.text}`);
      assert.equal(res.json.error.code, code);
    }
    const other = await api(srv, '/api/v1/test/mail', {
      body: { user_id: user.id, subject: 's', body: 'b' }, origin: 'http://evil.example',
    });
    assert.equal(other.status, 403);
    // nothing was queued: a control mail queued after them is the only one sent
    assert.equal((await enqueue(srv, user.id, 'Control', 'Hello\n')).status, 201);
    await waitFor(() => spooled(srv).length > before, 'the control mail');
    await waitFor(async () => await mailMetric(srv, 'queue_depth') === 0, 'an empty queue');
    assert.equal(spooled(srv).length, before + 1);
  });
});

test('the test mail route does not exist without --testing', async () => {
  const srv = await startServer({ testing: false });
  try {
    const res = await api(srv, '/api/v1/test/mail', { body: { user_id: 1, subject: 's', body: 'b' } });
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, 'not_found');
  } finally {
    await srv.stop();
    srv.cleanup();
  }
});

test('an erased recipient gets nothing: the row is dropped as "recipient erased"', async () => {
  const srv = await startServer({ args: FAST_HASH });
  try {
    const { user, cookie, creds } = await signUp(srv);
    const erase = await api(srv, '/api/v1/me', { method: 'DELETE', cookie, body: { password: creds.password } });
    assert.equal(erase.status, 204, erase.text);
    // a control mail to a live user, queued after, shows the sender has run past the erased row
    const live = await signUp(srv);
    const res = await enqueue(srv, user.id, 'About your account', 'Hello\n');
    assert.equal(res.status, 201, res.text);
    assert.equal((await enqueue(srv, live.user.id, 'Control', 'Hello\n')).status, 201);
    await waitFor(async () => await mailMetric(srv, 'dropped_total') === 1, 'the drop');
    await waitFor(() => spooled(srv).length === 1, 'the control mail');
    const raw = readFileSync(path.join(spoolDir(srv), spooled(srv)[0]), 'utf8');
    assert.match(raw, new RegExp(`^To: ${live.creds.email}\r$`, 'm'));
    assert.ok(!raw.includes(creds.email));
    await srv.stop();
    const row = sql(path.join(srv.dataDir, 'hearth.db'),
      `SELECT subject, body, sent_at IS NULL, next_attempt_at IS NULL, last_error FROM mail_outbox WHERE id = ${res.json.id}`);
    assert.equal(row, '||1|1|recipient erased');
  } finally {
    await srv.stop();
    srv.cleanup();
  }
});

describe('mail over SMTP', { skip: NO_SINK }, () => {
  let srv; let sink; let port; let tmp;
  before(async () => {
    tmp = tempDir('hearth-smtp-');
    port = await freePort();
    sink = await startSink(port, path.join(tmp, 'sink'));
    srv = await startServer({
      args: [...FAST_HASH, '--mail-smtp-url', `smtp://127.0.0.1:${port}`,
        '--mail-from', 'Hearth Support <support@hearth.example>'],
    });
  });
  after(async () => {
    await srv.stop(); srv.cleanup(); await sink.stop(); rmSync(tmp, { recursive: true, force: true });
  });

  test('a queued mail arrives at the SMTP server with the right envelope, headers and body', async () => {
    const { user, creds } = await signUp(srv);
    // lines of dots: curl dot-stuffs on the wire and the receiver unstuffs them
    const body = 'Hello,\n.\n..\nA new reply is waiting for you in Hearth.\n';
    const res = await enqueue(srv, user.id, 'A new reply is waiting', body, { kind: 'board_reply' });
    assert.equal(res.status, 201, res.text);
    const [msg] = await waitFor(() => sink.messages().length && sink.messages(), 'the SMTP delivery');
    assert.deepEqual(msg.env, { from: 'support@hearth.example', rcpt: [creds.email] });
    assertCrlfOnly(msg.raw);
    const m = parse(msg.raw);
    assert.equal(m.get('To'), creds.email);
    assert.equal(m.get('From'), 'Hearth Support <support@hearth.example>');
    assert.equal(m.get('Subject'), 'A new reply is waiting');
    assert.equal(m.get('X-Hearth-Kind'), 'board_reply');
    assert.match(m.get('Message-ID'), /@hearth\.example>$/);
    assert.equal(m.body.toString(), 'Hello,\r\n.\r\n..\r\nA new reply is waiting for you in Hearth.\r\n');
    await waitFor(async () => await mailMetric(srv, 'sent_total') >= 1, 'the sent record');
    // SMTP mode writes no spool files
    assert.deepEqual(spooled(srv), []);
  });

  test('with smtp_tls = require nothing is sent over a connection without TLS', async () => {
    const strict = await startServer({
      args: [...FAST_HASH, '--mail-smtp-url', `smtp://127.0.0.1:${port}`, '--mail-smtp-tls', 'require'],
    });
    try {
      const { user } = await signUp(strict);
      const before = sink.messages().length;
      assert.equal((await enqueue(strict, user.id, 'Secret-free notice', 'Hello\n')).status, 201);
      await waitFor(async () => await mailMetric(strict, 'failed_total') >= 1, 'the refused attempt');
      assert.equal(sink.messages().length, before);
      assert.equal(await mailMetric(strict, 'sent_total'), 0);
    } finally {
      await strict.stop();
      strict.cleanup();
    }
  });
});

describe('SMTP server down: retries with back-off', { skip: NO_SINK }, () => {
  let srv; let sink; let port; let tmp;
  before(async () => {
    tmp = tempDir('hearth-smtp-');
    port = await freePort(); // nothing listens here until the sink starts
    srv = await startServer({ args: [...FAST_HASH, '--mail-smtp-url', `smtp://127.0.0.1:${port}`] });
  });
  after(async () => {
    await srv.stop(); srv.cleanup(); if (sink) await sink.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('failed attempts wait 1 min then 5 min; the new address and only live users get the mail', async () => {
    const a = await signUp(srv);
    const b = await signUp(srv);
    const c = await signUp(srv);
    const failed = () => mailMetric(srv, 'failed_total');
    const mA = await enqueue(srv, a.user.id, 'For A', 'Hello A\n');
    const mB = await enqueue(srv, b.user.id, 'For B', 'Hello B\n');
    assert.equal(mA.status, 201);
    assert.equal(mB.status, 201);
    await waitFor(async () => await failed() === 2, 'the first attempts');
    assert.equal(await mailMetric(srv, 'queue_depth'), 2);

    await advanceClock(srv, 60_000); // first back-off: 1 minute
    await waitFor(async () => await failed() === 4, 'the second attempts');

    // One more minute is not enough now (5 minutes). A new mail is picked on the
    // next tick together with every row that is due, so when its attempt has been
    // counted, any premature retry of A or B would have been counted with it.
    await advanceClock(srv, 60_000);
    const mC = await enqueue(srv, c.user.id, 'For C', 'Hello C\n');
    await waitFor(async () => await failed() >= 5, 'the attempt on C');
    assert.equal(await failed(), 5);

    // the address is read at send time; erasure removes what is queued
    const patch = await api(srv, '/api/v1/me', { method: 'PATCH', cookie: a.cookie, body: { email: `new-${a.creds.email}` } });
    assert.equal(patch.status, 200, patch.text);
    const erase = await api(srv, '/api/v1/me', { method: 'DELETE', cookie: b.cookie, body: { password: b.creds.password } });
    assert.equal(erase.status, 204, erase.text);
    sink = await startSink(port, path.join(tmp, 'sink'));
    await advanceClock(srv, 5 * 60_000);
    await waitFor(() => sink.messages().length >= 2, 'delivery once the server is up');
    const rcpts = sink.messages().map((m) => m.env.rcpt[0]).sort();
    assert.deepEqual(rcpts, [`new-${a.creds.email}`, c.creds.email].sort());
    await waitFor(async () => await mailMetric(srv, 'queue_depth') === 0, 'the sent records');

    // the log names ids and reasons, never addresses
    const failures = srv.logs().split('\n').filter((l) => l.includes('event=mail_failed'));
    assert.ok(failures.length >= 5);
    for (const l of failures) assert.ok(!l.includes('@'), l);

    await srv.stop();
    const db = path.join(srv.dataDir, 'hearth.db');
    assert.equal(sql(db, `SELECT attempts, sent_at IS NOT NULL, last_error IS NULL FROM mail_outbox WHERE id = ${mA.json.id}`), '3|1|1');
    assert.equal(sql(db, `SELECT attempts, sent_at IS NOT NULL FROM mail_outbox WHERE id = ${mC.json.id}`), '2|1');
    assert.equal(sql(db, `SELECT count(*) FROM mail_outbox WHERE id = ${mB.json.id}`), '0');
  });
});

test('a mail is given up after 8 failed attempts, keeping an error without personal data', async () => {
  const port = await freePort();
  const srv = await startServer({ args: [...FAST_HASH, '--mail-smtp-url', `smtp://127.0.0.1:${port}`] });
  try {
    const { user, creds } = await signUp(srv);
    const res = await enqueue(srv, user.id, 'Never delivered', 'Hello\n');
    assert.equal(res.status, 201);
    const waits = [1, 5, 30, 120, 360, 360, 360]; // minutes after attempts 1…7
    for (let k = 1; k <= 8; k++) {
      await waitFor(async () => await mailMetric(srv, 'failed_total') === k, `attempt ${k}`);
      if (k < 8) await advanceClock(srv, waits[k - 1] * 60_000);
    }
    await waitFor(async () => await mailMetric(srv, 'gave_up_total') === 1, 'giving up');
    assert.equal(await mailMetric(srv, 'queue_depth'), 0);
    // nothing more happens, however long we wait
    await advanceClock(srv, 7 * 24 * 3600_000);
    const control = await signUp(srv);
    await enqueue(srv, control.user.id, 'Control', 'Hello\n');
    await waitFor(async () => await mailMetric(srv, 'failed_total') === 9, 'the control attempt');
    await srv.stop();
    const row = sql(path.join(srv.dataDir, 'hearth.db'),
      `SELECT attempts, sent_at IS NULL, next_attempt_at IS NULL, last_error FROM mail_outbox WHERE id = ${res.json.id}`);
    const [attempts, unsent, noNext, lastError] = row.split('|');
    assert.deepEqual([attempts, unsent, noNext], ['8', '1', '1']);
    assert.match(lastError, /^smtp/);
    assert.ok(!lastError.includes(creds.email) && !lastError.includes('@'), lastError);
  } finally {
    await srv.stop();
    srv.cleanup();
  }
});

test('bad mail settings stop the server at start with a clear message', async () => {
  const dir = tempDir();
  const pw = path.join(dir, 'smtp-password');
  writeFileSync(pw, 'not-a-real-secret\n');
  chmodSync(pw, 0o644);
  const smtp = ['--mail-smtp-url', 'smtp://127.0.0.1:1'];
  const cases = [
    [['--mail-smtp-url', 'http://127.0.0.1:25'], /smtp_url must start with smtp:\/\/ or smtps:\/\//],
    [['--mail-smtp-tls', 'maybe'], /smtp_tls must be try or require/],
    [['--mail-from', 'not an address'], /\[mail\] from/],
    [['--mail-from', 'Hearth <a@b.org>\r\nBcc: x@y.org'], /\[mail\] from/],
    [[...smtp, '--mail-smtp-password-file', pw], /smtp_password_file needs smtp_user/],
    [[...smtp, '--mail-smtp-user', 'hearth', '--mail-smtp-password-file', pw], /chmod 600/],
    [[...smtp, '--mail-smtp-user', 'hearth', '--mail-smtp-password-file', path.join(dir, 'none')], /cannot open/],
  ];
  try {
    for (const [args, re] of cases) {
      const r = runHearth(['serve', '--listen', '127.0.0.1:0', '--data', dir, '--web-root', WEB_ROOT, ...args],
        { timeout: 15_000 });
      assert.ok(r.status === 1 || r.status === 2, `${args.join(' ')}: status ${r.status}`);
      assert.match(r.stderr, re, args.join(' '));
    }
    // the same file, private, is accepted
    chmodSync(pw, 0o600);
    const srv = await startServer({ dataDir: dir, args: [...smtp, '--mail-smtp-user', 'hearth', '--mail-smtp-password-file', pw] });
    assert.equal((await api(srv, '/healthz')).status, 200);
    assert.ok(!srv.logs().includes('not-a-real-secret'));
    await srv.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
