// SPDX-License-Identifier: Apache-2.0
// meter.js - one meter: its identity and state, readings plotted over time (energy and
// balance; the last 7 days unless another range is chosen), events, update history (once the service has campaigns) and its certificate.
import uPlot from './vendor/uPlot.esm.js';
import { api, optional } from './api.js';
import { DASH, ago, badge, el, errorBox, has, onlineBadge, show, table, when } from './util.js';

const READINGS_PAGES = 5;   // at most 5,000 readings plotted
const PAGE = 1000;

function facts(m) {
  const dl = el('dl', { class: 'grid', id: 'meter-facts' });
  const add = (k, v) => dl.append(el('div', null, el('dt', null, k), el('dd', null, v)));
  add('Meter', m.id);
  add('Version', show(m.version));
  add('Group', show(m.group));
  add('Online', onlineBadge(m.online));
  add('Last seen', has(m.last_seen) && m.last_seen > 0 ? `${when(m.last_seen)} (${ago(m.last_seen)})`
    : ago(m.last_seen));
  add('Campaign state', badge(m.campaign_state));
  add('Registered', when(m.registered_at));
  add('Readings stored', show(m.readings));
  add('Newest reading', show(m.newest_seq));
  add('Key id', show(m.kid));
  return dl;
}

const RANGES = [['1 day', 86400], ['7 days', 7 * 86400], ['30 days', 30 * 86400], ['1 year', 365 * 86400],
  ['all', 0]];

// The readings taken since `since` (seconds; 0: from the first), at most 5,000.
async function readings(id, since) {
  const all = [];
  let from = since;
  for (let i = 0; i < READINGS_PAGES; i++) {
    const r = await api('GET', `/meters/${encodeURIComponent(id)}/readings?from=${from}&limit=${PAGE}`);
    const list = Array.isArray(r && r.readings) ? r.readings : [];
    all.push(...list);
    if (list.length < PAGE) break;
    from = list[list.length - 1].time;   // the API pages by time; repeats are dropped below
  }
  const seen = new Set();
  return all.filter((r) => !seen.has(r.seq) && seen.add(r.seq))
    .sort((a, b) => a.time - b.time || a.seq - b.seq);
}

function plot(box, list) {
  if (list.length === 0) {
    box.append(el('p', { class: 'muted', id: 'readings-empty' }, 'No readings yet.'));
    return null;
  }
  const data = [list.map((r) => r.time), list.map((r) => r.energy_wh),
    list.map((r) => r.balance_milli / 1000)];
  const width = Math.max(320, Math.min(1200, box.clientWidth || 900));
  const lo = data[0][0];
  const hi = data[0][data[0].length - 1];
  const pad = hi - lo < 60 ? 30 : 0;
  const u = new uPlot({
    width, height: 300, title: 'Readings',
    series: [{}, { label: 'Energy (Wh)', stroke: '#1f6feb', width: 2, scale: 'wh' },
      { label: 'Balance', stroke: '#1a7f37', width: 1.5, scale: 'bal' }],
    // readings taken within a minute still get a readable time axis
    scales: { x: { time: true, auto: false, range: [lo - pad, hi + pad] } },
    axes: [{}, { scale: 'wh', label: 'Wh' }, { scale: 'bal', side: 1, label: 'Balance', size: 80,
      grid: { show: false } }],
  }, data, box);
  box.dataset.points = String(list.length);
  return u;
}

export async function meterView(root, [id]) {
  root.append(el('p', null, el('a', { href: '#/fleet' }, '‹ Fleet')));
  const m = await api('GET', `/meters/${encodeURIComponent(id)}`);
  root.append(el('h1', null, `Meter ${m.id}`), el('div', { class: 'card' }, facts(m)));

  const range = el('select', { id: 'readings-range', 'aria-label': 'Readings of the last' },
    RANGES.map(([label, secs]) => el('option', { value: secs }, `last ${label}`)));
  range.value = String(7 * 86400);
  const chart = el('div', { id: 'readings-plot', class: 'card' });
  root.append(el('div', { class: 'toolbar' }, el('h2', null, 'Readings'), range), chart);
  let u = null;
  const draw = async () => {
    if (u) u.destroy();
    u = null;
    while (chart.firstChild) chart.removeChild(chart.firstChild);
    const secs = Number(range.value);
    try {
      u = plot(chart, await readings(id, secs > 0 ? Math.max(0, Math.floor(Date.now() / 1000) - secs) : 0));
    } catch (e) {
      chart.append(errorBox(e));
    }
  };
  range.addEventListener('change', draw);
  await draw();

  root.append(el('h2', null, 'Events'));
  try {
    const ev = await api('GET', `/meters/${encodeURIComponent(id)}/events?limit=100`);
    const list = Array.isArray(ev && ev.events) ? ev.events : [];
    root.append(list.length === 0 ? el('p', { class: 'muted' }, 'No events.')
      : table(['Time', 'Source', 'Kind', 'Detail', 'Seq#'], list.map((e) => el('tr', null,
        el('td', null, when(e.time)), el('td', null, show(e.source)), el('td', null, show(e.kind)),
        el('td', null, show(e.detail)), el('td', { class: 'num' }, show(e.seq)))),
      { id: 'meter-events' }));
  } catch (e) {
    root.append(errorBox(e));
  }

  root.append(el('h2', null, 'Update history'));
  try {
    const up = await optional(`/meters/${encodeURIComponent(id)}/updates`);
    if (up === null) {
      root.append(el('p', { class: 'muted', id: 'meter-updates' },
        'This service keeps no update history (firmware updates not offered).'));
    } else {
      const list = Array.isArray(up.updates) ? up.updates : [];
      root.append(list.length === 0 ? el('p', { class: 'muted', id: 'meter-updates' }, 'No updates.')
        : table(['Time', 'Campaign', 'State', 'Result', 'Reason'], list.map((x) => el('tr', null,
          el('td', null, when(x.at)),
          el('td', null, has(x.campaign_id)
            ? el('a', { href: `#/campaigns/${Number(x.campaign_id)}` }, `#${x.campaign_id}`) : DASH),
          el('td', null, badge(x.state)), el('td', null, show(x.result)),
          el('td', null, show(x.reason)))), { id: 'meter-updates' }));
    }
  } catch (e) {
    root.append(errorBox(e));
  }

  root.append(el('h2', null, 'Certificate'),
    el('pre', { class: 'pem card', id: 'meter-cert' }, show(m.cert_pem)),
    el('p', { class: 'muted' }, 'Attestation key (IAK): ', show(m.iak_pub_hex)));
  return () => { if (u) u.destroy(); };
}
