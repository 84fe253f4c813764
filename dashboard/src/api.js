// SPDX-License-Identifier: Apache-2.0
// api.js - the HTTP API (docs/cloud.md §6, docs/ota.md) as the dashboard uses it: the
// session is the HttpOnly ms_session cookie set at sign-in; every request that changes
// something carries the session's CSRF token in X-CSRF-Token. The bearer token of the
// login answer is never kept. Name, role and CSRF token live in sessionStorage (this tab).

const KEY = 'meterseal.session';

export class ApiError extends Error {
  constructor(status, code, reason) {
    super(reason || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return s && typeof s.csrf === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function isOperator() {
  const s = session();
  return !!s && s.role === 'operator';
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(f) {
  onUnauthorized = f;
}

// api('GET', '/meters?limit=50') -> parsed JSON; throws ApiError on 4xx/5xx.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const s = session();
  if (method !== 'GET' && s) headers['X-CSRF-Token'] = s.csrf;
  let payload;
  if (body instanceof ArrayBuffer || body instanceof Blob) {
    headers['Content-Type'] = 'application/octet-stream';
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`/api/v1${path}`, {
    method, headers, body: payload, credentials: 'same-origin', cache: 'no-store',
  });
  let json = null;
  const text = await res.text();
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/login') {
      sessionStorage.removeItem(KEY);
      onUnauthorized();
    }
    throw new ApiError(res.status, json && json.error, json && json.reason);
  }
  return json;
}

export async function signIn(name, password) {
  const r = await api('POST', '/login', { name, password });
  sessionStorage.setItem(KEY, JSON.stringify({ name, role: r.role, csrf: r.csrf,
    expires_at: r.expires_at }));
  return r;
}

export async function signOut() {
  try {
    await api('POST', '/logout');
  } finally {
    sessionStorage.removeItem(KEY);
  }
}

// GET that answers null when this service does not offer the route: not there (404, 405) or
// not configured (503: firmware updates without a vendor key).
export async function optional(path) {
  try {
    return await api('GET', path);
  } catch (e) {
    if (e instanceof ApiError && [404, 405, 503].includes(e.status)) return null;
    throw e;
  }
}

// Every record of a listing the API gives in pages (?limit=&after=, docs/ota.md section 5):
// pages of 1,000 until an empty or short one; next(record) is the cursor after the page's last
// record. Like optional(), null when the service does not offer the route. A service that
// does not page (an older one: the whole list at once) ends it too, as does a page that
// repeats the one before (not added again), so a wrong answer cannot make it ask forever.
export async function allPages(path, key, next) {
  const PAGE = 1000;
  const out = [];
  for (let after = null; ;) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await optional(`${path}${sep}limit=${PAGE}${after === null ? ''
      : `&after=${encodeURIComponent(after)}`}`);
    if (r === null) return out.length === 0 ? null : out;
    const list = Array.isArray(r[key]) ? r[key] : [];
    const last = list.length > 0 ? next(list[list.length - 1]) : null;
    if (after !== null && last === after) return out;   // the page before, again
    out.push(...list);
    if (list.length !== PAGE || last === null || last === undefined) return out;
    after = last;
  }
}
