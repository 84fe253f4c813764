// SPDX-License-Identifier: Apache-2.0
// bench.mjs - the dashboard's first paint with a large fleet (bench/dashboard/run starts the
// service): for each run a fresh tab opens #/fleet with a signed-in session and the browser's
// own clocks give, from the start of navigation, first paint, first contentful paint, the
// first page of the fleet table rendered (rows in the DOM) and the whole registry read; then
// the time one search keystroke takes to filter all meters and draw the page. The first
// paint of a plain text file from the same service, in a fresh tab, is the browser's own
// floor on this machine. Prints median, min and max. Figures, not a test.
import { env, launch } from './harness.mjs';

const base = env('MS_URL');
const runs = Number(env('MS_RUNS', '7'));
const fleet = Number(env('MS_FLEET'));

const browser = await launch();
const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const r = await ctx.request.post(`${base}/api/v1/login`, {
  data: { name: env('MS_OP_NAME'), password: env('MS_OP_PASS') } });
const login = await r.json();
const seed = JSON.stringify({ name: env('MS_OP_NAME'), role: login.role, csrf: login.csrf,
  expires_at: login.expires_at });
await ctx.addInitScript((s) => sessionStorage.setItem('meterseal.session', s), seed);

const loadedRow = `all ${fleet} meters read (${1 + Math.ceil((fleet - 100) / 1000)} requests)`;
const rows = { 'baseline: first paint of a plain text file': [], 'first paint': [], 'first contentful paint': [], 'fleet table rendered (first 50 rows)': [],
  [loadedRow]: [], 'search keystroke over all meters': [] };
let bytes = 0;
for (let i = 0; i < runs; i++) {
  const blank = await ctx.newPage();
  await blank.goto(`${base}/vendor/uPlot.LICENSE.txt`);
  await blank.waitForFunction(() => performance.getEntriesByType('paint').length > 0);
  rows['baseline: first paint of a plain text file'].push(await blank.evaluate(
    () => performance.getEntriesByType('paint')[0].startTime));
  await blank.close();
  const page = await ctx.newPage();
  let apiBytes = 0;
  page.on('response', (res) => {
    if (res.url().includes('/api/v1/meters')) apiBytes += Number(res.headers()['content-length'] || 0);
  });
  await page.goto(`${base}/#/fleet`);
  await page.waitForFunction((n) => document.querySelector('#fleet-table')?.dataset.loaded === String(n),
    fleet, { timeout: 120000 });
  const t = await page.evaluate(() => {
    const paint = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
    const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
    return { fp: paint['first-paint'], fcp: paint['first-contentful-paint'],
      rendered: mark('meterseal:fleet-rendered'), loaded: mark('meterseal:fleet-loaded') };
  });
  const search = await page.evaluate(() => {
    const q = document.querySelector('#fleet-search');
    const t0 = performance.now();
    q.value = '0099';
    q.dispatchEvent(new Event('input'));
    const rowsNow = document.querySelectorAll('#fleet-table tbody tr').length;
    return [performance.now() - t0, rowsNow];
  });
  if (search[1] < 1) throw new Error('search found nothing');
  rows['first paint'].push(t.fp);
  rows['first contentful paint'].push(t.fcp);
  rows['fleet table rendered (first 50 rows)'].push(t.rendered);
  rows[loadedRow].push(t.loaded);
  rows['search keystroke over all meters'].push(search[0]);
  bytes = apiBytes;
  await page.close();
}
await browser.close();

const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const f = (v) => `${v.toFixed(1).padStart(8)} ms`;
console.log(`dashboard, ${fleet} meters in the registry, ${runs} runs (fresh tab each, signed in):`);
console.log(`  ${'measure'.padEnd(44)}   median        min        max`);
for (const [k, a] of Object.entries(rows)) {
  console.log(`  ${k.padEnd(44)} ${f(med(a))} ${f(Math.min(...a))} ${f(Math.max(...a))}`);
}
console.log(`  meter list JSON read by the page: ${(bytes / 1024).toFixed(0)} KiB`);
