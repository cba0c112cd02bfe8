// 13-api-doc — doc/API.md documents every HTTP route the server registers,
// and nothing else: each (method, path) of the route tables in server/*.c
// has exactly one heading "### METHOD /path" in API.md, every such heading
// names a real route, and the test-only routes are documented in the
// test-only section. Reads source files only; no server is started.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

const SERVER = new URL('../../server/', import.meta.url);
const DOC = new URL('../../doc/API.md', import.meta.url);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Every route table entry of server/*.c: {HTTP_<METHOD>, "<path>", handler, flags}.
 * Returns [{method, path, testing, file}].
 */
function routesFromSource() {
  const routes = [];
  const entry = /\{\s*HTTP_(GET|POST|PUT|PATCH|DELETE)\s*,\s*"([^"]+)"([^}]*)\}/g;
  for (const file of readdirSync(SERVER).filter((f) => f.endsWith('.c')).sort()) {
    const text = readFileSync(new URL(file, SERVER), 'utf8');
    for (const m of text.matchAll(entry)) {
      routes.push({ method: m[1], path: m[2], testing: /HTTP_ROUTE_TESTING/.test(m[3]), file });
    }
  }
  return routes;
}

/**
 * The route headings of API.md (outside fenced code blocks):
 * [{method, path, line, section}]; and the lines that look like one but are malformed.
 */
function headingsFromDoc() {
  const headings = [];
  const malformed = [];
  let section = '';
  let fenced = false;
  readFileSync(DOC, 'utf8').split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) return;
    if (/^## /.test(line)) section = line.slice(3).trim();
    // anything that looks like a route heading must be exactly "### METHOD /path"
    if (!new RegExp(`^#+\\s*(${METHODS.join('|')}|HEAD|OPTIONS)\\b`).test(line)) return;
    const m = new RegExp(`^### (${METHODS.join('|')}) (/[^\\s]*)$`).exec(line);
    if (m) headings.push({ method: m[1], path: m[2], line: i + 1, section });
    else malformed.push(`API.md:${i + 1}: ${line}`);
  });
  return { headings, malformed };
}

const key = (r) => `${r.method} ${r.path}`;

describe('doc/API.md', () => {
  const routes = routesFromSource();
  const { headings, malformed } = headingsFromDoc();

  test('the route tables are found in server/*.c', () => {
    // a broken pattern must not pass by finding nothing
    assert.ok(routes.length >= 80, `found only ${routes.length} routes`);
    for (const r of ['POST /api/v1/login', 'GET /healthz', 'GET /metrics', 'POST /api/v1/test/clock']) {
      assert.ok(routes.some((x) => key(x) === r), `the parser finds ${r}`);
    }
    assert.ok(routes.some((x) => x.testing), 'test-only routes are told apart');
  });

  test('every route heading has the form "### METHOD /path"', () => {
    assert.deepEqual(malformed, []);
  });

  test('every route the server registers has a heading', () => {
    const documented = new Set(headings.map(key));
    const missing = routes.filter((r) => !documented.has(key(r))).map((r) => `${key(r)} (server/${r.file})`);
    assert.deepEqual(missing, [], 'routes without a "### METHOD /path" heading in doc/API.md');
  });

  test('every route heading names a real route, once', () => {
    const real = new Set(routes.map(key));
    const unknown = headings.filter((h) => !real.has(key(h))).map((h) => `API.md:${h.line}: ${key(h)}`);
    assert.deepEqual(unknown, [], 'headings for routes the server does not register');
    const seen = new Map();
    const twice = [];
    for (const h of headings) {
      if (seen.has(key(h))) twice.push(`API.md:${h.line}: ${key(h)} (first at line ${seen.get(key(h))})`);
      else seen.set(key(h), h.line);
    }
    assert.deepEqual(twice, [], 'routes documented more than once');
  });

  test('test-only routes are documented in the test-only section, and only they', () => {
    const testing = new Set(routes.filter((r) => r.testing).map(key));
    const misplaced = headings
      .filter((h) => testing.has(key(h)) !== /test-only/i.test(h.section))
      .map((h) => `API.md:${h.line}: ${key(h)} in "${h.section}"`);
    assert.deepEqual(misplaced, []);
  });
});
