// SPDX-License-Identifier: Apache-2.0
// fleet.js - the fleet: every meter with its version, group, last contact, online state and
// campaign state; search, filters and paging. The registry is read in pages of 1,000 (the
// API's cursor, ?after=<id>); the first page is shown as soon as it arrives and the rest is
// read behind it, so the first paint does not wait for a fleet of 10,000. Search, filters and
// paging then work on the meters in memory: only one page of rows is ever in the DOM.
import { api } from './api.js';
import { DASH, ago, badge, clear, el, errorBox, has, onlineBadge, show, table } from './util.js';

const FIRST = 100;   // the first request: enough for the first page, quick to answer
const CHUNK = 1000;  // the API's largest page

function matches(m, f) {
  if (f.q) {
    const hay = `${m.id} ${m.version ?? ''} ${m.group ?? ''}`.toLowerCase();
    if (!hay.includes(f.q)) return false;
  }
  if (f.online === 'online' && m.online !== true) return false;
  if (f.online === 'offline' && m.online !== false) return false;
  if (f.online === 'unknown' && typeof m.online === 'boolean') return false;
  if (f.version && (m.version ?? '') !== f.version) return false;
  if (f.campaign && (m.campaign_state ?? '') !== f.campaign) return false;
  return true;
}

function row(m) {
  return el('tr', { dataset: { meter: m.id } },
    el('td', null, el('a', { href: `#/meters/${encodeURIComponent(m.id)}` }, m.id)),
    el('td', null, show(m.version)),
    el('td', null, show(m.group)),
    el('td', { title: m.last_seen > 0 ? new Date(m.last_seen * 1000).toISOString() : null },
      ago(m.last_seen)),
    el('td', null, onlineBadge(m.online)),
    el('td', null, badge(m.campaign_state)));
}

function options(select, values, label) {
  const cur = select.value;
  clear(select);
  select.append(el('option', { value: '' }, label));
  for (const v of [...values].sort()) select.append(el('option', { value: v }, v));
  select.value = values.has(cur) ? cur : '';
}

export function fleetView(root) {
  const meters = [];
  const versions = new Set();
  const campaigns = new Set();
  let page = 0;
  let done = false;
  let stopped = false;
  let firstRendered = false;

  const q = el('input', { type: 'search', id: 'fleet-search', placeholder: 'Search id, version, group',
    'aria-label': 'Search meters' });
  const online = el('select', { id: 'fleet-online', 'aria-label': 'Online state' },
    el('option', { value: '' }, 'Any state'), el('option', { value: 'online' }, 'Online'),
    el('option', { value: 'offline' }, 'Offline'), el('option', { value: 'unknown' }, 'Unknown'));
  const version = el('select', { id: 'fleet-version', 'aria-label': 'Version' });
  const campaign = el('select', { id: 'fleet-campaign', 'aria-label': 'Campaign state' });
  const size = el('select', { id: 'fleet-page-size', 'aria-label': 'Rows per page' },
    ...[50, 100, 200].map((n) => el('option', { value: n }, `${n} per page`)));
  const status = el('span', { class: 'muted', id: 'fleet-status' }, 'Loading…');
  const tbody = el('tbody');
  const tbl = table(['Meter', 'Version', 'Group', 'Last seen', 'Online', 'Campaign'], [],
    { id: 'fleet-table' });
  tbl.replaceChild(tbody, tbl.querySelector('tbody'));
  const prev = el('button', { type: 'button', id: 'fleet-prev' }, '‹ Previous');
  const next = el('button', { type: 'button', id: 'fleet-next' }, 'Next ›');
  const pageInfo = el('span', { id: 'fleet-page' });
  const errors = el('div');
  options(version, versions, 'Any version');
  options(campaign, campaigns, 'Any campaign state');

  root.append(el('h1', null, 'Fleet'),
    el('div', { class: 'toolbar' }, q, online, version, campaign, size, status),
    errors, tbl, el('div', { class: 'pager' }, prev, pageInfo, next));

  const filter = () => ({ q: q.value.trim().toLowerCase(), online: online.value,
    version: version.value, campaign: campaign.value });

  function render() {
    const f = filter();
    const per = Number(size.value);
    const shown = f.q || f.online || f.version || f.campaign ? meters.filter((m) => matches(m, f))
      : meters;
    const pages = Math.max(1, Math.ceil(shown.length / per));
    page = Math.min(page, pages - 1);
    const rows = shown.slice(page * per, page * per + per).map(row);
    clear(tbody).append(...rows);
    if (rows.length === 0) {
      tbody.append(el('tr', null, el('td', { colspan: 6, class: 'muted' },
        done ? 'No meter matches.' : 'Loading…')));
    }
    pageInfo.textContent = `Page ${page + 1} of ${pages} · ${shown.length} of ${meters.length} meters`;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    tbl.dataset.rows = String(rows.length);
    if (!firstRendered && rows.length > 0) {
      firstRendered = true;
      performance.mark('meterseal:fleet-rendered');
    }
  }

  for (const [ctl, ev] of [[q, 'input'], [online, 'change'], [version, 'change'],
    [campaign, 'change'], [size, 'change']]) {
    ctl.addEventListener(ev, () => { page = 0; render(); });
  }
  prev.addEventListener('click', () => { page -= 1; render(); });
  next.addEventListener('click', () => { page += 1; render(); });

  async function load() {
    let after = null;
    for (let n = FIRST; ; n = CHUNK) {
      const r = await api('GET', `/meters?limit=${n}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      if (stopped) return;
      const list = Array.isArray(r && r.meters) ? r.meters : [];
      for (const m of list) {
        if (typeof m.id !== 'string') continue;
        meters.push(m);
        if (has(m.version)) versions.add(String(m.version));
        if (has(m.campaign_state)) campaigns.add(String(m.campaign_state));
      }
      done = list.length < n;
      status.textContent = done ? `${meters.length} meters` : `${meters.length} meters, loading…`;
      render();
      if (done) break;
      after = list[list.length - 1].id;
    }
    options(version, versions, 'Any version');
    options(campaign, campaigns, 'Any campaign state');
    tbl.dataset.loaded = String(meters.length);
    performance.mark('meterseal:fleet-loaded');
    if (meters.length > 0 && !meters.some((m) => 'version' in m || 'online' in m)) {
      root.insertBefore(el('p', { class: 'muted', id: 'fleet-note' },
        `This service does not report versions or online states yet (${DASH} below).`), errors);
    }
  }
  load().catch((e) => { if (!stopped) errors.append(errorBox(e)); });
  return () => { stopped = true; };
}
