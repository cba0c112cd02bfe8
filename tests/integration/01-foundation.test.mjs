// 01-foundation — the server starts, serves, refuses bad input in one error
// shape, counts what it does, and stops cleanly.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, api, metric, runHearth, sql, tempDir } from './helper.mjs';

function assertErrorShape(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.equal(typeof res.json?.error?.message, 'string', res.text);
  assert.ok(res.json.error.message.length > 0);
  assert.equal(res.json.error.code, code, res.text);
  assert.match(res.headers.get('content-type'), /^application\/json/);
}

describe('a running server', () => {
  let srv;
  before(async () => { srv = await startServer({ args: ['--max-body', '4096'] }); });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('GET /healthz answers ok with the version', async () => {
    const res = await api(srv, '/healthz');
    assert.equal(res.status, 200);
    assert.equal(res.json.status, 'ok');
    assert.match(res.json.version, /^\d+\.\d+\.\d+/);
    assert.equal(runHearth(['--version']).stdout.trim(), `hearth ${res.json.version}`);
  });

  test('the web client is served with strict security headers', async () => {
    const res = await api(srv, '/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(res.text, /Hearth/);
    assert.match(res.text, /healthz|app\.js/);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const js = await api(srv, '/app.js');
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
  });

  test('API responses are never cached', async () => {
    const res = await api(srv, '/api/v1/no-such-thing');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('an unknown API route is 404 in the error shape', async () => {
    assertErrorShape(await api(srv, '/api/v1/no-such-thing'), 404, 'not_found');
    assertErrorShape(await api(srv, '/no-such-file.js'), 404, 'not_found');
  });

  test('a wrong method on a known route is 405 in the error shape', async () => {
    assertErrorShape(await api(srv, '/healthz', { method: 'DELETE' }), 405, 'method_not_allowed');
  });

  test('malformed JSON bodies are 400 bad_json', async () => {
    const cases = ['{"advance_ms": 1', '[1,2]', '"text"', '{"a":1,"a":2}',
      '{"a":' + '['.repeat(40) + ']'.repeat(40) + '}', '\u00ff\u00fe'];
    for (const body of cases) {
      assertErrorShape(await api(srv, '/api/v1/test/clock', { body, headers: { 'content-type': 'application/json' } }),
        400, 'bad_json');
    }
  });

  test('a body over the configured limit is 413', async () => {
    const res = await api(srv, '/api/v1/test/clock', { body: 'x'.repeat(5000) });
    assertErrorShape(res, 413, 'too_large');
    // the server is still fine afterwards
    assert.equal((await api(srv, '/healthz')).status, 200);
  });

  test('a state-changing request from another origin is refused 403 bad_origin', async () => {
    assertErrorShape(await api(srv, '/api/v1/test/clock', { body: { advance_ms: 1 }, origin: 'http://evil.example' }),
      403, 'bad_origin');
    assertErrorShape(await api(srv, '/api/v1/test/clock', { body: { advance_ms: 1 }, origin: null }),
      403, 'bad_origin');
    // prefix tricks do not pass an exact match
    assertErrorShape(await api(srv, '/api/v1/test/clock', { body: { advance_ms: 1 }, origin: srv.origin + '.evil.example' }),
      403, 'bad_origin');
  });

  test('the test clock moves only by the amount asked', async () => {
    const a = await api(srv, '/api/v1/test/clock', { body: { advance_ms: 0 } });
    const b = await api(srv, '/api/v1/test/clock', { body: { advance_ms: 3_600_000 } });
    assert.equal(b.status, 200);
    assert.equal(b.json.offset_ms - a.json.offset_ms, 3_600_000);
    assertErrorShape(await api(srv, '/api/v1/test/clock', { body: { advance_ms: -5 } }), 400, 'bad_field');
  });

  test('/metrics exposes real counters in Prometheus format', async () => {
    const before2xx = await metric(srv, 'hearth_http_requests_total{class="2xx"}');
    await api(srv, '/healthz');
    const { text } = await api(srv, '/metrics');
    assert.match(text, /# TYPE hearth_http_requests_total counter/);
    assert.match(text, /^hearth_http_connections_open \d+$/m);
    assert.match(text, /^hearth_ws_connections_open \d+$/m);
    assert.match(text, /^hearth_store_commits_total \d+$/m);
    assert.match(text, /^hearth_store_batch_size_bucket\{le="\+Inf"\} \d+$/m);
    const after2xx = Number(/hearth_http_requests_total\{class="2xx"\} (\d+)/.exec(text)[1]);
    assert.ok(after2xx >= before2xx + 1, `${after2xx} vs ${before2xx}`);
    assert.ok(Number(/hearth_http_requests_total\{class="4xx"\} (\d+)/.exec(text)[1]) > 0);
  });
});

describe('who may read /metrics', () => {
  test('with a token file, only a request bearing the token; the file must be private', async () => {
    const dir = tempDir();
    const tokenFile = path.join(dir, 'metrics-token');
    const token = 'k3Jd9-metrics-secret-0a1b2c';
    writeFileSync(tokenFile, token + '\n', { mode: 0o644 });
    try {
      const r = runHearth(['serve', '--listen', '127.0.0.1:0', '--data', path.join(dir, 'd'), '--metrics-token-file', tokenFile]);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /metrics_token_file .*chmod 600/);
      chmodSync(tokenFile, 0o600);
      const srv = await startServer({ dataDir: path.join(dir, 'd'), args: ['--metrics-token-file', tokenFile] });
      try {
        for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${token}` },
          { authorization: `Bearer ${token}x` }]) {
          const no = await api(srv, '/metrics', { headers });
          assert.equal(no.status, 401, JSON.stringify(headers));
          assert.equal(no.json.error.code, 'bad_token');
          assert.match(no.headers.get('www-authenticate'), /^Bearer/);
          assert.doesNotMatch(no.text, /hearth_/);
        }
        const yes = await api(srv, '/metrics', { headers: { authorization: `Bearer ${token}` } });
        assert.equal(yes.status, 200);
        assert.match(yes.text, /^hearth_ws_connections_open \d+$/m);
        assert.ok(!srv.logs().includes(token), 'the token is never logged');
      } finally {
        await srv.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('test-only controls', () => {
  test('do not exist without --testing', async () => {
    const srv = await startServer({ testing: false });
    try {
      assertErrorShape(await api(srv, '/api/v1/test/clock', { body: { advance_ms: 1000 } }), 404, 'not_found');
    } finally { await srv.stop(); srv.cleanup(); }
  });
});

describe('start-up refusals', () => {
  test('a bad config line stops start-up with status 2, naming file, line and key', () => {
    const dir = tempDir();
    const file = path.join(dir, 'bad.ini');
    writeFileSync(file, '[server]\nlisten = 127.0.0.1:0\n[store]\nsynchronous = SOMETIMES\n');
    const r = runHearth(['serve', '--config', file, '--data', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: \\[store\\] synchronous`));
  });

  test('an unknown key and a bad flag value also exit 2', () => {
    const dir = tempDir();
    const file = path.join(dir, 'bad.ini');
    writeFileSync(file, '[server]\nlisten_everywhere = yes\n');
    let r = runHearth(['serve', '--config', file]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /:2: \[server\] listen_everywhere: unknown key/);
    r = runHearth(['serve', '--listen', 'nowhere', '--data', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--listen nowhere: expected ADDR:PORT/);
  });

  test('a data folder that cannot be written stops start-up with a clear error', () => {
    const dir = tempDir();
    const file = path.join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const r = runHearth(['serve', '--listen', '127.0.0.1:0', '--data', path.join(file, 'data')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /data folder .*not-a-folder\/data/);
  });

  test('a database newer than the binary is refused', async () => {
    const srv = await startServer();
    await srv.stop();
    const db = path.join(srv.dataDir, 'hearth.db');
    sql(db, "INSERT INTO schema_migrations VALUES (100000, 'from the future', 0)");
    const r = runHearth(['serve', '--listen', '127.0.0.1:0', '--data', srv.dataDir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /newer than this hearth/);
    srv.cleanup();
  });
});

describe('the store', () => {
  test('migrations are applied once and recorded', async () => {
    const srv = await startServer();
    assert.equal((await srv.stop()).code, 0);
    const db = path.join(srv.dataDir, 'hearth.db');
    const first = sql(db, 'SELECT version, applied_at FROM schema_migrations ORDER BY version');
    assert.ok(first.length > 0);
    const again = await startServer({ dataDir: srv.dataDir });
    assert.doesNotMatch(again.logs(), /migration_applied/);
    assert.equal((await again.stop()).code, 0);
    assert.equal(sql(db, 'SELECT version, applied_at FROM schema_migrations ORDER BY version'), first);
    srv.cleanup();
  });

  test('graceful shutdown exits 0 and leaves nothing in the WAL that a reopen cannot read', async () => {
    const srv = await startServer();
    // some traffic first, so the database has been used
    for (let i = 0; i < 5; i++) await api(srv, '/healthz');
    const { code } = await srv.stop();
    assert.equal(code, 0);
    assert.match(srv.logs(), /event=stopped/);
    const db = path.join(srv.dataDir, 'hearth.db');
    const wal = db + '-wal';
    assert.ok(!existsSync(wal) || statSync(wal).size === 0, 'WAL was checkpointed');
    assert.equal(sql(db, 'PRAGMA integrity_check'), 'ok');
    assert.equal(sql(db, 'PRAGMA journal_mode'), 'wal');
    srv.cleanup();
  });
});
