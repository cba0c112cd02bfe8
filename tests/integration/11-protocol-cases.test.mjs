// 11-protocol-cases — replays the conformance cases in tests/protocol-cases/
// (frames to send, frames to expect; the format is in its README.md) against
// one real `hearth serve`. Every case file is one test, named by the case;
// each gets its own fixture (group, users, session, conversation), so cases
// never see each other and may run in any order.
//
// The server refills the posting bucket at one token a minute (the burst
// stays the default 5), so that "the 6th say in a burst" does not depend on
// how fast this machine is: a case may post at most 5 times per user.
import { test, describe, before, after } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, api, FAST_HASH } from './helper.mjs';
import { connect, makeGroup, addMember, openSession } from './live-helper.mjs';

const CASE_DIR = process.env.HEARTH_PROTOCOL_CASES ||
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../protocol-cases');
const FRAME_MS = 5000; // an expected frame that takes longer means a hung case
const CASE_MS = 60000; // node:test's own limit for one case, fixture included
const DEFAULT_IGNORE = ['presence', 'typing', 'turns'];
const USERS = ['facilitator', 'member1', 'member2', 'member3', 'member4', 'outsider'];
const FIXED_VARS = ['session', 'group', 'conversation'];
const RESERVED = new Set([...FIXED_VARS, 'user', 'name', 'any', 'absent', 'int', 'string', 'bool']);
const TOP_KEYS = new Set(['name', 'description', 'steps', 'clients', 'fixture', 'ignore', 'known_failure']);
const ACTIONS = ['send', 'raw', 'raw_repeat', 'raw_hex', 'binary', 'expect', 'expect_unordered',
  'quiet', 'expect_close', 'disconnect', 'connect'];
const STEP_KEYS = new Set([...ACTIONS, 'as', 'repeat', 'save', 'comment']);
const REPEATABLE = new Set(['send', 'raw', 'raw_hex', 'binary', 'expect']);

/* A mistake in a case file: never excused by known_failure. */
class CaseError extends Error {}
/* The fixture could not be built: a problem of the server's HTTP side or of
 * the helpers, not of the protocol; never excused by known_failure either. */
class FixtureError extends Error {}

// ---- loading and checking case files ----

/* Duplicate keys vanish in JSON.parse; in a case file they would silently
 * change the frame sent, so they are refused (send them with "raw"). */
function findDuplicateKey(text) {
  let i = 0;
  const ws = () => { while (/\s/.test(text[i])) i++; };
  const str = () => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (where) => {
    ws();
    if (text[i] === '{') {
      const seen = new Set();
      i++; ws();
      if (text[i] === '}') { i++; return null; }
      for (;;) {
        ws();
        const key = str();
        if (seen.has(key)) return `${where}.${key}`;
        seen.add(key);
        ws(); i++; // ':'
        const dup = value(`${where}.${key}`);
        if (dup) return dup;
        ws();
        if (text[i++] === '}') return null;
      }
    }
    if (text[i] === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return null; }
      for (let n = 0; ; n++) {
        const dup = value(`${where}.${n}`);
        if (dup) return dup;
        ws();
        if (text[i++] === ']') return null;
      }
    }
    if (text[i] === '"') { str(); return null; }
    while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
    return null;
  };
  return value('');
}

function clientUser(name) {
  return name.split('#')[0];
}

