// 16-proxies — behind a reverse proxy every request comes from the proxy's
// address. With [server] trusted_proxies, the client's own address (from
// X-Forwarded-For, as the proxy appended it) is what log-in lockouts,
// per-address connection limits and the audit log use; without it the
// header is ignored, so nobody can pose as another address.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, api, runHearth, signUp, sql, tempDir, FAST_HASH } from './helper.mjs';
import { connect, tryConnect } from './live-helper.mjs';

const via = (ip) => ({ 'x-forwarded-for': ip });

/** Five failed log-ins (unknown names, so only the address is counted) from `ip`. */
async function failFrom(srv, ip) {
  for (let i = 0; i < 5; i++) {
    const r = await api(srv, '/api/v1/login', { headers: via(ip), body: { username: `nobody${i}`, password: 'not the password' } });
    assert.equal(r.status, 401);
  }
}

const login = (srv, creds, ip) => api(srv, '/api/v1/login', { headers: via(ip), body: { username: creds.username, password: creds.password } });

describe('behind a trusted proxy', () => {
  test('lockouts and the audit log go by the client behind the proxy, not the proxy', async () => {
    const srv = await startServer({ args: [...FAST_HASH, '--trusted-proxies', '127.0.0.1'] });
    try {
      const { creds } = await signUp(srv);
      await failFrom(srv, '198.51.100.7');
      const locked = await login(srv, creds, '198.51.100.7');
      assert.equal(locked.status, 429, 'that address is slowed down');
      // a client cannot escape by writing its own address at the left: the proxy appends the real one
      assert.equal((await login(srv, creds, '203.0.113.99, 198.51.100.7')).status, 429);
      const other = await login(srv, creds, '198.51.100.8');
      assert.equal(other.status, 200, 'everyone else behind the proxy still gets in');
      // a chain of proxies we trust: the nearest address that is not one of them
      assert.equal((await login(srv, creds, '198.51.100.9, 127.0.0.1')).status, 200);
      await srv.stop();
      const rows = sql(path.join(srv.dataDir, 'hearth.db'), "SELECT action, detail FROM audit_log WHERE action LIKE 'login%' ORDER BY id");
      assert.match(rows, /^login\|\{"ip":"198\.51\.100\.8"\}$/m);
      assert.match(rows, /^login\|\{"ip":"198\.51\.100\.9"\}$/m);
      // only the sign-up's own log-in, sent without the header, is the proxy's
      assert.equal(rows.split('\n').filter((l) => l.includes('127.0.0.1')).length, 1, rows);
      assert.equal((rows.match(/login_failed\|\{"ip":"198\.51\.100\.7"\}/g) || []).length, 5);
    } finally { await srv.stop(); srv.cleanup(); }
  });

  test('the per-address WebSocket limit counts each client, not the proxy', async () => {
    const srv = await startServer({ args: [...FAST_HASH, '--trusted-proxies', '127.0.0.1', '--max-conns-per-ip', '2'] });
    try {
      const m = await signUp(srv);
      const open = [];
      for (let i = 0; i < 2; i++) open.push(await connect(srv, m.cookie, { headers: via('198.51.100.20') }));
      assert.equal(await tryConnect(srv, m.cookie, { headers: via('198.51.100.20') }), 'refused');
      assert.equal(await tryConnect(srv, m.cookie, { headers: via('198.51.100.21') }), 'opened');
      for (const c of open) await c.close();
    } finally { await srv.stop(); srv.cleanup(); }
  });
});

describe('without trusted proxies', () => {
  test('X-Forwarded-For is ignored: it cannot be used to dodge a lockout', async () => {
    const srv = await startServer({ args: FAST_HASH });
    try {
      const { creds } = await signUp(srv);
      await failFrom(srv, '198.51.100.7');
      assert.equal((await login(srv, creds, '198.51.100.8')).status, 429, 'the real peer, 127.0.0.1, is locked');
    } finally { await srv.stop(); srv.cleanup(); }
  });

  test('a trusted_proxies entry that is not an address stops start-up', () => {
    const dir = tempDir();
    const r = runHearth(['serve', '--listen', '127.0.0.1:0', '--data', dir, '--trusted-proxies', '127.0.0.1,proxy.example']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /trusted_proxies: proxy\.example is not an IP address/);
  });
});
