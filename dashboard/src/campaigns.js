// SPDX-License-Identifier: Apache-2.0
// campaigns.js - firmware campaigns (docs/ota.md): the list; one campaign with its progress
// per wave (stacked bars) and over time (a chart fed by polling), its meters, and start /
// pause / resume / cancel for operators; a new campaign from an uploaded firmware image.
// Buttons are only shown to operators; the service refuses the actions to viewers anyway.
import uPlot from './vendor/uPlot.esm.js';
import { ApiError, allPages, api, isOperator, optional } from './api.js';
import { DASH, badge, clear, el, errorBox, has, percent, show, table, when } from './util.js';

const POLL_MS = Number(new URLSearchParams(location.search).get('poll')) || 2000;
const ACTIONS = {
  created: ['start', 'cancel'],
  running: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
  halted: ['resume', 'cancel'],
};
const ACTIVE = ['queued', 'downloading', 'downloaded', 'verifying', 'installing'];
const STATES = [...ACTIVE, 'success', 'failed', 'reverted'];
const METERS_PAGE = 100;   // rows of a campaign's meter table; the API gives them by meter id

function notAvailable(root) {
  root.append(el('p', { class: 'notice', id: 'campaigns-unavailable' },
    'This service offers no firmware campaigns (not built in, or no vendor key configured).'));
}

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