function checkCase(file, c) {
  const fail = (msg) => { throw new CaseError(`${file}: ${msg}`); };
  if (typeof c !== 'object' || c === null || Array.isArray(c)) fail('not a JSON object');
  for (const k of Object.keys(c)) if (!TOP_KEYS.has(k)) fail(`unknown key "${k}"`);
  if (c.name !== path.basename(file, '.json')) fail(`name "${c.name}" is not the file name`);
  if (typeof c.description !== 'string' || !c.description) fail('description missing');
  if ((c.fixture ?? 'open_session') !== 'open_session') fail(`unknown fixture "${c.fixture}"`);
  if (c.known_failure !== undefined && (typeof c.known_failure !== 'string' || !c.known_failure)) fail('known_failure must be a reason');
  const clients = c.clients ?? ['member1'];
  if (!Array.isArray(clients) || !clients.length) fail('clients must be a non-empty list');
  for (const n of clients) {
    if (typeof n !== 'string' || !/^[a-z0-9]+(#[0-9]+)?$/.test(n) || !USERS.includes(clientUser(n))) fail(`unknown client "${n}"`);
  }
  if (new Set(clients).size !== clients.length) fail('a client is listed twice');
  if (c.ignore !== undefined && (!Array.isArray(c.ignore) || c.ignore.some((t) => typeof t !== 'string'))) fail('ignore must be a list of frame types');
  if (!Array.isArray(c.steps) || !c.steps.length) fail('steps must be a non-empty list');
  c.steps.forEach((s, i) => {
    const at = (msg) => fail(`step ${i + 1}: ${msg}`);
    if (typeof s !== 'object' || s === null || Array.isArray(s)) at('not an object');
    for (const k of Object.keys(s)) if (!STEP_KEYS.has(k)) at(`unknown key "${k}"`);
    const acts = ACTIONS.filter((a) => a in s);
    if (acts.length !== 1) at(`needs exactly one action, has ${acts.length ? acts.join(', ') : 'none'}`);
    const act = acts[0];
    if (s.as === undefined ? clients.length > 1 : !clients.includes(s.as)) at(`"as" must name one of ${clients.join(', ')}`);
    if (s.repeat !== undefined && (!REPEATABLE.has(act) || !Number.isInteger(s.repeat) || s.repeat < 1)) at('repeat must be a count, with send, raw, raw_hex, binary or expect');
    if (s.save !== undefined) {
      if (act !== 'expect' && act !== 'expect_unordered') at('save goes with expect or expect_unordered');
      for (const [v, p] of Object.entries(s.save)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) || RESERVED.has(v)) at(`cannot save into "${v}"`);
        if (typeof p !== 'string') at(`save path for ${v} must be a string`);
      }
    }
    const v = s[act];
    const ok = {
      send: () => typeof v === 'object' && v !== null && !Array.isArray(v),
      raw: () => typeof v === 'string',
      raw_hex: () => typeof v === 'string' && /^([0-9a-fA-F]{2})*$/.test(v),
      raw_repeat: () => Array.isArray(v) && ((v.length === 2 && typeof v[0] === 'string' && Number.isInteger(v[1])) ||
        (v.length === 4 && typeof v[0] === 'string' && typeof v[1] === 'string' && Number.isInteger(v[2]) && typeof v[3] === 'string')),
      binary: () => typeof v === 'string',
      expect: () => typeof v === 'object' && v !== null && !Array.isArray(v),
      expect_unordered: () => Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'object' && p !== null),
      quiet: () => v === true,
      expect_close: () => Number.isInteger(v),
      disconnect: () => v === true,
      connect: () => v === true,
    }[act];
    if (!ok()) at(`bad value for ${act}`);
  });
  return { ...c, clients, ignore: c.ignore ?? DEFAULT_IGNORE };
}

function loadCases() {
  return readdirSync(CASE_DIR).filter((f) => f.endsWith('.json')).sort().map((file) => {
    const text = readFileSync(path.join(CASE_DIR, file), 'utf8');
    try {
      const dup = findDuplicateKey(text);
      if (dup) throw new CaseError(`${file}: duplicate key ${dup} (send such frames with "raw")`);
      return { file, name: path.basename(file, '.json'), spec: checkCase(file, JSON.parse(text)) };
    } catch (e) {
      return { file, name: path.basename(file, '.json'), error: e };
    }
  });
}

// ---- variables ----

const VAR_RE = /\$(\$|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)([+-][0-9]+)?/g;

function lookupVar(vars, name, delta) {
  if (!Object.hasOwn(vars, name)) throw new CaseError(`unknown variable $${name}`);
  let v = vars[name];
  if (delta) {
    if (!Number.isInteger(v)) throw new CaseError(`$${name}${delta} needs an integer, $${name} is ${JSON.stringify(v)}`);
    v += Number(delta);
  }
  return v;
}

/* A string that is exactly one variable becomes the variable's value; any
 * other string gets the variables' text spliced in. */
function substString(s, vars) {
  const whole = /^\$([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)([+-][0-9]+)?$/.exec(s);
  if (whole) return lookupVar(vars, whole[1], whole[2]);
  const out = s.replace(VAR_RE, (m, name, delta) => {
    if (name === '$') return '$' + (delta ?? '');
    const v = lookupVar(vars, name, delta);
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
  if (/\$(?![$A-Za-z_])/.test(s.replace(VAR_RE, ''))) throw new CaseError(`stray "$" in ${JSON.stringify(s)} (write $$ for a dollar sign)`);
  return out;
}

function subst(x, vars) {
  if (typeof x === 'string') return substString(x, vars);
  if (Array.isArray(x)) return x.map((e) => subst(e, vars));
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, subst(v, vars)]));
  return x;
}

