// 10-demo — `hearth serve --demo` shows a newcomer a live room within a minute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, cookieOf, FAST_HASH } from './helper.mjs';
import { connect, join, sleep } from './live-helper.mjs';

test('--demo seeds people, a group and an open session, and prints the log-ins', async () => {
  const srv = await startServer({ args: [...FAST_HASH, '--demo'] });
  try {
    let out = '';
    for (let i = 0; i < 50 && !/live session \d+/.test(out); i++) { await sleep(100); out = srv.output(); }
    const logins = Object.fromEntries([...out.matchAll(/^\s+(demo-[a-z]+)\s+([0-9a-f]{16})\s+(\w+)$/gm)].map((m) => [m[1], m[2]]));
    assert.deepEqual(Object.keys(logins).sort(), ['demo-ana', 'demo-ben', 'demo-cleo', 'demo-facilitator', 'demo-manager']);
    const session = Number(/live session (\d+)/.exec(out)[1]);
    const login = await api(srv, '/api/v1/login', { body: { username: 'demo-ana', password: logins['demo-ana'] } });
    assert.equal(login.status, 200);
    const c = await connect(srv, cookieOf(login));
    const joined = await join(c, session);
    assert.equal(joined.state, 'open');
    c.send({ type: 'say', session, client_id: 'hello', text: 'Hello, is anyone here?' });
    assert.equal((await c.next('ack')).seq, 1);
  } finally { await srv.stop(); }
  // a second start on the same folder leaves real data alone
  const again = await startServer({ dataDir: srv.dataDir, args: [...FAST_HASH, '--demo'] });
  await sleep(300);
  assert.doesNotMatch(again.output(), /demo-ana/);
  assert.match(again.logs(), /demo_skipped/);
  await again.stop();
  again.cleanup();
});
