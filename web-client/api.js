// api.js — every call to Hearth's HTTP API goes through here.
//
// Same-origin only, JSON in and out. A failed call throws an ApiError that
// carries the server's error shape {error: {code, message}}; the message is
// written for people and is what the client shows. A 401 on a call that
// needs a signed-in user is also reported to the handler set with
// onUnauthorized() (the app sends the person to sign in, then back).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

const NETWORK_MESSAGE =
  'Hearth cannot be reached just now. Please check your connection and try again.';
const GENERIC_MESSAGE = 'Something went wrong on our side. Please try again in a little while.';

let unauthorized = null;

/** fn(error) is called when a request that expects a session gets 401. */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

/**
 * One request. opts: {json: object sent as JSON, body: raw body (Blob/File),
 * contentType (with body), expect401: true when a 401 is an expected answer
 * (sign-in, "am I signed in?") and must not send the person to sign in}.
 * Resolves to the parsed JSON answer, or null for 204.
 */
export async function request(method, path, opts = {}) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: {} };
  init.headers.accept = 'application/json';
  if (opts.json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) {
    init.headers['content-type'] = opts.contentType || 'application/octet-stream';
    init.body = opts.body;
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', NETWORK_MESSAGE);
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (res.ok) return data;
  const e = data && data.error && typeof data.error.message === 'string'
    ? new ApiError(res.status, String(data.error.code || 'error'), data.error.message)
    : new ApiError(res.status, 'http_' + res.status, GENERIC_MESSAGE);
  if (res.status === 401 && !opts.expect401 && unauthorized) unauthorized(e);
  throw e;
}

export const api = {
  get: (path, opts) => request('GET', path, opts),
  post: (path, json, opts) => request('POST', path, { ...opts, json }),
  patch: (path, json, opts) => request('PATCH', path, { ...opts, json }),
  put: (path, body, contentType, opts) => request('PUT', path, { ...opts, body, contentType }),
  del: (path, json, opts) => request('DELETE', path, { ...opts, json }),
  /** GET, or null when there is no such thing (404, or 400 for an id that cannot be one). */
  async find(path, opts) {
    try {
      return await request('GET', path, opts);
    } catch (e) {
      if (e.status === 404 || e.status === 400) return null;
      throw e;
    }
  },
};

// Does the server have this API yet? Screens that depend on a part of the API
// still being built are shown only once it answers. A route that does not
// exist answers 404 not_found to any method; one that exists answers 200,
// 401, 403 or 405 — anything else. Probed once per page load.
const probes = new Map();

export function apiExists(path) {
  if (!probes.has(path)) {
    probes.set(path, (async () => {
      try {
        const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
        if (res.status !== 404) return true;
        const body = await res.json().catch(() => null);
        return !(body && body.error && body.error.code === 'not_found');
      } catch {
        probes.delete(path); // unreachable is not "absent": ask again next time
        return false;
      }
    })());
  }
  return probes.get(path);
}
