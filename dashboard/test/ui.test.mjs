// SPDX-License-Identifier: Apache-2.0
// ui.test.mjs - the dashboard in headless Chromium against a running meterseal-cloud
// (started by dashboard.sh): sign-in and its cookie, the fleet with search and paging, one
// meter with its readings plot, events and certificate, CSRF refusal, the security headers,
// sign-out, the viewer's narrower page; then the campaign views against the API contract
// (contract-mock.mjs): start a campaign, watch it progress, pause it, filter its meters (the
// service filters: state, wave, page size asked for), create one from an
// uploaded image, the audit log; a viewer sees no action buttons.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Run, env, expect, launch, signIn } from './harness.mjs';
import { campaignMock } from './contract-mock.mjs';

const base = env('MS_URL');
const run = new Run(env('MS_ARTEFACTS'));
const op = [env('MS_OP_NAME'), env('MS_OP_PASS')];
const viewer = [env('MS_VIEW_NAME'), env('MS_VIEW_PASS')];
const fleetSize = Number(env('MS_FLEET'));
const plotted = env('MS_METER');
const readings = Number(env('MS_READINGS'));

const browser = await launch();
try {
  // ---- operator, real service -----------------------------------------------------------------
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = run.watch(await ctx.newPage());

  await run.step('sign-in page, wrong password refused', page, async () => {
    const res = await page.goto(`${base}/`);
    const h = res.headers();
    expect(/default-src 'self'/.test(h['content-security-policy'] || ''), `CSP header, got ${h['content-security-policy']}`);
    expect(h['x-frame-options'] === 'DENY', 'X-Frame-Options DENY');
    expect(h['x-content-type-options'] === 'nosniff', 'nosniff');
    await page.fill('#login input[name=name]', op[0]);
    await page.fill('#login input[name=password]', 'not-the-password');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#login .error:has-text("Wrong name or password")');
  });

  await run.step('operator signs in and sees the fleet', page, async () => {
    await signIn(page, base, ...op);
    await page.waitForSelector(`#fleet-status:has-text("${fleetSize} meters")`);
    expect(await page.locator('#fleet-table tbody tr').count() === Math.min(50, fleetSize), '50 rows on page 1');
    const cookies = await ctx.cookies();
    const c = cookies.find((x) => x.name === 'ms_session');
    expect(c && c.httpOnly && c.secure && c.sameSite === 'Strict', `HttpOnly, Secure, SameSite=Strict cookie, got ${JSON.stringify(c)}`);
    expect(!(await page.evaluate(() => document.cookie)).includes('ms_session'), 'cookie hidden from scripts');
    expect(await page.isHidden('#nav [data-nav=audit]') === false, 'operator sees the audit log link');
  });

  await run.step('fleet search and paging', page, async () => {
    await page.click('#fleet-next');
    await page.waitForSelector('#fleet-page:has-text("Page 2 of")');
    const first = await page.locator('#fleet-table tbody tr').first().getAttribute('data-meter');
    expect(first === 'm-000051', `page 2 starts with m-000051, got ${first}`);
    await page.fill('#fleet-search', plotted);
    await page.waitForSelector('#fleet-page:has-text("1 of")');
    expect(await page.locator('#fleet-table tbody tr').count() === 1, 'one match');
    await page.fill('#fleet-search', '');
    await page.selectOption('#fleet-online', 'offline');
    await page.waitForFunction(() => /Page 1 of/.test(document.querySelector('#fleet-page').textContent));
    const bad = await page.evaluate(() => [...document.querySelectorAll('#fleet-table tbody tr[data-meter]')]
      .filter((tr) => !tr.querySelector('.badge.offline')).length);
    expect(bad === 0, `the online filter shows only offline meters, ${bad} others shown`);
    await page.selectOption('#fleet-online', '');
  });

  await run.step('one meter: readings plot, events, certificate', page, async () => {
    await page.click(`#fleet-table a:has-text("${plotted}")`);
    await page.waitForSelector('#readings-plot canvas');
    const pts = Number(await page.getAttribute('#readings-plot', 'data-points'));
    expect(pts === readings, `${readings} readings plotted, got ${pts}`);
    await page.selectOption('#readings-range', '0');   // all of them: the same here
    await page.waitForFunction((n) => document.querySelector('#readings-plot canvas') &&
      document.querySelector('#readings-plot').dataset.points === String(n), readings);
    await page.waitForSelector('#meter-cert:has-text("BEGIN CERTIFICATE")');
    await page.waitForSelector('#meter-updates');
    const facts = await page.textContent('#meter-facts');
    expect(facts.includes(plotted), 'meter id shown');
  });

  await run.step('a request without the CSRF token is refused', page, async () => {
    const r = await page.evaluate(async () => {
      const without = await fetch('/api/v1/provision/nonce', { method: 'POST', body: '{}',
        headers: { 'Content-Type': 'application/json' } });
      const wrong = await fetch('/api/v1/provision/nonce', { method: 'POST', body: '{}',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': '00'.repeat(32) } });
      const { csrf } = JSON.parse(sessionStorage.getItem('meterseal.session'));
      const right = await fetch('/api/v1/provision/nonce', { method: 'POST', body: '{}',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf } });
      return [without.status, wrong.status, right.status];
    });
    expect(r[0] === 403 && r[1] === 403 && r[2] === 201, `403, 403, 201; got ${r}`);
  });

  await run.step('audit log page for operators', page, async () => {
    await page.goto(`${base}/#/audit`);
    await page.waitForSelector('#audit-table, #audit-empty, #audit-unavailable');
  });

  await run.step('sign-out ends the session', page, async () => {
    await page.goto(`${base}/#/fleet`);
    await page.waitForSelector('#fleet-table');
    await page.click('#signout');
    await page.waitForSelector('#login');
    const status = await page.evaluate(async () => (await fetch('/api/v1/meters')).status);
    expect(status === 401, `API answers 401 after sign-out, got ${status}`);
  });
  await ctx.close();

  // ---- viewer, real service -------------------------------------------------------------------
  const vctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const vpage = run.watch(await vctx.newPage());
  await run.step('viewer sees the fleet, no audit log, no operator actions', vpage, async () => {
    await signIn(vpage, base, ...viewer);
    await vpage.waitForSelector(`#fleet-status:has-text("${fleetSize} meters")`);
    expect(await vpage.isHidden('#nav [data-nav=audit]'), 'audit link hidden');
    const r = await vpage.evaluate(async () => {
      const { csrf } = JSON.parse(sessionStorage.getItem('meterseal.session'));
      return (await fetch('/api/v1/provision/nonce', { method: 'POST', body: '{}',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf } })).status;
    });
    expect(r === 403, `the service refuses an operator action to a viewer (403), got ${r}`);
  });
  await vctx.close();

  // ---- campaign views against the API contract --------------------------------------------------
  const mock = campaignMock();
  const cctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await mock.install(cctx);
  const cpage = run.watch(await cctx.newPage());
  await cpage.goto(`${base}/?poll=300#/fleet`);

  await run.step('contract: campaign list', cpage, async () => {
    await signIn(cpage, `${base}/?poll=300`, ...op);
    await cpage.goto(`${base}/?poll=300#/campaigns`);
    await cpage.waitForSelector('#campaigns-table tr[data-campaign="7"]');
    await cpage.waitForSelector('#campaign-new');
  });

  await run.step('contract: start a campaign, watch it progress, pause it', cpage, async () => {
    await cpage.click('#campaigns-table a:has-text("spring roll-out")');
    await cpage.waitForSelector('#campaign-summary[data-state=created]');
    await cpage.click('#campaign-start');
    await cpage.waitForSelector('#campaign-summary[data-state=running]');
    await cpage.waitForFunction(() => Number(document.querySelector('#campaign-chart')?.dataset.samples) >= 4);
    await cpage.waitForSelector('#campaign-waves .wave[data-wave="1"] .s-success');
    await cpage.waitForSelector('#campaign-meters-table td:has-text("image signature does not verify")');
    // progress is bytes downloaded (docs/ota.md), shown as a size, never as a percentage
    await cpage.waitForSelector('#campaign-meters-table td:has-text("256.0 KiB")');
    expect(!(await cpage.textContent('#campaign-meters-table')).includes('%'),
      'no percentage in the meters table');
    await cpage.screenshot({ path: join(run.dir, 'campaign-running.png'), fullPage: true });
    await cpage.click('#campaign-pause');
    await cpage.waitForSelector('#campaign-summary[data-state=paused]');
    await cpage.waitForSelector('#campaign-resume');
    const posts = mock.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    expect(posts.join() === '/campaigns/7/start,/campaigns/7/pause', `start then pause sent, got ${posts}`);
    expect(mock.requests.filter((r) => r.method === 'POST').every((r) => /^[0-9a-f]{64}$/.test(r.csrf)),
      'every action carried the CSRF token');
  });

  await run.step('contract: a refused action is shown (409)', cpage, async () => {
    mock.refuseNext = true;   // the service's state moved on meanwhile
    await cpage.click('#campaign-resume');
    await cpage.waitForSelector('#campaign-message .error');
  });

  await run.step('contract: a listing read whole stops on a service that does not page', cpage, async () => {
    // an older service: the same full page whatever ?after= says; then one that returns more
    // than was asked for. Each must end the walk after its first answers, never loop.
    const asked = await cpage.evaluate(async () => {
      const real = window.fetch;
      const out = [];
      for (const n of [1000, 1500]) {
        let calls = 0;
        window.fetch = async (url, init) => {
          // the page's own polls go to the service as before; only the walk is answered here
          if (!String(url).startsWith('/api/v1/walk?')) return real(url, init);
          calls += 1;
          if (calls > 5) throw new Error('still asking');
          const campaigns = Array.from({ length: n }, (_, i) => ({ id: i + 1 }));
          return new Response(JSON.stringify({ campaigns }), { status: 200 });
        };
        try {
          const list = await window.meterseal.allPages('/walk', 'campaigns', (c) => c.id);
          out.push(`${calls}:${list.length}`);
        } catch (e) {
          out.push(String(e));
        } finally {
          window.fetch = real;
        }
      }
      return out.join(' ');
    });
    expect(asked === '2:1000 1:1500', `requests:records per walk, got ${asked}`);
  });

  await run.step('contract: the meters table asks the service for a state, a wave, a page', cpage, async () => {
    await cpage.selectOption('#campaign-meters-state', 'failed');
    await cpage.waitForSelector('#campaign-meters-table[data-rows="1"]');
    expect((await cpage.textContent('#campaign-meters-table')).includes('image signature does not verify'),
      'the failed meter is the one listed');
    await cpage.selectOption('#campaign-meters-state', '');
    await cpage.selectOption('#campaign-meters-wave', '0');
    await cpage.waitForSelector('#campaign-meters-table[data-rows="2"]');
    const asked = mock.requests.filter((r) => r.path === '/campaigns/7/meters').map((r) => r.query);
    expect(asked.some((q) => /[?&]state=failed(&|$)/.test(q)) && asked.some((q) => /[?&]wave=0(&|$)/.test(q))
      && asked.every((q) => /[?&]limit=101(&|$)/.test(q)), `filters and page size sent: ${asked.slice(-3)}`);
  });

  await run.step('contract: create a campaign from an uploaded image', cpage, async () => {
    const img = join(run.dir, 'upload.bin');
    writeFileSync(img, Buffer.alloc(4096, 0x5a));
    await cpage.goto(`${base}/?poll=300#/campaigns/new`);
    await cpage.setInputFiles('#new-image', img);
    await cpage.waitForSelector('#new-uploaded:has-text("1.4.0")');
    await cpage.fill('#new-name', 'groups first');
    await cpage.selectOption('#new-target-kind', 'group');
    await cpage.fill('#new-target', 'north');
    await cpage.fill('#new-waves', '5, 50, 100');
    await cpage.click('#new-campaign button[type=submit]');
    await cpage.waitForSelector('#campaign-summary');
    const post = mock.requests.find((r) => r.method === 'POST' && r.path === '/campaigns');
    const body = JSON.parse(post.body);
    const keys = Object.keys(body).sort().join();
    expect(keys === 'failure_threshold,firmware_sha256,max_retries,name,success_threshold,target,waves', `contract keys, got ${keys}`);
    expect(body.firmware_sha256 === 'cd'.repeat(32) && body.target.group === 'north' &&
      body.waves.join() === '5,50,100' && body.success_threshold === 0.9, `body ${post.body}`);
    const up = mock.requests.find((r) => r.method === 'POST' && r.path === '/firmware');
    expect(up && up.csrf, 'upload carried the CSRF token');
  });

  await run.step('contract: audit log shows the actions', cpage, async () => {
    await cpage.goto(`${base}/?poll=300#/audit`);
    await cpage.waitForSelector('#audit-table td:has-text("campaign.start")');
  });
  await cctx.close();

  const vcctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const vmock = campaignMock();
  await vmock.install(vcctx);
  const vcpage = run.watch(await vcctx.newPage());
  await run.step('contract: a viewer gets no start button and no new-campaign link', vcpage, async () => {
    await signIn(vcpage, `${base}/?poll=300`, ...viewer);
    await vcpage.goto(`${base}/?poll=300#/campaigns`);
    await vcpage.waitForSelector('#campaigns-table');
    expect(await vcpage.locator('#campaign-new').count() === 0, 'no new-campaign link');
    await vcpage.goto(`${base}/?poll=300#/campaigns/7`);
    await vcpage.waitForSelector('#campaign-summary[data-state=created]');
    expect(await vcpage.locator('#campaign-actions button').count() === 0, 'no action buttons');
  });
  await vcctx.close();
} finally {
  await browser.close();
}
process.exit(run.done());
