// 07-transcripts — sealed transcripts: made at every close (also after a
// restart), four formats with one content, who may read them (403/404),
// listing, full-text search limited to what one may read, the research
// export's anonymity, tampering found by `hearth verify transcripts`, and
// erasure showing "Former member" without breaking the seals.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, api, runHearth, advanceClock, sql, signUp, tempDir, FAST_HASH } from './helper.mjs';
import { connect, join, makeGroup, addMember, openSession, sleep } from './live-helper.mjs';

const LIVE = [...FAST_HASH, '--live-rate-burst', '100', '--live-rate-per-min', '6000'];
const FORMATS = ['json', 'md', 'html', 'txt'];
const MIME = { json: 'application/json', md: 'text/markdown', html: 'text/html', txt: 'text/plain' };

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const db = (srv) => path.join(srv.dataDir, 'hearth.db');

/** GET a transcript, waiting while it is still being sealed (409 not_sealed). */
async function transcript(srv, cookie, session, format = 'json') {
  for (let i = 0; i < 100; i++) {
    const r = await api(srv, `/api/v1/sessions/${session}/transcript?format=${format}`, { cookie });
    if (r.status !== 409) return r;
    await sleep(100);
  }
  throw new Error(`transcript of session ${session} was never sealed`);
}

async function say(c, session, client_id, text) {
  c.send({ type: 'say', session, client_id, text });
  return (await c.next('ack', (f) => f.client_id === client_id)).seq;
}

/** London wall-clock "HH:MM" of a UTC instant, as the readable formats show times. */
const londonTime = (ms) => new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
}).format(new Date(ms));

/** Run a CLI command on a server's data folder. */
const hearth = (srv, args) => runHearth([...args, '--data', srv.dataDir]);