// A meter's progress is the bytes it has downloaded (docs/ota.md section 5).
function bytes(v) {
  const n = num(v);
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

function progressBar(parts, total) {
  const bar = el('div', { class: 'bar', role: 'img' });
  const label = [];
  for (const [cls, n, name] of parts) {
    if (n <= 0 || total <= 0) continue;
    const s = el('span', { class: cls, title: `${name}: ${n}` });
    s.style.width = `${(100 * n) / total}%`;
    bar.append(s);
    label.push(`${name} ${n}`);
  }
  bar.setAttribute('aria-label', label.join(', ') || 'nothing yet');
  return bar;
}

function campaignBar(c) {
  const total = num(c.total);
  return progressBar([['s-success', num(c.success), 'success'], ['s-failed', num(c.failed), 'failed'],
    ['s-reverted', num(c.reverted), 'reverted'], ['s-active', num(c.in_progress), 'in progress']],
  total);
}

export async function campaignListView(root) {
  const head = el('div', { class: 'toolbar' }, el('h1', null, 'Campaigns'));
  if (isOperator()) {
    head.append(el('a', { href: '#/campaigns/new', id: 'campaign-new' }, 'New campaign'));
  }
  root.append(head);
  const list = await allPages('/campaigns', 'campaigns', (c) => c.id);
  if (list === null) {
    notAvailable(root);
    return null;
  }
  if (list.length === 0) {
    root.append(el('p', { class: 'muted', id: 'campaigns-empty' }, 'No campaigns yet.'));
    return null;
  }
  root.append(table(['#', 'Name', 'State', 'Version', 'Progress', 'Done#', 'Failed#',
    'Created by', 'Created'], list.map((c) => el('tr', { dataset: { campaign: c.id } },
    el('td', null, show(c.id)),
    el('td', null, el('a', { href: `#/campaigns/${Number(c.id)}` }, show(c.name))),
    el('td', null, badge(c.state)), el('td', null, show(c.version)),
    el('td', null, campaignBar(c)),
    el('td', { class: 'num' }, `${num(c.success)} / ${num(c.total)}`),
    el('td', { class: 'num' }, num(c.failed) + num(c.reverted)),
    el('td', null, show(c.created_by)), el('td', null, when(c.created_at)))),
  { id: 'campaigns-table' }));
  return null;
}

function waveRow(w) {
  const total = num(w.total);
  const active = ACTIVE.reduce((a, k) => a + num(w[k]), 0);
  return el('div', { class: 'wave', dataset: { wave: w.index } },
    el('span', null, `Wave ${num(w.index) + 1} · ${show(w.percent)} %`),
    progressBar([['s-success', num(w.success), 'success'], ['s-failed', num(w.failed), 'failed'],
      ['s-reverted', num(w.reverted), 'reverted'], ['s-active', active - num(w.queued), 'updating'],
      ['s-queued', num(w.queued), 'queued']], total),
    el('span', { class: 'muted' }, badge(w.state),
      ` ${num(w.success)}/${total} ok, ${num(w.failed)} failed, ${num(w.reverted)} reverted`));
}

export async function campaignView(root, [id]) {
  root.append(el('p', null, el('a', { href: '#/campaigns' }, '‹ Campaigns')));
  const title = el('h1', { id: 'campaign-title' }, `Campaign #${id}`);
  const summary = el('dl', { class: 'grid card', id: 'campaign-summary' });
  const actions = el('div', { class: 'actions', id: 'campaign-actions' });
  const msg = el('div', { id: 'campaign-message' });
  const waves = el('div', { class: 'waves card', id: 'campaign-waves' });
  const chartBox = el('div', { class: 'card', id: 'campaign-chart' });
  const metersBox = el('div', { id: 'campaign-meters' });
  root.append(title, summary, actions, msg, el('h2', null, 'Waves'), waves,
    el('h2', null, 'Progress'), chartBox, el('h2', null, 'Meters'), metersBox);

  const series = [[], [], [], [], []];   // time, success, failed+reverted, in progress, total
  let chart = null;
  let timer = null;
  let stopped = false;
  let busy = false;

  function chartUpdate(c) {
    series[0].push(Date.now() / 1000);
    series[1].push(num(c.success));
    series[2].push(num(c.failed) + num(c.reverted));
    series[3].push(num(c.in_progress));
    series[4].push(num(c.total));
    if (!chart) {
      chart = new uPlot({
        width: Math.max(320, Math.min(1200, chartBox.clientWidth || 900)), height: 240,
        series: [{}, { label: 'Success', stroke: '#1a7f37', width: 2 },
          { label: 'Failed / reverted', stroke: '#cf222e', width: 2 },
          { label: 'In progress', stroke: '#54aeff', width: 2 },
          { label: 'Targeted', stroke: '#8c959f', dash: [4, 4] }],
        scales: { x: { time: true, auto: false }, y: { range: (u, lo, hi) => [0, Math.max(1, hi)] } },
      }, series, chartBox);
    } else {
      chart.setData(series);
    }
    // the first minute is drawn as a minute, not as the years uPlot picks for one sample
    const t0 = series[0][0];
    chart.setScale('x', { min: t0, max: Math.max(series[0][series[0].length - 1], t0 + 60) });
    chartBox.dataset.samples = String(series[0].length);
  }

  async function act(action) {
    clear(msg);
    for (const b of actions.querySelectorAll('button')) b.disabled = true;
    try {
      await api('POST', `/campaigns/${id}/${action}`);
    } catch (e) {
      msg.append(errorBox(e instanceof ApiError && e.status === 409
        ? `Not possible in this state: ${e.message}` : e));
    }
    await refresh();
  }

  function drawActions(c) {
    clear(actions);
    if (!isOperator()) return;
    for (const a of ACTIONS[c.state] || []) {
      actions.append(el('button', { type: 'button', id: `campaign-${a}`,
        class: a === 'cancel' ? 'danger' : 'primary', onclick: () => act(a) },
      a[0].toUpperCase() + a.slice(1)));
    }
  }

  // The meters come a page at a time (?after= is the last meter id of the page before), with
  // the state and wave filters applied by the service; one row more than a page is asked
  // for, to know whether there is a next page.
  const stateSel = el('select', { id: 'campaign-meters-state', 'aria-label': 'Update state' },
    el('option', { value: '' }, 'Any state'), ...STATES.map((s) => el('option', { value: s }, s)));
  const waveSel = el('select', { id: 'campaign-meters-wave', 'aria-label': 'Wave' },
    el('option', { value: '' }, 'Any wave'));
  const prev = el('button', { type: 'button', id: 'campaign-meters-prev' }, '‹ Previous');
  const next = el('button', { type: 'button', id: 'campaign-meters-next' }, 'Next ›');
  const range = el('span', { id: 'campaign-meters-range' });
  const metersTable = el('div');
  metersBox.append(el('div', { class: 'toolbar' }, stateSel, waveSel), metersTable,
    el('div', { class: 'pager' }, prev, range, next));
  let cursors = [null];   // the ?after= of each page seen so far; the last is the one shown
  let asked = 0;          // a poll and a click may overlap: only the latest answer is drawn
  let wanted = null;      // the page a click or a filter asked for, until it is drawn

  function waveOptions(list) {
    if (waveSel.options.length === list.length + 1) return;
    const cur = waveSel.value;
    clear(waveSel).append(el('option', { value: '' }, 'Any wave'),
      ...list.map((w, i) => el('option', { value: i }, `Wave ${i + 1}`)));
    waveSel.value = cur;
  }

  // Draws the page that `want` (a list of cursors) ends on; `want` becomes the page shown
  // only once its answer is drawn, so a click before then cannot stack a stale cursor.
  async function drawMeters(want = wanted || cursors) {
    const after = want[want.length - 1];
    const q = new URLSearchParams({ limit: String(METERS_PAGE + 1) });
    if (after !== null) q.set('after', after);
    if (stateSel.value) q.set('state', stateSel.value);
    if (waveSel.value) q.set('wave', waveSel.value);
    const mine = ++asked;
    const r = await optional(`/campaigns/${id}/meters?${q}`);
    if (stopped || mine !== asked) return;
    cursors = want;
    wanted = null;
    const got = r && Array.isArray(r.meters) ? r.meters : [];
    const list = got.slice(0, METERS_PAGE);
    const first = (cursors.length - 1) * METERS_PAGE;
    clear(metersTable).append(list.length === 0
      ? el('p', { class: 'muted', id: 'campaign-meters-none' },
        cursors.length > 1 || stateSel.value || waveSel.value ? 'No meter matches.' : 'No meters yet.')
      : table(['Meter', 'Wave#', 'State', 'Progress#', 'Result', 'Reason', 'Retries#', 'Updated'],
        list.map((m) => el('tr', { dataset: { meter: m.meter_id } },
          el('td', null, has(m.meter_id)
            ? el('a', { href: `#/meters/${encodeURIComponent(m.meter_id)}` }, m.meter_id) : DASH),
          el('td', { class: 'num' }, has(m.wave) ? num(m.wave) + 1 : DASH),
          el('td', null, badge(m.state)),
          el('td', { class: 'num' }, has(m.progress) ? bytes(m.progress) : DASH),
          el('td', null, show(m.result)), el('td', null, show(m.reason)),
          el('td', { class: 'num' }, show(m.retries)), el('td', null, when(m.updated_at)))),
        { id: 'campaign-meters-table', dataset: { rows: list.length } }));
    range.textContent = list.length === 0 ? '' : `Meters ${first + 1}–${first + list.length}`;
    prev.disabled = cursors.length === 1;
    next.disabled = got.length <= METERS_PAGE;
    next.dataset.after = list.length > 0 ? String(list[list.length - 1].meter_id) : '';
  }

  // Prev, Next and a filter wait for their page: the buttons are off until it is drawn.
  function go(want) {
    wanted = want;   // a poll meanwhile asks for this page too, not the one it replaces
    prev.disabled = true;
    next.disabled = true;
    drawMeters(want).catch((e) => { if (!stopped) clear(msg).append(errorBox(e)); });
  }
  for (const s of [stateSel, waveSel]) s.addEventListener('change', () => go([null]));
  prev.addEventListener('click', () => { if (cursors.length > 1) go(cursors.slice(0, -1)); });
  next.addEventListener('click', () => {
    if (next.dataset.after) go([...cursors, next.dataset.after]);
  });

  async function refresh() {
    if (busy || stopped) return;
    busy = true;
    try {
      const c = await api('GET', `/campaigns/${id}`);
      if (stopped) return;
      title.textContent = `Campaign #${show(c.id)} · ${show(c.name)}`;
      clear(summary);
      const add = (k, v) => summary.append(el('div', null, el('dt', null, k), el('dd', null, v)));
      add('State', badge(c.state));
      add('Firmware', `${show(c.version)} (${has(c.firmware_sha256) ? String(c.firmware_sha256).slice(0, 16) : DASH}…)`);
      add('Progress', `${num(c.success)} of ${num(c.total)} (${percent(num(c.success), num(c.total))})`);
      add('Failed / reverted', `${num(c.failed)} / ${num(c.reverted)}`);
      add('In progress', String(num(c.in_progress)));
      add('Created', `${when(c.created_at)} by ${show(c.created_by)}`);
      summary.dataset.state = String(c.state);
      drawActions(c);
      const ws = Array.isArray(c.waves) ? c.waves : [];
      clear(waves).append(...ws.map(waveRow));
      waveOptions(ws);
      chartUpdate(c);
      await drawMeters();
    } catch (e) {
      clear(msg).append(errorBox(e));
    } finally {
      busy = false;
    }
  }

  await refresh();
  timer = setInterval(refresh, POLL_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
    if (chart) chart.destroy();
  };
}

function parseWaves(text) {
  const w = text.split(',').map((s) => Number(s.trim()));
  if (w.length === 0 || w.some((n) => !Number.isFinite(n) || n <= 0 || n > 100)) {
    throw new Error('Waves: percentages 1..100 separated by commas, e.g. 1, 10, 100');
  }
  return w;
}

export async function campaignNewView(root) {
  root.append(el('p', null, el('a', { href: '#/campaigns' }, '‹ Campaigns')),
    el('h1', null, 'New campaign'));
  if (!isOperator()) {
    root.append(el('p', { class: 'notice' }, 'Only operators create campaigns.'));
    return null;
  }
  const fw = await allPages('/firmware', 'firmware', (f) => f.sha256);
  if (fw === null) {
    notAvailable(root);
    return null;
  }
  const msg = el('div', { id: 'new-message' });
  const image = el('input', { type: 'file', id: 'new-image', 'aria-label': 'Firmware image' });
  const uploaded = el('p', { class: 'muted', id: 'new-uploaded' });
  const firmware = el('select', { id: 'new-firmware', name: 'firmware', required: true });
  const fillFirmware = (list, pick) => {
    clear(firmware);
    for (const f of list) {
      firmware.append(el('option', { value: f.sha256 },
        `${show(f.version)} · ${String(f.sha256 || '').slice(0, 16)}… · ${show(f.size)} bytes`));
    }
    if (pick) firmware.value = pick;
  };
  fillFirmware(fw);
  image.addEventListener('change', async () => {
    clear(msg);
    const f = image.files && image.files[0];
    if (!f) return;
    try {
      const r = await api('POST', '/firmware', await f.arrayBuffer());
      uploaded.textContent = `Uploaded ${show(r.version)} (${show(r.sha256)}), security counter ${show(r.security_counter)}.`;
      fillFirmware(await allPages('/firmware', 'firmware', (f) => f.sha256) || [], r.sha256);
    } catch (e) {
      msg.append(errorBox(`Upload refused: ${e.message}`));
    }
  });
  const name = el('input', { id: 'new-name', name: 'name', required: true, maxlength: 64 });
  const kind = el('select', { id: 'new-target-kind' }, el('option', { value: 'all' }, 'All meters'),
    el('option', { value: 'meters' }, 'These meters'), el('option', { value: 'group' }, 'A group'),
    el('option', { value: 'version' }, 'Meters on version'));
  const target = el('input', { id: 'new-target', placeholder: 'm-000001, m-000002 / group / 1.2.3',
    disabled: true });
  kind.addEventListener('change', () => { target.disabled = kind.value === 'all'; });
  const waves = el('input', { id: 'new-waves', value: '1, 10, 100' });
  const ok = el('input', { id: 'new-success', type: 'number', min: 0, max: 1, step: 0.05, value: 0.9 });
  const bad = el('input', { id: 'new-failure', type: 'number', min: 0, max: 1, step: 0.05, value: 0.2 });
  const retries = el('input', { id: 'new-retries', type: 'number', min: 0, max: 10, value: 3 });
  const form = el('form', { class: 'stack card', id: 'new-campaign' },
    el('label', null, 'Upload a vendor-signed image (meterseal sign, with --encrypt or without)', image), uploaded,
    el('label', null, 'Firmware', firmware),
    el('label', null, 'Name', name),
    el('label', null, 'Target', kind, target),
    el('label', null, 'Waves (% of the target, cumulative)', waves),
    el('label', null, 'Success threshold (a wave must reach it before the next starts)', ok),
    el('label', null, 'Failure threshold (the campaign halts past it)', bad),
    el('label', null, 'Retries per meter', retries),
    el('button', { class: 'primary', type: 'submit' }, 'Create campaign'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(msg);
    try {
      const t = target.value.trim();
      const tgt = kind.value === 'all' ? { all: true }
        : kind.value === 'meters' ? { meters: t.split(/[\s,]+/).filter(Boolean) }
          : { [kind.value]: t };
      const r = await api('POST', '/campaigns', {
        name: name.value.trim(), firmware_sha256: firmware.value, target: tgt,
        waves: parseWaves(waves.value), success_threshold: Number(ok.value),
        failure_threshold: Number(bad.value), max_retries: Number(retries.value),
      });
      location.hash = `#/campaigns/${Number(r.id)}`;
    } catch (e) {
      msg.append(errorBox(e));
    }
  });
  root.append(form);
  return null;
}