function getPath(obj, p) {
  if (p === '') return obj;
  let v = obj;
  for (const seg of p.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, seg)) return undefined;
    v = v[seg];
  }
  return v;
}

// ---- matching ----

const show = (v) => (v === undefined ? 'nothing' : JSON.stringify(v));

/* Why `value` does not match `pattern` (a string), or null when it does.
 * vars null: the pattern is a variable's value, compared as it is. */
function mismatch(pattern, value, vars, at = 'frame') {
  if (typeof pattern === 'string' && vars === null) {
    return value === pattern ? null : `${at}: expected ${show(pattern)}, got ${show(value)}`;
  }
  if (typeof pattern === 'string') {
    switch (pattern) {
      case '$any': return value === undefined ? `${at}: missing` : null;
      case '$absent': return value === undefined ? null : `${at}: should be absent, is ${show(value)}`;
      case '$int': return Number.isInteger(value) ? null : `${at}: should be an integer, is ${show(value)}`;
      case '$string': return typeof value === 'string' ? null : `${at}: should be a string, is ${show(value)}`;
      case '$bool': return typeof value === 'boolean' ? null : `${at}: should be a boolean, is ${show(value)}`;
      default: {
        const want = substString(pattern, vars);
        if (typeof want === 'string') return value === want ? null : `${at}: expected ${show(want)}, got ${show(value)}`;
        return mismatch(want, value, null, at);
      }
    }
  }
  if (value === undefined) return `${at}: missing (expected ${show(pattern)})`;
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value)) return `${at}: expected an array, got ${show(value)}`;
    if (pattern[0] === '$unordered' && vars !== null) {
      const pats = pattern.slice(1);
      if (pats.length !== value.length) return `${at}: expected ${pats.length} elements (any order), got ${value.length}: ${show(value)}`;
      return assign(pats, value, vars) ? null : `${at}: ${show(value)} does not match ${show(pats)} in any order`;
    }
    if (pattern.length !== value.length) return `${at}: expected ${pattern.length} elements, got ${value.length}: ${show(value)}`;
    for (let i = 0; i < pattern.length; i++) {
      const why = mismatch(pattern[i], value[i], vars, `${at}.${i}`);
      if (why) return why;
    }
    return null;
  }
  if (pattern !== null && typeof pattern === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${at}: expected an object, got ${show(value)}`;
    for (const [k, p] of Object.entries(pattern)) {
      const why = mismatch(p, Object.hasOwn(value, k) ? value[k] : undefined, vars, `${at}.${k}`);
      if (why) return why;
    }
    return null;
  }
  return pattern === value ? null : `${at}: expected ${show(pattern)}, got ${show(value)}`;
}

/* An assignment of values to patterns (each used once), as pattern index → value index, or null. */
function assign(patterns, values, vars) {
  const used = new Array(values.length).fill(false);
  const pick = [];
  const go = (i) => {
    if (i === patterns.length) return true;
    for (let j = 0; j < values.length; j++) {
      if (used[j] || mismatch(patterns[i], values[j], vars)) continue;
      used[j] = true; pick[i] = j;
      if (go(i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  return go(0) ? pick : null;
}

// ---- the fixture ----

/* open_session: a group (capacity 8) with a facilitator and member1..4, an
 * ad-hoc session open now, an outsider in another group, and a conversation
 * of member1, member2 and the facilitator. */
async function buildFixture(srv, other) {
  const g = await makeGroup(srv, { members: 4, capacity: 8 });
  const session = await openSession(srv, g.group, g.facilitator);
  const outsider = await addMember(srv, other.group, other.facilitator);
  const [member1, member2, member3, member4] = g.members;
  const conv = await api(srv, '/api/v1/conversations', {
    cookie: member1.cookie, body: { participants: [member2.user.id, g.facilitator.user.id] },
  });
  if (conv.status !== 201) throw new Error(`fixture conversation: ${conv.status} ${conv.text}`);
  const users = { facilitator: g.facilitator, member1, member2, member3, member4, outsider };
  const vars = { session, group: g.group.id, conversation: conv.json.id };
  for (const [n, u] of Object.entries(users)) {
    vars[`user.${n}`] = u.user.id;
    vars[`name.${n}`] = u.user.display_name ?? u.creds.display_name;
  }
  return { users, vars };
}

// ---- connections ----

/* One per client name of a running case: the live-helper client of its
 * current connection and how far the steps have read its frames. */
class Conn {
  constructor(name, who, srv, ignore) {
    this.name = name;
    this.who = who;
    this.srv = srv;
    this.ignore = new Set(ignore);
    this.c = null;
    this.pos = 0;
  }

  /* Open the WebSocket; its first frame must be this user's welcome. */
  async open() {
    if (this.c && !this.c.closed) throw new CaseError(`${this.name} is already connected`);
    this.c = await connect(this.srv, this.who.cookie);
    const why = mismatch({
      type: 'welcome',
      user: { id: this.who.user.id, name: this.who.user.display_name ?? this.who.creds.display_name, role: this.who.user.role },
      server_time: '$int', version: '$string', protocol: 'hearth.v1',
    }, this.c.frames[0], {});
    if (why) throw new Error(`${this.name}: first frame is not its welcome: ${why}`);
    this.pos = 1;
  }

  sendText(data) {
    if (!this.c || this.c.closed) throw new Error(`${this.name} is not connected`);
    this.c.ws.send(data, { binary: false });
  }

  sendBinary(buf) {
    if (!this.c || this.c.closed) throw new Error(`${this.name} is not connected`);
    this.c.ws.send(buf, { binary: true });
  }

  /* The next frame not of an ignored type; null once the connection closed
   * with nothing left to read. Rejects after FRAME_MS. */
  next() {
    const c = this.c;
    return new Promise((resolve, reject) => {
      let timer = null, finished = false;
      const done = (f) => {
        finished = true;
        clearTimeout(timer);
        c.waiters = c.waiters.filter((w) => w !== look);
        resolve(f);
        return true;
      };
      const look = () => {
        if (finished) return true;
        while (this.pos < c.frames.length) {
          const f = c.frames[this.pos++];
          if (!this.ignore.has(f.type)) return done(f);
        }
        return c.closed ? done(null) : false;
      };
      if (look()) return;
      c.waiters.push(look);
      c.closedP.then(look);
      timer = setTimeout(() => {
        finished = true;
        c.waiters = c.waiters.filter((w) => w !== look);
        reject(new Error(`${this.name}: no frame within ${FRAME_MS} ms; last frames: ${show(c.frames.slice(-5))}`));
      }, FRAME_MS);
    });
  }

  /* Wait for the close; rejects after FRAME_MS. */
  closed() {
    return Promise.race([
      this.c.closedP,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`${this.name}: still open after ${FRAME_MS} ms`)), FRAME_MS).unref()),
    ]);
  }

  async shut() {
    if (!this.c || this.c.closed) return;
    this.c.ws.close(1000);
    await this.closed().catch(() => this.c.ws.terminate());
  }
}

// ---- steps ----

async function expectOne(conn, pattern, vars) {
  const f = await conn.next();
  if (f === null) throw new Error(`${conn.name}: connection closed (${show(conn.c.closed)}) while expecting ${show(pattern)}`);
  const why = mismatch(pattern, f, vars);
  if (why) throw new Error(`${conn.name}: ${why}\n  expected ${show(pattern)}\n  received ${show(f)}`);
  return f;
}

function save(step, frames, vars) {
  for (const [v, p] of Object.entries(step.save ?? {})) {
    const f = frames.find((fr) => getPath(fr, p) !== undefined);
    if (!f) throw new Error(`save ${v}: no "${p}" in ${show(frames)}`);
    vars[v] = getPath(f, p);
  }
}

async function runStep(step, conns, vars) {
  const conn = conns.get(step.as ?? conns.keys().next().value);
  const times = step.repeat ?? 1;
  if ('send' in step) {
    const data = JSON.stringify(subst(step.send, vars));
    for (let i = 0; i < times; i++) conn.sendText(data);
  } else if ('raw' in step) {
    const data = substString(step.raw, vars);
    for (let i = 0; i < times; i++) conn.sendText(String(data));
  } else if ('raw_repeat' in step) {
    const r = step.raw_repeat;
    const [pre, s, n, post] = r.length === 2 ? ['', r[0], r[1], ''] : r;
    conn.sendText(String(substString(pre, vars)) + String(substString(s, vars)).repeat(n) + String(substString(post, vars)));
  } else if ('raw_hex' in step) {
    for (let i = 0; i < times; i++) conn.sendText(Buffer.from(step.raw_hex, 'hex'));
  } else if ('binary' in step) {
    for (let i = 0; i < times; i++) conn.sendBinary(Buffer.from(step.binary, 'utf8'));
  } else if ('expect' in step) {
    let f;
    for (let i = 0; i < times; i++) f = await expectOne(conn, step.expect, vars);
    save(step, [f], vars);
  } else if ('expect_unordered' in step) {
    const got = [];
    for (let i = 0; i < step.expect_unordered.length; i++) {
      const f = await conn.next().catch((e) => {
        throw new Error(`${e.message}\n  after ${got.length} of ${step.expect_unordered.length}: ${show(got)}`);
      });
      if (f === null) throw new Error(`${conn.name}: connection closed (${show(conn.c.closed)}) after ${show(got)}`);
      got.push(f);
    }
    const pick = assign(step.expect_unordered, got, vars);
    if (!pick) {
      const why = step.expect_unordered.map((p) => got.map((f) => mismatch(p, f, vars)).filter(Boolean)[0]);
      throw new Error(`${conn.name}: frames do not match in any order\n  expected ${show(step.expect_unordered)}\n  received ${show(got)}\n  e.g. ${why.filter(Boolean).join('; ')}`);
    }
    save(step, pick.map((j) => got[j]), vars);
  } else if ('quiet' in step) {
    // Two pings: the server writes a connection's own frames (pong) ahead
    // of room frames already queued for it, so one pong could overtake a
    // msg still on its way; by the second round trip that msg has been
    // written, and would arrive before the second pong.
    for (const ref of ['quiet1', 'quiet2']) {
      conn.sendText(JSON.stringify({ type: 'ping', ref }));
      await expectOne(conn, { type: 'pong' }, vars);
    }
  } else if ('expect_close' in step) {
    const closed = await conn.closed();
    for (;;) {
      const f = await conn.next();
      if (f === null) break;
      throw new Error(`${conn.name}: unread frame before the close: ${show(f)}`);
    }
    if (closed.code !== step.expect_close) throw new Error(`${conn.name}: closed with ${closed.code} (${closed.reason}), expected ${step.expect_close}`);
  } else if ('disconnect' in step) {
    if (!conn.c || conn.c.closed) throw new CaseError(`${conn.name} is not connected`);
    await conn.shut();
  } else if ('connect' in step) {
    await conn.open();
  }
}

async function runCase(spec, srv, other) {
  const fx = await buildFixture(srv, other).catch((e) => { throw new FixtureError(`fixture: ${e.message}`); });
  const vars = { ...fx.vars };
  const conns = new Map(spec.clients.map((n) => [n, new Conn(n, fx.users[clientUser(n)], srv, spec.ignore)]));
  try {
    for (const conn of conns.values()) await conn.open();
    for (const [i, step] of spec.steps.entries()) {
      try {
        await runStep(step, conns, vars);
      } catch (e) {
        e.message = `step ${i + 1} ${show(step)}\n${e.message}`;
        throw e;
      }
    }
  } finally {
    await Promise.all([...conns.values()].map((c) => c.shut()));
  }
}

// ---- the tests ----

const cases = loadCases();

describe('protocol conformance cases', () => {
  let srv, other;
  before(async () => {
    srv = await startServer({ args: [...FAST_HASH, '--live-rate-burst', '5', '--live-rate-per-min', '1'] });
    other = await makeGroup(srv, { members: 0 });
  });
  after(async () => { if (srv) { await srv.stop(); srv.cleanup(); } });

  for (const kase of cases) {
    test(kase.name, { timeout: CASE_MS }, async (t) => {
      if (kase.error) throw kase.error;
      const known = kase.spec.known_failure;
      try {
        await runCase(kase.spec, srv, other);
      } catch (e) {
        if (known && !(e instanceof CaseError) && !(e instanceof FixtureError)) {
          t.diagnostic(`fails as expected: ${e.message.split('\n').slice(0, 3).join(' | ')}`);
          t.skip(`known failure: ${known}`);
          return;
        }
        throw e;
      }
      if (known) throw new Error(`marked known_failure ("${known}") but passes now: remove the mark`);
    });
  }
});