describe('a session with joins, messages, a redaction, a highlight and an announcement', () => {
  let srv, g, other, late, session, otherSession, seqs, words;
  const tmp = tempDir('hearth-tx-');

  before(async () => {
    srv = await startServer({ args: LIVE });
    g = await makeGroup(srv, { members: 3 });
    other = await makeGroup(srv, { members: 1 });
    const [m0, m1, m2] = g.members;
    words = {
      // m0 consents to research and names others, writes an e-mail address and a phone number
      m0: `The bluebells in Hollins wood were out. Thanks ${m2.creds.display_name}, ` +
        `write to ${m0.creds.email} or ring 07700 900123, I am ${m0.creds.username} ` +
        `and ${m1.creds.username.toUpperCase()} knows`,
      m1: 'My sister phoned about the marmalade recipe',
      secret: 'my neighbour Jane lives at 12 Elm Street',
      announce: 'Short break at half past',
    };
    session = await openSession(srv, g.group, g.facilitator);
    const fac = await connect(srv, g.facilitator.cookie);
    await join(fac, session);
    const c0 = await connect(srv, m0.cookie);
    await join(c0, session);
    const c1 = await connect(srv, m1.cookie);
    await join(c1, session);
    seqs = {};
    seqs.m0 = await say(c0, session, 'a1', words.m0);
    seqs.m1 = await say(c1, session, 'b1', words.m1);
    seqs.secret = await say(c1, session, 'b2', words.secret);
    fac.send({ type: 'mod', session, action: 'redact', seq: seqs.secret });
    await fac.next('redacted', (f) => f.seq === seqs.secret);
    fac.send({ type: 'mod', session, action: 'highlight', seq: seqs.m0 });
    await fac.next('highlight', (f) => f.seq === seqs.m0);
    fac.send({ type: 'mod', session, action: 'announce', text: words.announce });
    seqs.announce = (await fac.next('msg', (f) => f.kind === 'announcement')).seq;
    c1.send({ type: 'leave', session });
    await fac.next('presence', (f) => f.user.id === m1.user.id && f.state === 'left');
    await advanceClock(srv, 60_000); // the leave and the end a minute apart, whatever the machine's speed
    fac.send({ type: 'mod', session, action: 'end' });
    await fac.next('session_state', (f) => f.state === 'closed');
    for (const c of [fac, c0, c1]) await c.close();

    // another group's session, with a word of its own
    otherSession = await openSession(srv, other.group, other.facilitator);
    const oc = await connect(srv, other.members[0].cookie);
    await join(oc, otherSession);
    await say(oc, otherSession, 'o1', 'The marigolds and the bluebells');
    const of = await connect(srv, other.facilitator.cookie);
    await join(of, otherSession);
    of.send({ type: 'mod', session: otherSession, action: 'end' });
    await of.next('session_state', (f) => f.state === 'closed');
    await oc.close();
    await of.close();

    // a member who joins after the session
    late = await addMember(srv, g.group, g.facilitator);
  });
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('the JSON is the sealed canonical transcript of what happened', async () => {
    const [m0, m1] = g.members;
    const r = await transcript(srv, m0.cookie, session, 'json');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.match(r.headers.get('content-disposition'), /^inline; filename="hearth-transcript-\d{4}-\d\d-\d\d-session-\d+\.json"$/);
    const seal = r.headers.get('x-transcript-seal');
    assert.equal(sha256(r.text), seal, 'sha256 of the export is the seal');
    assert.equal(sql(db(srv), `SELECT seal FROM transcripts WHERE session_id = ${session}`), seal);
    const t = r.json;
    assert.equal(t.format, 'hearth-transcript');
    assert.equal(t.session.id, session);
    assert.equal(t.session.scheduled, null, 'ad hoc');
    assert.equal(t.group.id, g.group.id);
    assert.equal(t.group.name, g.group.name);
    assert.equal(t.time_zone.name, 'Europe/London');
    const person = (id) => t.people.find((p) => p.id === id);
    assert.equal(person(g.facilitator.user.id).role, 'facilitator');
    assert.equal(person(m0.user.id).name, m0.creds.display_name);
    assert.equal(person(m1.user.id).role, 'member');
    assert.equal(JSON.stringify(t).includes(m0.creds.email), true, 'only because m0 typed it');
    assert.equal(JSON.stringify(t).includes(m1.creds.email), false, 'no e-mail addresses in transcripts');
    // attendance: three people, m1 left before the end
    assert.deepEqual(t.attendance.map((a) => a.user).sort(), [g.facilitator.user.id, m0.user.id, m1.user.id].sort());
    const m1stay = t.attendance.find((a) => a.user === m1.user.id).intervals;
    assert.equal(m1stay.length, 1);
    assert.ok(m1stay[0].to < t.session.closed);
    // entries in order: opened first, closed last, messages by seq, system lines
    const types = t.entries.map((e) => e.type);
    assert.equal(types[0], 'opened');
    assert.equal(types.at(-1), 'closed');
    assert.equal(t.entries.at(-1).user, g.facilitator.user.id, 'ended by the facilitator');
    const msgs = t.entries.filter((e) => e.type === 'message' || e.type === 'announcement');
    assert.deepEqual(msgs.map((e) => e.seq), [seqs.m0, seqs.m1, seqs.secret, seqs.announce]);
    assert.equal(msgs[0].text, words.m0);
    assert.equal(msgs[0].highlighted, true);
    assert.equal(msgs[2].redacted, true);
    assert.equal(msgs[2].text, '[removed by facilitator]');
    assert.equal(msgs[3].type, 'announcement');
    assert.ok(t.entries.some((e) => e.type === 'highlight' && e.seq === seqs.m0 && e.user === g.facilitator.user.id));
    assert.equal(t.entries.filter((e) => e.type === 'joined').length, 3);
    assert.ok(t.entries.some((e) => e.type === 'left' && e.user === m1.user.id));
    assert.equal(r.text.includes('Elm Street'), false, 'redacted words are not kept');
  });

  test('the four formats agree on the content', async () => {
    const m0 = g.members[0];
    const t = (await transcript(srv, m0.cookie, session, 'json')).json;
    const at = t.entries.find((e) => e.seq === seqs.m1).at;
    for (const f of FORMATS) {
      const r = await transcript(srv, m0.cookie, session, f);
      assert.equal(r.status, 200, f);
      assert.ok(r.headers.get('content-type').startsWith(MIME[f]), `${f}: ${r.headers.get('content-type')}`);
      if (f !== 'json') {
        assert.match(r.headers.get('content-disposition'), new RegExp(`^attachment; filename="hearth-transcript-[0-9-]+-session-${session}\\.${f}"$`));
      }
      const text = f === 'json' ? r.text : r.text;
      for (const p of [g.facilitator, ...g.members.slice(0, 2)]) assert.ok(text.includes(p.creds.display_name), `${f}: name of ${p.creds.username}`);
      assert.ok(text.includes('marmalade recipe'), `${f}: a message`);
      assert.ok(text.includes('Short break at half past'), `${f}: the announcement`);
      assert.ok(text.includes('[removed by facilitator]'), `${f}: the redaction`);
      assert.equal(text.includes('Elm Street'), false, `${f}: no redacted words`);
      if (f !== 'json') {
        assert.ok(text.includes(londonTime(at)), `${f}: times in the group's zone`);
        assert.ok(text.includes('Announcement'), `${f}: announcement marked`);
        assert.ok(text.includes('common thread'), `${f}: highlight marked`);
      }
    }
    const html = (await transcript(srv, m0.cookie, session, 'html')).text;
    assert.equal(/<script/i.test(html), false);
  });

  test('the CLI exports the same bytes as the API', async () => {
    const m0 = g.members[0];
    for (const f of FORMATS) {
      const web = (await transcript(srv, m0.cookie, session, f)).text;
      const cli = hearth(srv, ['export', 'transcript', String(session), '--format', f]);
      assert.equal(cli.status, 0, cli.stderr);
      assert.equal(cli.stdout, web, f);
    }
    const file = path.join(tmp, 'one.md');
    const r = hearth(srv, ['export', 'transcript', String(session), '--format', 'md', '--out', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(file, 'utf8').includes('marmalade'));
    assert.equal(hearth(srv, ['export', 'transcript', '999999']).status, 1);
    assert.equal(hearth(srv, ['export', 'transcript', String(session), '--format', 'pdf']).status, 2);
  });

  test('members of the group then and its facilitator read it; others get 403 or 404', async () => {
    const [, , m2] = g.members;
    // m2 did not attend but was a member that day
    assert.equal((await transcript(srv, m2.cookie, session)).status, 200);
    assert.equal((await transcript(srv, g.facilitator.cookie, session, 'txt')).status, 200);
    const missing = await api(srv, '/api/v1/sessions/999999/transcript', { cookie: m2.cookie });
    assert.equal(missing.status, 404);
    const stranger = await transcript(srv, other.members[0].cookie, session);
    assert.equal(stranger.status, 404, 'a member of another group: as if it did not exist');
    assert.deepEqual(stranger.json, missing.json);
    const otherFac = await transcript(srv, other.facilitator.cookie, session);
    assert.equal(otherFac.status, 404);
    const later = await transcript(srv, late.cookie, session, 'md');
    assert.equal(later.status, 403);
    assert.equal(later.json.error.code, 'not_member');
    const mgr = await transcript(srv, g.manager.cookie, session, 'html');
    assert.equal(mgr.status, 403);
    assert.equal(mgr.json.error.code, 'not_member');
    assert.equal(mgr.text.includes('marmalade'), false);
    const bad = await api(srv, `/api/v1/sessions/${session}/transcript?format=pdf`, { cookie: m2.cookie });
    assert.equal(bad.status, 400);
    assert.equal((await api(srv, `/api/v1/sessions/${session}/transcript`)).status, 401);
  });

  test('an open session has no transcript yet', async () => {
    const s = await openSession(srv, other.group, other.facilitator);
    const r = await api(srv, `/api/v1/sessions/${s}/transcript`, { cookie: other.members[0].cookie });
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, 'not_sealed');
    const stranger = await api(srv, `/api/v1/sessions/${s}/transcript`, { cookie: g.members[0].cookie });
    assert.equal(stranger.status, 404);
  });

  test('every read is audit-logged, refusals too', async () => {
    const rows = sql(db(srv), `SELECT actor_id, action, detail FROM audit_log WHERE target_type = 'transcript' AND target_id = ${session} AND action LIKE 'transcript_read%' ORDER BY id`)
      .split('\n').map((l) => l.split('|'));
    assert.ok(rows.some(([a, act, d]) => Number(a) === g.members[0].user.id && act === 'transcript_read' && d.includes('"md"')));
    assert.ok(rows.some(([a, act]) => Number(a) === late.user.id && act === 'transcript_read_denied'));
    assert.ok(rows.some(([a, act]) => Number(a) === g.manager.user.id && act === 'transcript_read_denied'));
    assert.equal(sql(db(srv), `SELECT count(*) FROM audit_log WHERE action = 'transcript_sealed' AND target_id = ${session}`), '1');
  });

  test('the listing shows counts to members, facilitators and managers only', async () => {
    const m0 = g.members[0];
    const r = await api(srv, `/api/v1/groups/${g.group.id}/transcripts`, { cookie: m0.cookie });
    assert.equal(r.status, 200);
    const row = r.json.transcripts.find((x) => x.session_id === session);
    assert.equal(row.message_count, 4);
    assert.equal(row.attendance_count, 3);
    assert.equal(row.readable, true);
    assert.match(row.date, /^\d{4}-\d\d-\d\d$/);
    assert.ok(row.duration_s >= 0);
    const mgr = await api(srv, `/api/v1/groups/${g.group.id}/transcripts`, { cookie: g.manager.cookie });
    assert.equal(mgr.status, 200);
    assert.equal(mgr.json.transcripts.find((x) => x.session_id === session).readable, false);
    assert.equal(JSON.stringify(mgr.json).includes('marmalade'), false, 'metadata only');
    const later = await api(srv, `/api/v1/groups/${g.group.id}/transcripts`, { cookie: late.cookie });
    assert.equal(later.json.transcripts.find((x) => x.session_id === session).readable, false);
    const stranger = await api(srv, `/api/v1/groups/${g.group.id}/transcripts`, { cookie: other.members[0].cookie });
    assert.equal(stranger.status, 404);
    const nogroup = await api(srv, '/api/v1/groups/999999/transcripts', { cookie: other.members[0].cookie });
    assert.deepEqual(stranger.json, nogroup.json);
  });

  test('search finds words only in the transcripts one may read', async () => {
    const find = async (who, q) => {
      const r = await api(srv, `/api/v1/transcripts/search?q=${encodeURIComponent(q)}`, { cookie: who.cookie });
      assert.equal(r.status, 200, r.text);
      return r.json.results;
    };
    const m0 = g.members[0];
    const mine = await find(m0, 'bluebells');
    assert.deepEqual(mine.map((x) => x.session_id), [session]);
    const hit = mine[0];
    assert.equal(hit.seq, seqs.m0);
    assert.equal(hit.author, m0.creds.display_name);
    assert.equal(hit.snippet.text.includes('<'), false);
    assert.ok(hit.snippet.matches.length >= 1);
    for (const m of hit.snippet.matches) assert.equal(hit.snippet.text.slice(m.start, m.start + m.length).toLowerCase(), 'bluebells');
    // prefix of the last word
    assert.deepEqual((await find(m0, 'marmal')).map((x) => x.seq), [seqs.m1]);
    // the other group's transcript is not searched
    assert.deepEqual(await find(m0, 'marigolds'), []);
    assert.deepEqual((await find(other.members[0], 'bluebells')).map((x) => x.session_id), [otherSession]);
    // neither later members nor managers find words
    assert.deepEqual(await find(late, 'bluebells'), []);
    assert.deepEqual(await find(g.manager, 'marmalade'), []);
    assert.deepEqual((await find(g.facilitator, 'marmalade')).map((x) => x.session_id), [session]);
    // redacted words are not indexed
    assert.deepEqual(await find(g.facilitator, 'Elm Street'), []);
    // searches are audited, without the words searched for
    const audit = sql(db(srv), `SELECT detail FROM audit_log WHERE action = 'transcript_search' AND actor_id = ${m0.user.id}`);
    assert.ok(audit.length > 0);
    assert.equal(audit.includes('bluebells'), false);
  });

  test('FTS syntax in a query is only text', async () => {
    const m0 = g.members[0];
    for (const q of ['"', 'bluebells" OR "marigolds', 'NEAR(bluebells marigolds)', 'author:x', 'text:bluebells',
      '*', 'bluebells AND', '(((', "'; DROP TABLE transcripts; --", '^bluebells', 'blue-bells', 'bluebells -marigolds']) {
      const r = await api(srv, `/api/v1/transcripts/search?q=${encodeURIComponent(q)}`, { cookie: m0.cookie });
      assert.ok(r.status === 200 || (r.status === 400 && r.json.error.code === 'empty_query'), `${q}: ${r.status} ${r.text}`);
      if (r.status === 200) for (const x of r.json.results) assert.equal(x.session_id, session, q);
    }
    const empty = await api(srv, '/api/v1/transcripts/search?q=%22%22%20*', { cookie: m0.cookie });
    assert.equal(empty.status, 400);
    assert.equal(empty.json.error.code, 'empty_query');
    const long = await api(srv, `/api/v1/transcripts/search?q=${'a'.repeat(201)}`, { cookie: m0.cookie });
    assert.equal(long.status, 400);
    assert.equal((await api(srv, '/api/v1/transcripts/search?q=x')).status, 401);
    assert.equal(sql(db(srv), 'SELECT count(*) FROM transcripts') >= '2', true);
  });

  test('the research export is anonymous and keeps consenting members\' words', async () => {
    const [m0, m1, m2] = g.members;
    const ok = await api(srv, '/api/v1/me', { method: 'PATCH', cookie: m0.cookie, body: { research_consent: true } });
    assert.equal(ok.status, 200);
    const file = path.join(tmp, 'research.jsonl');
    const r = hearth(srv, ['export', 'research', '--out', file, '--group', String(g.group.id)]);
    assert.equal(r.status, 0, r.stderr);
    const out = readFileSync(file, 'utf8');
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 1, 'one transcript of this group');
    const rec = lines[0];
    assert.equal(rec.format, 'hearth-research');
    const kept = rec.entries.find((e) => e.seq === seqs.m0);
    assert.ok(kept.text.includes('The bluebells in Hollins wood were out'), kept.text);
    assert.ok(kept.text.includes('[name]') && kept.text.includes('[email]') && kept.text.includes('[phone]'), kept.text);
    assert.deepEqual(rec.entries.find((e) => e.seq === seqs.m1), { omitted: true, seq: seqs.m1 });
    assert.equal(out.includes('marmalade'), false, 'words of a member who did not consent');
    const lower = out.toLowerCase();
    for (const p of [g.facilitator, m0, m1, m2, late, g.manager]) {
      for (const v of [p.creds.username, p.creds.display_name, p.creds.email]) {
        assert.equal(lower.includes(v.toLowerCase()), false, `${v} appears in the research export`);
      }
    }
    assert.equal(/07700|900123/.test(out), false, 'phone number');
    assert.equal(out.includes(g.group.name), false);
    assert.equal(sql(db(srv), "SELECT count(*) FROM audit_log WHERE action = 'research_export'"), '1');
    // every group, and the usage errors
    assert.equal(hearth(srv, ['export', 'research', '--out', file]).status, 0);
    assert.equal(hearth(srv, ['export', 'research']).status, 2);
    assert.equal(hearth(srv, ['export', 'research', '--out', file, '--since', 'May 1']).status, 2);
    const since = hearth(srv, ['export', 'research', '--out', file, '--since', '2199-01-01']);
    assert.equal(since.status, 0);
    assert.equal(readFileSync(file, 'utf8'), '');
  });

  test('erasure shows "Former member" in every format and keeps the seals valid', async () => {
    const m1 = g.members[1];
    const before = (await transcript(srv, m1.cookie, session, 'json'));
    const oldSeal = before.headers.get('x-transcript-seal');
    const er = await api(srv, '/api/v1/me', { method: 'DELETE', cookie: m1.cookie, body: { password: m1.creds.password } });
    assert.ok(er.status === 200 || er.status === 204, `erase: ${er.status} ${er.text}`);
    const m0 = g.members[0];
    const j = await transcript(srv, m0.cookie, session, 'json');
    const person = j.json.people.find((p) => p.id === m1.user.id);
    assert.deepEqual(person, { erased: true, id: m1.user.id, name: 'Former member', role: 'member' });
    assert.notEqual(j.headers.get('x-transcript-seal'), oldSeal);
    assert.equal(sha256(j.text), j.headers.get('x-transcript-seal'));
    for (const f of FORMATS) {
      const text = (await transcript(srv, m0.cookie, session, f)).text;
      assert.ok(text.includes('Former member'), f);
      assert.equal(text.includes(m1.creds.display_name), false, `${f}: the erased name is gone`);
      assert.ok(text.includes('marmalade recipe'), `${f}: their words stay in the group's record`);
    }
    const hits = await api(srv, '/api/v1/transcripts/search?q=marmalade', { cookie: m0.cookie });
    assert.equal(hits.json.results[0].author, 'Former member');
    const audit = sql(db(srv), `SELECT detail FROM audit_log WHERE action = 'transcript_resealed' AND target_id = ${session}`);
    assert.ok(audit.includes(oldSeal) && audit.includes(j.headers.get('x-transcript-seal')), audit);
    const v = hearth(srv, ['verify', 'transcripts']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^\d+ transcripts intact$/m);
  });

  test('tampering with a stored transcript is reported by hearth verify transcripts', async () => {
    await srv.stop();
    const file = db(srv);
    assert.equal(hearth(srv, ['verify', 'transcripts']).status, 0);
    sql(file, `UPDATE transcripts SET canon = replace(canon, 'marmalade', 'marzipan') WHERE session_id = ${session}`);
    let v = hearth(srv, ['verify', 'transcripts']);
    assert.equal(v.status, 1);
    assert.match(v.stdout, new RegExp(`session ${session}\\b.*does not match its seal`));
    assert.equal(v.stdout.includes(`session ${otherSession} `), false, 'the others are intact');
    // a transcript that does not match its seal is not exported
    const ex = hearth(srv, ['export', 'transcript', String(session), '--format', 'txt']);
    assert.equal(ex.status, 1);
    assert.equal(ex.stdout, '');
    // recomputing the seal too does not hide it: the audit log remembers the real one
    const canon = sql(file, `SELECT canon FROM transcripts WHERE session_id = ${session}`);
    sql(file, `UPDATE transcripts SET seal = '${sha256(canon)}' WHERE session_id = ${session}`);
    v = hearth(srv, ['verify', 'transcripts']);
    assert.equal(v.status, 1);
    assert.match(v.stdout, new RegExp(`session ${session}\\b.*audit log`));
    // the audit chain itself is still checked by the other verify
    assert.equal(hearth(srv, ['verify', 'audit']).status, 0);
  });
});

