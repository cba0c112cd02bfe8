// 08-boards — message boards: folders, topics, replies and quotes, safe
// rendering, pictures, who may read what (no existence oracle), moderation
// (duplicates, flooding, held links, locks, flags, history, crisis alerts),
// the facilitators' dashboard, live notifications, the digest and erasure.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, api, signUp, advanceClock, sql, cookieOf, FAST_HASH } from './helper.mjs';
import { connect, makeGroup, addMember } from './live-helper.mjs';

const DAY = 86_400_000;

/** A picture media_probe accepts: PNG signature and a 1×1 RGBA IHDR, then padding. */
function png(total = 64) {
  const head = Buffer.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, // signature
    0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, // IHDR length and type
    0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, // 1×1, depth 8, RGBA
    0, 0, 0, 0, // CRC (not checked)
  ]);
  return Buffer.concat([head, Buffer.alloc(Math.max(0, total - head.length))]);
}

const putPicture = (srv, who, postId, bytes, type = 'image/png') =>
  api(srv, `/api/v1/posts/${postId}/picture`, { method: 'PUT', cookie: who.cookie, body: bytes, headers: { 'content-type': type } });

async function relogin(srv, who) {
  const r = await api(srv, '/api/v1/login', { body: { username: who.creds.username, password: who.creds.password } });
  assert.equal(r.status, 200, r.text);
  who.cookie = cookieOf(r);
}

