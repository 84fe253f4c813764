// SPDX-License-Identifier: Apache-2.0
// util.js - DOM helpers and formatting. Text from the API only ever reaches the page
// through textContent (el() children), never as HTML.

// el('td', {class: 'num'}, 'text', child, ...): an element; null/undefined children skipped.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export const DASH = '—';

export function has(v) {
  return v !== undefined && v !== null && v !== '';
}

export function show(v) {
  return has(v) ? String(v) : DASH;
}

// Seconds since 1970 to "2026-12-06 03:41:07Z" (0: never, "—")
export function when(t) {
  if (!has(t) || typeof t !== 'number' || t <= 0) return DASH;
  return new Date(t * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

// "3 min ago" for a time in seconds (0: "never")
export function ago(t, now = Date.now() / 1000) {
  if (!has(t) || typeof t !== 'number') return DASH;
  if (t <= 0) return 'never';
  const d = Math.max(0, Math.round(now - t));
  if (d < 60) return `${d} s ago`;
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return `${Math.floor(d / 86400)} d ago`;
}

export function badge(state) {
  if (!has(state)) return DASH;
  const s = String(state);
  return el('span', { class: `badge ${s.replace(/[^a-z_-]/gi, '')}` }, s);
}

export function onlineBadge(online) {
  if (online === true) return el('span', { class: 'badge online' }, 'online');
  if (online === false) return el('span', { class: 'badge offline' }, 'offline');
  return DASH;
}

export function table(headers, rows, attrs) {
  return el('table', attrs,
    el('thead', null, el('tr', null, headers.map((h) =>
      el('th', { class: h.endsWith('#') ? 'num' : null }, h.replace(/#$/, ''))))),
    el('tbody', null, rows));
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function errorBox(err) {
  return el('p', { class: 'error', role: 'alert' }, err && err.message ? err.message : String(err));
}

export function percent(n, d) {
  return d > 0 ? `${Math.round((100 * n) / d)} %` : DASH;
}