describe('a member who has left the group', () => {
  test('finds it under ?former=1 and still reads the transcripts of their time, nothing after', async () => {
    const srv = await startServer({ args: LIVE });
    try {
      const g = await makeGroup(srv, { members: 2 });
      const [leaver, stayer] = g.members;
      const endSession = async (text) => {
        const s = await openSession(srv, g.group, g.facilitator);
        const fac = await connect(srv, g.facilitator.cookie);
        await join(fac, s);
        await say(fac, s, `f-${s}`, text);
        fac.send({ type: 'mod', session: s, action: 'end' });
        await fac.next('session_state', (f) => f.state === 'closed');
        await fac.close();
        return s;
      };
      const before = await endSession('Before the summer');
      await advanceClock(srv, 60_000);
      const left = await api(srv, `/api/v1/groups/${g.group.id}/leave`, { cookie: leaver.cookie, body: {} });
      assert.equal(left.status, 200, left.text);
      await advanceClock(srv, 60_000);
      const after = await endSession('After she left');

      const mine = await api(srv, '/api/v1/me/groups', { cookie: leaver.cookie });
      assert.equal(mine.json.groups.some((x) => x.id === g.group.id), false, 'no longer a current group');
      const former = await api(srv, '/api/v1/me/groups?former=1', { cookie: leaver.cookie });
      assert.equal(former.status, 200);
      assert.deepEqual(former.json.groups.map((x) => [x.id, x.my_role]), [[g.group.id, 'former']]);
      const list = await api(srv, `/api/v1/groups/${g.group.id}/transcripts`, { cookie: leaver.cookie });
      assert.deepEqual(list.json.transcripts.map((t) => t.session_id), [before], 'only what she may open');
      assert.equal((await transcript(srv, leaver.cookie, before, 'txt')).text.includes('Before the summer'), true);
      assert.equal((await transcript(srv, leaver.cookie, after)).status, 403);

      // a current member, a facilitator and someone never in it have no former groups
      for (const who of [stayer, g.facilitator, await signUp(srv)]) {
        const r = await api(srv, '/api/v1/me/groups?former=1', { cookie: who.cookie });
        assert.deepEqual(r.json.groups, []);
      }
      for (const bad of ['2', 'yes', '']) {
        const r = await api(srv, `/api/v1/me/groups?former=${bad}`, { cookie: leaver.cookie });
        assert.equal(r.status, 400, bad);
        assert.equal(r.json.error.code, 'bad_field');
      }
      assert.equal((await api(srv, '/api/v1/me/groups?former=1')).status, 401);
    } finally {
      await srv.stop();
      srv.cleanup();
    }
  });
});