describe('message boards', () => {
  let srv, g, other, stranger, a, b, fac, folders, n = 0;
  const unique = (s) => `${s} (${++n})`;

  async function newTopic(who, folder, subject, body) {
    const r = await api(srv, `/api/v1/folders/${folder}/topics`, { cookie: who.cookie, body: { subject, body } });
    assert.equal(r.status, 201, r.text);
    return r.json;
  }
  async function reply(who, topic, body, extra = {}) {
    return api(srv, `/api/v1/topics/${topic}/posts`, { cookie: who.cookie, body: { body, ...extra } });
  }

  before(async () => {
    srv = await startServer({ args: [...FAST_HASH, '--boards-burst', '100', '--boards-posts-per-minute', '600'] });
    g = await makeGroup(srv, { members: 3 });
    other = await makeGroup(srv, { members: 1 });
    stranger = await signUp(srv);
    [a, b] = g.members;
    fac = g.facilitator;
    const r = await api(srv, `/api/v1/groups/${g.group.id}/folders`, { cookie: a.cookie });
    assert.equal(r.status, 200, r.text);
    folders = r.json.folders;
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('a group starts with its three default folders; facilitators add and order more', async () => {
    assert.deepEqual(folders.map((f) => f.name), ['Introductions', 'Between sessions', 'Practical matters']);
    const again = await api(srv, `/api/v1/groups/${g.group.id}/folders`, { cookie: fac.cookie });
    assert.deepEqual(again.json.folders.map((f) => f.id), folders.map((f) => f.id), 'made once');
    assert.equal(again.json.can_moderate, true);

    const denied = await api(srv, `/api/v1/groups/${g.group.id}/folders`, { cookie: a.cookie, body: { name: 'Mine' } });
    assert.equal(denied.status, 403);
    const add = await api(srv, `/api/v1/groups/${g.group.id}/folders`, { cookie: fac.cookie, body: { name: 'Resources' } });
    assert.equal(add.status, 201, add.text);
    const moved = await api(srv, `/api/v1/folders/${add.json.id}`, { method: 'PATCH', cookie: fac.cookie, body: { name: 'Useful things', position: 0 } });
    assert.equal(moved.status, 200, moved.text);
    const list = await api(srv, `/api/v1/groups/${g.group.id}/folders`, { cookie: b.cookie });
    assert.equal(list.json.folders[0].name, 'Useful things');

    const site = await api(srv, '/api/v1/boards', { cookie: stranger.cookie });
    assert.equal(site.status, 200);
    assert.deepEqual(site.json.folders.map((f) => f.kind), ['conversations', 'specialist']);
  });

  test('topic, reply and quote round trip', async () => {
    const t = await newTopic(a, folders[0].id, 'Hello from Ann', 'I am **new** here.\n\nSecond paragraph.');
    assert.equal(t.held, false);
    assert.match(t.post.html, /<strong>new<\/strong>/);
    const r = await reply(b, t.topic_id, 'Welcome, Ann!');
    assert.equal(r.status, 201, r.text);

    const q = await reply(a, t.topic_id, 'Thank you both.', { quote: { post: t.post.id, text: 'Second paragraph.' } });
    assert.equal(q.status, 201, q.text);
    assert.equal(q.json.post.quote_of, t.post.id);
    assert.match(q.json.post.body, /^> /, 'the quote is Markdown in the stored source');
    assert.match(q.json.post.html, /<blockquote>/);
    assert.match(q.json.post.html, new RegExp(`href="/boards/posts/${t.post.id}"`));
    assert.match(q.json.post.html, /Second paragraph\./);

    const bad = await reply(a, t.topic_id, 'Misquote.', { quote: { post: t.post.id, text: 'words never written' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'bad_quote');

    const show = await api(srv, `/api/v1/topics/${t.topic_id}`, { cookie: fac.cookie });
    assert.equal(show.status, 200);
    assert.equal(show.json.topic.subject, 'Hello from Ann');
    assert.equal(show.json.topic.replies, 2);
    assert.deepEqual(show.json.posts.map((p) => p.author.id), [a.user.id, b.user.id, a.user.id]);
    const page2 = await api(srv, `/api/v1/topics/${t.topic_id}?page=2&per_page=2`, { cookie: b.cookie });
    assert.deepEqual(page2.json.posts.map((p) => p.id), [q.json.post.id]);
    assert.equal(page2.json.total, 3);

    // "new since my last visit": b listed the folder before a's quote reply?
    const first = await api(srv, `/api/v1/folders/${folders[0].id}/topics`, { cookie: b.cookie });
    assert.equal(first.json.topics.find((x) => x.id === t.topic_id).new, true);
    const second = await api(srv, `/api/v1/folders/${folders[0].id}/topics`, { cookie: b.cookie });
    assert.equal(second.json.topics.find((x) => x.id === t.topic_id).new, false);
    assert.ok(second.json.last_visit_at > 0);
  });

  test('subjects are 3 to 120 characters', async () => {
    for (const subject of ['Hi', 'x'.repeat(121), 'bad\u0007bell']) {
      const r = await api(srv, `/api/v1/folders/${folders[1].id}/topics`, { cookie: a.cookie, body: { subject, body: 'Text.' } });
      assert.equal(r.status, 400, subject);
      assert.equal(r.json.error.code, 'bad_subject');
    }
  });

  test('<script> and javascript: links do not survive rendering', async () => {
    const body = 'Look <script>alert(1)</script> and [click](javascript:alert(2)) and <img src=x onerror=alert(3)>';
    const prev = await api(srv, '/api/v1/preview', { cookie: a.cookie, body: { body } });
    assert.equal(prev.status, 200, prev.text);
    const t = await newTopic(a, folders[1].id, unique('Rendering'), body);
    for (const html of [prev.json.html, t.post.html]) {
      assert.doesNotMatch(html, /<script/i);
      assert.doesNotMatch(html, /javascript:/i);
      assert.doesNotMatch(html, /<img/i);
      assert.match(html, /&lt;script&gt;/, 'raw HTML is shown as text');
    }
    assert.equal(t.held, true, 'a javascript: link is not on the allow-list: held for review');
    const stored = await api(srv, `/api/v1/posts/${t.post.id}`, { cookie: a.cookie });
    assert.equal(stored.json.body, body, 'the source is kept as written');
    assert.equal(stored.json.html, t.post.html);
  });

  test('profanity is masked in what is stored and shown', async () => {
    const t = await newTopic(a, folders[1].id, unique('Frustrated'), 'This is shit.');
    assert.equal(t.post.body, 'This is s***.');
    assert.doesNotMatch(t.post.html, /shit/);
  });

  test('pictures: one per post, at most 128 KiB, recognised by their bytes', async () => {
    const t = await newTopic(a, folders[2].id, unique('A photo of the garden'), 'Here it is.');
    const post = t.post.id;

    const big = await putPicture(srv, a, post, png(129 * 1024));
    assert.equal(big.status, 413, big.text);
    const text = await putPicture(srv, a, post, Buffer.from('just some text, named garden.png\n'));
    assert.equal(text.status, 415, text.text);
    const empty = await putPicture(srv, a, post, Buffer.alloc(0));
    assert.equal(empty.status, 400, empty.text);
    const notMine = await putPicture(srv, b, post, png());
    assert.equal(notMine.status, 403, notMine.text);

    const ok = await putPicture(srv, a, post, png(), 'text/plain');
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.type, 'image/png');
    const second = await putPicture(srv, a, post, png(100));
    assert.equal(second.status, 409, second.text);
    assert.equal(second.json.error.code, 'picture_limit');

    const got = await api(srv, `/api/v1/posts/${post}/picture`, { cookie: b.cookie });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/png');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    const shown = await api(srv, `/api/v1/posts/${post}`, { cookie: b.cookie });
    assert.equal(shown.json.picture, `/api/v1/posts/${post}/picture`);
  });

  test('non-members get exactly the answer of something that does not exist', async () => {
    const t = await newTopic(a, folders[0].id, unique('Private to the group'), 'Only for us.');
    const pic = await putPicture(srv, a, t.post.id, png());
    assert.equal(pic.status, 201, pic.text);
    const outsiders = [other.members[0], stranger, g.manager];
    const pairs = [
      [`/api/v1/groups/${g.group.id}/folders`, '/api/v1/groups/999999/folders'],
      [`/api/v1/folders/${folders[0].id}/topics`, '/api/v1/folders/999999/topics'],
      [`/api/v1/topics/${t.topic_id}`, '/api/v1/topics/999999'],
      [`/api/v1/posts/${t.post.id}`, '/api/v1/posts/999999'],
      [`/api/v1/posts/${t.post.id}/picture`, '/api/v1/posts/999999/picture'],
      [`/api/v1/groups/${g.group.id}/board-dashboard`, '/api/v1/groups/999999/board-dashboard'],
    ];
    for (const who of outsiders) {
      for (const [real, missing] of pairs) {
        const r1 = await api(srv, real, { cookie: who.cookie });
        const r2 = await api(srv, missing, { cookie: who.cookie });
        assert.equal(r1.status, 404, `${real} as ${who.user.id}`);
        assert.equal(r1.text, r2.text, real);
      }
      const writes = [
        [`/api/v1/topics/${t.topic_id}/posts`, '/api/v1/topics/999999/posts', { body: 'Let me in' }],
        [`/api/v1/folders/${folders[0].id}/topics`, '/api/v1/folders/999999/topics', { subject: 'Intruding', body: 'Hello?' }],
        [`/api/v1/posts/${t.post.id}/flag`, '/api/v1/posts/999999/flag', { reason: 'curious' }],
      ];
      for (const [real, missing, body] of writes) {
        const r1 = await api(srv, real, { cookie: who.cookie, body: { ...body, body: body.body && unique(body.body) } });
        const r2 = await api(srv, missing, { cookie: who.cookie, body: { ...body, body: body.body && unique(body.body) } });
        assert.equal(r1.status, 404, real);
        assert.equal(r1.text, r2.text, real);
      }
    }
    const other404 = await api(srv, `/api/v1/groups/${other.group.id}/folders`, { cookie: a.cookie });
    assert.equal(other404.status, 404, 'and the other way round');
  });

  test('the same body twice within 10 minutes is refused with 409', async () => {
    const t = await newTopic(b, folders[1].id, unique('Sleep'), 'I cannot sleep.');
    const r1 = await reply(a, t.topic_id, 'Me neither, most nights.');
    assert.equal(r1.status, 201);
    const r2 = await reply(a, t.topic_id, 'Me neither, most nights.');
    assert.equal(r2.status, 409);
    assert.equal(r2.json.error.code, 'duplicate_post');
  });

  test('a post with a link off the allow-list is held until a facilitator approves it', async () => {
    const t = await newTopic(a, folders[1].id, unique('Links'), 'See https://www.nhs.uk/conditions/ for help.');
    assert.equal(t.held, false, 'allowed domains post at once');
    const held = await reply(a, t.topic_id, 'And https://evil.example.com/cure');
    assert.equal(held.status, 201, held.text);
    assert.equal(held.json.held, true);
    const pid = held.json.post.id;

    const asB = await api(srv, `/api/v1/topics/${t.topic_id}`, { cookie: b.cookie });
    assert.ok(!asB.json.posts.some((p) => p.id === pid), 'others do not see it');
    assert.equal((await api(srv, `/api/v1/posts/${pid}`, { cookie: b.cookie })).status, 404);
    const asA = await api(srv, `/api/v1/topics/${t.topic_id}`, { cookie: a.cookie });
    assert.ok(asA.json.posts.find((p) => p.id === pid).held, 'its author sees it, marked held');

    const dash = await api(srv, `/api/v1/groups/${g.group.id}/board-dashboard`, { cookie: fac.cookie });
    assert.ok(dash.json.held.some((p) => p.id === pid));
    assert.equal((await api(srv, `/api/v1/posts/${pid}/approve`, { cookie: b.cookie, body: {} })).status, 404);
    const ok = await api(srv, `/api/v1/posts/${pid}/approve`, { cookie: fac.cookie, body: {} });
    assert.equal(ok.status, 200, ok.text);
    const after = await api(srv, `/api/v1/posts/${pid}`, { cookie: b.cookie });
    assert.equal(after.status, 200);
    assert.equal(after.json.held, false);

    // a held first post hides the whole topic
    const ht = await api(srv, `/api/v1/folders/${folders[1].id}/topics`, { cookie: a.cookie, body: { subject: unique('Held topic'), body: '[x](http://unknown.example/)' } });
    assert.equal(ht.json.held, true);
    assert.equal((await api(srv, `/api/v1/topics/${ht.json.topic_id}`, { cookie: b.cookie })).status, 404);
  });

  test('a locked topic takes no more replies', async () => {
    const t = await newTopic(a, folders[1].id, unique('Lock me'), 'Something.');
    assert.equal((await api(srv, `/api/v1/topics/${t.topic_id}`, { method: 'PATCH', cookie: a.cookie, body: { locked: true } })).status, 403);
    const lock = await api(srv, `/api/v1/topics/${t.topic_id}`, { method: 'PATCH', cookie: fac.cookie, body: { locked: true, pinned: true } });
    assert.equal(lock.status, 200, lock.text);
    assert.equal(lock.json.topic.locked, true);
    const r = await reply(b, t.topic_id, 'Too late?');
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, 'topic_locked');
    const list = await api(srv, `/api/v1/folders/${folders[1].id}/topics`, { cookie: b.cookie });
    assert.equal(list.json.topics[0].id, t.topic_id, 'pinned first');
  });

  test('moving a topic stays within the group', async () => {
    const t = await newTopic(a, folders[1].id, unique('Wrong folder'), 'Oops.');
    const otherFolders = await api(srv, `/api/v1/groups/${other.group.id}/folders`, { cookie: other.facilitator.cookie });
    const away = await api(srv, `/api/v1/topics/${t.topic_id}`, { method: 'PATCH', cookie: fac.cookie, body: { folder_id: otherFolders.json.folders[0].id } });
    assert.equal(away.status, 404);
    const ok = await api(srv, `/api/v1/topics/${t.topic_id}`, { method: 'PATCH', cookie: fac.cookie, body: { folder_id: folders[2].id } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.topic.folder_id, folders[2].id);
  });

  test('edits are marked; only facilitators see the history; authors delete their own', async () => {
    const t = await newTopic(a, folders[2].id, unique('Editing'), 'First version.');
    assert.equal((await api(srv, `/api/v1/posts/${t.post.id}`, { method: 'PATCH', cookie: b.cookie, body: { body: 'Hijack' } })).status, 403);
    const e = await api(srv, `/api/v1/posts/${t.post.id}`, { method: 'PATCH', cookie: a.cookie, body: { body: 'Second version.' } });
    assert.equal(e.status, 200, e.text);
    assert.equal(e.json.post.edited, true);
    assert.match(e.json.post.html, /Second version/);
    assert.equal((await api(srv, `/api/v1/posts/${t.post.id}/history`, { cookie: a.cookie })).status, 403);
    const h = await api(srv, `/api/v1/posts/${t.post.id}/history`, { cookie: fac.cookie });
    assert.equal(h.status, 200);
    assert.deepEqual(h.json.versions.map((v) => v.body), ['First version.']);

    const r = await reply(b, t.topic_id, 'A reply to delete.');
    assert.equal((await api(srv, `/api/v1/posts/${r.json.post.id}`, { method: 'DELETE', cookie: a.cookie })).status, 403);
    assert.equal((await api(srv, `/api/v1/posts/${r.json.post.id}`, { method: 'DELETE', cookie: b.cookie })).status, 204);
    const gone = await api(srv, `/api/v1/posts/${r.json.post.id}`, { cookie: a.cookie });
    assert.equal(gone.json.deleted, true);
    assert.equal(gone.json.body, null);
  });

  test('flags go to the facilitators\' queue; a blocked member cannot post', async () => {
    const t = await newTopic(b, folders[2].id, unique('Flag me'), 'Something unkind.');
    const f = await api(srv, `/api/v1/posts/${t.post.id}/flag`, { cookie: a.cookie, body: { reason: 'It upset me.' } });
    assert.equal(f.status, 201, f.text);
    assert.equal((await api(srv, `/api/v1/posts/${t.post.id}/flag`, { cookie: a.cookie, body: { reason: 'Again' } })).status, 409);
    assert.equal((await api(srv, `/api/v1/groups/${g.group.id}/board-dashboard`, { cookie: a.cookie })).status, 403);
    const dash = await api(srv, `/api/v1/groups/${g.group.id}/board-dashboard`, { cookie: fac.cookie });
    const flag = dash.json.flags.find((x) => x.id === f.json.id);
    assert.equal(flag.reason, 'It upset me.');
    assert.equal(flag.reporter.id, a.user.id);
    assert.equal((await api(srv, `/api/v1/flags/${f.json.id}/resolve`, { cookie: a.cookie, body: {} })).status, 404);
    assert.equal((await api(srv, `/api/v1/flags/${f.json.id}/resolve`, { cookie: fac.cookie, body: {} })).status, 204);

    const blk = await api(srv, `/api/v1/groups/${g.group.id}/board-blocks/${b.user.id}`, { method: 'PUT', cookie: fac.cookie });
    assert.equal(blk.status, 200, blk.text);
    const r = await reply(b, t.topic_id, unique('Can I still post?'));
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'blocked');
    assert.equal((await api(srv, `/api/v1/topics/${t.topic_id}`, { cookie: b.cookie })).status, 200, 'still reads');
    await api(srv, `/api/v1/groups/${g.group.id}/board-blocks/${b.user.id}`, { method: 'DELETE', cookie: fac.cookie });
    assert.equal((await reply(b, t.topic_id, unique('Back again'))).status, 201);
    assert.equal((await api(srv, `/api/v1/groups/${g.group.id}/board-blocks/${stranger.user.id}`, { method: 'PUT', cookie: fac.cookie })).status, 404);

    // on the site-wide boards the listing tells a blocked member so, before they write anything
    const siteBlocked = async () => (await api(srv, '/api/v1/boards', { cookie: b.cookie })).json.blocked;
    assert.equal(await siteBlocked(), false);
    const sb = await api(srv, `/api/v1/boards/blocks/${b.user.id}`, { method: 'PUT', cookie: g.manager.cookie });
    assert.equal(sb.status, 200, sb.text);
    assert.equal(await siteBlocked(), true);
    assert.equal((await api(srv, '/api/v1/boards', { cookie: g.manager.cookie })).json.blocked, false);
    await api(srv, `/api/v1/boards/blocks/${b.user.id}`, { method: 'DELETE', cookie: g.manager.cookie });
    assert.equal(await siteBlocked(), false);
  });

  test('a follower gets a notification over /ws when the topic gets a reply', async () => {
    const t = await newTopic(a, folders[0].id, unique('Follow me'), 'Anyone?');
    const c3 = g.members[2];
    assert.equal((await api(srv, `/api/v1/topics/${t.topic_id}/follow`, { method: 'PUT', cookie: c3.cookie })).status, 200);
    const wa = await connect(srv, a.cookie);
    const wc = await connect(srv, c3.cookie);
    const wo = await connect(srv, other.members[0].cookie);
    const r = await reply(b, t.topic_id, unique('I am here'));
    assert.equal(r.status, 201);
    for (const w of [wa, wc]) {
      const f = await w.next('notification', (x) => x.kind === 'board_reply' && x.topic === t.topic_id);
      assert.equal(f.post, r.json.post.id);
      assert.equal(f.group, g.group.id);
      assert.equal(typeof f.title, 'string');
      assert.equal(f.text, undefined, 'no post text in the frame');
    }
    // the author follows too, but is not told of their own reply; outsiders hear nothing
    const wb = await connect(srv, b.cookie);
    const r2 = await reply(a, t.topic_id, unique('Thanks'));
    await wb.next('notification', (x) => x.kind === 'board_reply' && x.post === r2.json.post.id);
    assert.ok(!wo.all('notification').some((x) => x.topic === t.topic_id));
    assert.ok(!wa.all('notification').some((x) => x.post === r2.json.post.id));
    for (const w of [wa, wb, wc, wo]) await w.close();
  });

  test('a crisis phrase shows its author the resources and alerts the facilitator (mail if offline, never the text)', async () => {
    const wf = await connect(srv, fac.cookie);
    const t = await newTopic(a, folders[1].id, unique('Hard week'), 'Some days I want to end my life.');
    assert.equal(typeof t.crisis_resources, 'string');
    assert.ok(t.crisis_resources.length > 0);
    const alert = await wf.next('notification', (x) => x.kind === 'board_alert' && x.post === t.post.id);
    assert.equal(alert.alert, 'crisis');
    assert.equal(alert.user, a.user.id);
    await wf.close();
    const db = path.join(srv.dataDir, 'hearth.db');
    // the manager was offline: a mail that says there is an alert, and nothing of what was said
    let mail = '';
    for (let i = 0; i < 50 && !mail; i++) {
      mail = sql(db, `SELECT subject || ' ' || body FROM mail_outbox WHERE kind = 'board_alert' AND user_id = ${g.manager.user.id}`);
      if (!mail) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(mail, 'mail queued for the offline manager');
    assert.doesNotMatch(mail, /end my life|Hard week/);
    assert.equal(sql(db, `SELECT count(*) FROM mail_outbox WHERE kind = 'board_alert' AND user_id = ${fac.user.id}`), '0', 'online: no mail');
    assert.equal(sql(db, `SELECT count(*) FROM audit_log WHERE action = 'crisis_alert' AND target_type = 'board_post' AND target_id = ${t.post.id}`), '1');
  });

  test('Ask a specialist: members ask, facilitators answer', async () => {
    const site = await api(srv, '/api/v1/boards', { cookie: a.cookie });
    const spec = site.json.folders.find((f) => f.kind === 'specialist');
    const q = await api(srv, `/api/v1/folders/${spec.id}/topics`, { cookie: stranger.cookie, body: { subject: unique('Fatigue after chemo'), body: 'Is this normal?' } });
    assert.equal(q.status, 201, q.text);
    const byMember = await reply(a, q.json.topic_id, unique('I had that too'));
    assert.equal(byMember.status, 403);
    assert.equal(byMember.json.error.code, 'specialists_only');
    assert.equal((await reply(fac, q.json.topic_id, unique('Yes, it is common.'))).status, 201);
  });

  test('the dashboard lists an unanswered topic once it is older than the threshold', async () => {
    const t = await newTopic(a, folders[2].id, unique('Nobody answers'), 'Is anyone there?');
    const answered = await newTopic(a, folders[2].id, unique('Somebody answers'), 'Hello, anyone?');
    assert.equal((await reply(b, answered.topic_id, unique('Hi!'))).status, 201);
    let dash = await api(srv, `/api/v1/groups/${g.group.id}/board-dashboard`, { cookie: fac.cookie });
    assert.ok(!dash.json.unanswered.some((x) => x.id === t.topic_id), 'too new yet');

    await advanceClock(srv, 3 * DAY);
    for (const who of [fac, a, b, g.members[2]]) await relogin(srv, who);
    dash = await api(srv, `/api/v1/groups/${g.group.id}/board-dashboard`, { cookie: fac.cookie });
    assert.equal(dash.status, 200, dash.text);
    assert.ok(dash.json.unanswered.some((x) => x.id === t.topic_id));
    assert.ok(!dash.json.unanswered.some((x) => x.id === answered.topic_id));
    assert.equal(dash.json.unanswered_days, 2);

    // a member who joined more than a week ago and never posted shows as quiet
    await advanceClock(srv, 5 * DAY);
    for (const who of [fac, a]) await relogin(srv, who);
    const late = await addMember(srv, g.group, fac);
    await advanceClock(srv, 1000);
    await relogin(srv, fac);
    dash = await api(srv, `/api/v1/groups/${g.group.id}/board-dashboard`, { cookie: fac.cookie });
    const quiet = dash.json.quiet_members.map((m) => m.id);
    assert.ok(quiet.includes(g.members[2].user.id), 'never posted in 8 days');
    assert.ok(!quiet.includes(late.user.id), 'joined just now');
  });

  test('the daily digest names topics and counts, never post text, once a day, with an opt-out', async () => {
    for (const who of [fac, a, b, g.members[2]]) await relogin(srv, who);
    await api(srv, '/api/v1/me', { method: 'PATCH', cookie: g.members[2].cookie, body: { digest_opt_out: true } });
    const t = await newTopic(a, folders[0].id, unique('Digest topic'), 'Secret words for the group only.');
    assert.equal((await reply(b, t.topic_id, unique('More secret words'))).status, 201);
    const tick = await api(srv, '/api/v1/test/boards/tick', { body: {} });
    assert.equal(tick.status, 200, tick.text);
    assert.ok(tick.json.digests >= 2);
    const db = path.join(srv.dataDir, 'hearth.db');
    const mailA = sql(db, `SELECT subject || ' ' || body FROM mail_outbox WHERE kind = 'board_digest' AND user_id = ${a.user.id}`);
    assert.match(mailA, /Digest topic \(\d+\)": 1 new post\b/);
    assert.doesNotMatch(mailA, /secret words/i);
    assert.equal(sql(db, `SELECT count(*) FROM mail_outbox WHERE kind = 'board_digest' AND user_id = ${g.members[2].user.id}`), '0');
    assert.equal(sql(db, `SELECT count(*) FROM mail_outbox WHERE kind = 'board_digest' AND user_id = ${fac.user.id}`), '0', 'members only');

    await reply(b, t.topic_id, unique('Even more'));
    const again = await api(srv, '/api/v1/test/boards/tick', { body: {} });
    assert.equal(again.json.digests, 0, 'not twice in a day');
    await advanceClock(srv, DAY);
    const next = await api(srv, '/api/v1/test/boards/tick', { body: {} });
    assert.ok(next.json.digests >= 1, 'the next day');
    assert.equal(sql(db, `SELECT count(*) FROM mail_outbox WHERE kind = 'board_digest' AND user_id = ${a.user.id}`), '2');
  });

  test('an erased author\'s posts stay as "Former member", without signature or pictures', async () => {
    for (const who of [fac, a]) await relogin(srv, who);
    const m = await addMember(srv, g.group, fac);
    await api(srv, '/api/v1/me', { method: 'PATCH', cookie: m.cookie, body: { signature: 'Keep going, M.' } });
    const t = await newTopic(m, folders[0].id, unique('Before I go'), 'Thank you all.');
    assert.equal(t.post.signature, 'Keep going, M.');
    assert.equal((await putPicture(srv, m, t.post.id, png())).status, 201);
    const del = await api(srv, '/api/v1/me', { method: 'DELETE', cookie: m.cookie, body: { password: m.creds.password } });
    assert.equal(del.status, 204, del.text);
    const p = await api(srv, `/api/v1/posts/${t.post.id}`, { cookie: a.cookie });
    assert.equal(p.status, 200);
    assert.equal(p.json.author.name, 'Former member');
    assert.equal(p.json.signature, null);
    assert.equal(p.json.body, 'Thank you all.');
    assert.equal(p.json.picture, null);
    assert.equal((await api(srv, `/api/v1/posts/${t.post.id}/picture`, { cookie: a.cookie })).status, 404);
  });
});

describe('flood limit', () => {
  let srv;
  before(async () => { srv = await startServer({ args: [...FAST_HASH, '--boards-burst', '3', '--boards-posts-per-minute', '1'] }); });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('posting faster than the limit answers 429 with Retry-After', async () => {
    const u = await signUp(srv);
    const site = await api(srv, '/api/v1/boards', { cookie: u.cookie });
    const conv = site.json.folders.find((f) => f.kind === 'conversations');
    const t = await api(srv, `/api/v1/folders/${conv.id}/topics`, { cookie: u.cookie, body: { subject: 'Chatting', body: 'Hello everyone.' } });
    assert.equal(t.status, 201, t.text);
    for (let i = 0; i < 2; i++) assert.equal((await api(srv, `/api/v1/topics/${t.json.topic_id}/posts`, { cookie: u.cookie, body: { body: `Message ${i}` } })).status, 201);
    const r = await api(srv, `/api/v1/topics/${t.json.topic_id}/posts`, { cookie: u.cookie, body: { body: 'One too many' } });
    assert.equal(r.status, 429);
    assert.equal(r.json.error.code, 'rate_limited');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    const other = await signUp(srv);
    assert.equal((await api(srv, `/api/v1/topics/${t.json.topic_id}/posts`, { cookie: other.cookie, body: { body: 'Someone else' } })).status, 201, 'per person');
    await advanceClock(srv, 60_000);
    assert.equal((await api(srv, `/api/v1/topics/${t.json.topic_id}/posts`, { cookie: u.cookie, body: { body: 'After a minute' } })).status, 201);
  });

  test('edits draw on the same allowance', async () => {
    const u = await signUp(srv);
    const site = await api(srv, '/api/v1/boards', { cookie: u.cookie });
    const conv = site.json.folders.find((f) => f.kind === 'conversations');
    const t = await api(srv, `/api/v1/folders/${conv.id}/topics`, { cookie: u.cookie, body: { subject: 'Edited often', body: 'Version 0.' } });
    assert.equal(t.status, 201, t.text);
    const edit = (n) => api(srv, `/api/v1/posts/${t.json.post.id}`, { method: 'PATCH', cookie: u.cookie, body: { body: `Version ${n}.` } });
    for (let i = 1; i <= 2; i++) assert.equal((await edit(i)).status, 200, `edit ${i}`);
    const r = await edit(3);
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    const shown = await api(srv, `/api/v1/posts/${t.json.post.id}`, { cookie: u.cookie });
    assert.match((shown.json.post ?? shown.json).body, /Version 2\./, 'the refused edit changed nothing');
    await advanceClock(srv, 60_000);
    assert.equal((await edit(4)).status, 200);
  });

  test('refused posts take nothing from the allowance', async () => {
    const u = await signUp(srv);
    const site = await api(srv, '/api/v1/boards', { cookie: u.cookie });
    const conv = site.json.folders.find((f) => f.kind === 'conversations');
    const t = await api(srv, `/api/v1/folders/${conv.id}/topics`, { cookie: u.cookie, body: { subject: 'Refusals', body: 'First words.' } });
    assert.equal(t.status, 201, t.text);
    // five refusals: a topic that does not exist, and the same words again
    for (let i = 0; i < 3; i++) assert.equal((await api(srv, '/api/v1/topics/999999/posts', { cookie: u.cookie, body: { body: `Lost ${i}` } })).status, 404);
    for (let i = 0; i < 2; i++) assert.equal((await api(srv, `/api/v1/topics/${t.json.topic_id}/posts`, { cookie: u.cookie, body: { body: 'First words.' } })).status, 409);
    // the burst of three still holds two after the topic
    for (let i = 0; i < 2; i++) assert.equal((await api(srv, `/api/v1/topics/${t.json.topic_id}/posts`, { cookie: u.cookie, body: { body: `Reply ${i}` } })).status, 201);
    assert.equal((await api(srv, `/api/v1/topics/${t.json.topic_id}/posts`, { cookie: u.cookie, body: { body: 'Now too many' } })).status, 429);
  });
});