describe('a session found past its end after a restart is sealed', () => {
  let srv;
  after(async () => { await srv.stop(); srv.cleanup(); });

  test('kill, restart, move past the end: the stale sweep closes it and the transcript is sealed', async () => {
    srv = await startServer({ args: LIVE });
    const g = await makeGroup(srv, { members: 1 });
    const session = await openSession(srv, g.group, g.facilitator, 5);
    const c = await connect(srv, g.members[0].cookie);
    await join(c, session);
    await say(c, session, 'r1', 'Words before the power cut');
    await srv.kill();
    srv = await startServer({ dataDir: srv.dataDir, args: LIVE });
    const early = await api(srv, `/api/v1/sessions/${session}/transcript`, { cookie: g.members[0].cookie });
    assert.equal(early.status, 409, 'still open: not sealed');
    await advanceClock(srv, 6 * 60 * 1000);
    const r = await transcript(srv, g.members[0].cookie, session, 'txt');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.text.includes('Words before the power cut'));
    const j = (await transcript(srv, g.members[0].cookie, session, 'json')).json;
    assert.equal(j.entries.at(-1).type, 'closed');
    assert.equal(j.entries.at(-1).user, undefined, 'closed by the schedule');
    assert.deepEqual(j.attendance.map((a) => a.user), [g.members[0].user.id]);
    // sealed once, whatever else closes or sweeps
    await sleep(1500);
    assert.equal(sql(db(srv), `SELECT count(*) FROM audit_log WHERE action = 'transcript_sealed' AND target_id = ${session}`), '1');
  });
});
