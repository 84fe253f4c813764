// SPDX-License-Identifier: Apache-2.0
// campaigns.test.mjs - the campaign views against the service's own campaign API (no routing
// in the browser): an operator creates a campaign for part of the fleet from the repository's
// firmware (uploaded first when MS_FIRMWARE names an image), starts it with the button,
// watches the page follow it (waves, chart, meters), pauses and resumes it; a viewer gets no
// buttons and the service refuses the viewer's start (403) and a start without the CSRF
// token (403); the audit log lists the operator's actions; a campaign of the whole fleet shows
// its meters a page at a time, filtered by wave and state. dashboard.sh runs it only when
// the service answers GET /api/v1/campaigns. MS_CONTRACT_MOCK=1 runs it against the contract
// mock instead (contract-mock.mjs), to check this script itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Run, env, expect, launch, signIn } from './harness.mjs';
import { campaignMock } from './contract-mock.mjs';

const base = `${env('MS_URL')}/?poll=500`;
const run = new Run(env('MS_ARTEFACTS'));
const op = [env('MS_OP_NAME'), env('MS_OP_PASS')];
const viewer = [env('MS_VIEW_NAME'), env('MS_VIEW_PASS')];
const firmwareFile = process.env.MS_FIRMWARE || '';
const mocked = process.env.MS_CONTRACT_MOCK === '1';

const browser = await launch();
let campaign = null;
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  if (mocked) await campaignMock().install(ctx);
  const page = run.watch(await ctx.newPage());
  await signIn(page, base, ...op);

  await run.step('campaign list from the service', page, async () => {
    await page.goto(`${base}#/campaigns`);
    await page.waitForSelector('#campaigns-table, #campaigns-empty');
    expect(await page.locator('#campaigns-unavailable').count() === 0, 'the campaign API answers');
  });

  let fw = { firmware: [] };
  await run.step('the firmware repository answers', page, async () => {
    fw = await page.evaluate(() => window.meterseal.api('GET', '/firmware'));
  });
  if (fw.firmware.length === 0 && !firmwareFile) {
    run.skip('create, start, watch, pause a campaign',
      'no firmware in the repository and MS_FIRMWARE names no signed image');
  } else {
    await run.step('create a campaign from the firmware repository', page, async () => {
      await page.goto(`${base}#/campaigns/new`);
      await page.waitForSelector('#new-campaign');
      if (firmwareFile) {
        await page.setInputFiles('#new-image', { name: 'update.img', mimeType: 'application/octet-stream',
          buffer: readFileSync(firmwareFile) });
        await page.waitForSelector('#new-uploaded:has-text("Uploaded")');
      }
      await page.fill('#new-name', 'dashboard test');
      await page.selectOption('#new-target-kind', 'meters');
      await page.fill('#new-target', 'm-000001, m-000002, m-000003, m-000004');
      await page.fill('#new-waves', '25, 100');
      await page.click('#new-campaign button[type=submit]');
      await page.waitForSelector('#campaign-summary[data-state=created]');
      campaign = Number(/#\/campaigns\/(\d+)/.exec(page.url())[1]);
    });

    await run.step('start it, watch it, pause and resume it', page, async () => {
      await page.click('#campaign-start');
      await page.waitForSelector('#campaign-summary[data-state=running], #campaign-summary[data-state=finished]');
      await page.waitForFunction(() => Number(document.querySelector('#campaign-chart')?.dataset.samples) >= 3);
      await page.waitForSelector('#campaign-waves .wave[data-wave="0"]');
      await page.waitForSelector('#campaign-meters-table tr[data-meter]');
      await page.screenshot({ path: join(run.dir, 'campaign-running.png'), fullPage: true });
      if (await page.locator('#campaign-pause').count() > 0) {
        await page.click('#campaign-pause');
        await page.waitForSelector('#campaign-summary[data-state=paused]');
        await page.click('#campaign-resume');
        await page.waitForSelector('#campaign-summary[data-state=running], #campaign-summary[data-state=finished]');
      }
    });

    await run.step('a start without the CSRF token is refused', page, async () => {
      const s = await page.evaluate(async (id) => (await fetch(`/api/v1/campaigns/${id}/start`,
        { method: 'POST' })).status, campaign);
      expect(s === 403, `403 without X-CSRF-Token, got ${s}`);
    });

    await run.step('the audit log lists the actions', page, async () => {
      await page.goto(`${base}#/audit`);
      await page.waitForSelector('#audit-table');
      const text = await page.textContent('#audit-table');
      expect(/start/i.test(text) && /pause/i.test(text), 'start and pause audited');
      expect(text.includes(op[0]), 'who is recorded');
    });

    await run.step('a campaign of the whole fleet: its meters a page at a time', page, async () => {
      const fleet = Number(env('MS_FLEET'));
      expect(fleet > 100 && fleet <= 200, `a fleet of 101..200 meters for two pages, got ${fleet}`);
      const id = await page.evaluate(async () => {
        const { api } = window.meterseal;
        const sha = (await api('GET', '/firmware?limit=1')).firmware[0].sha256;
        return (await api('POST', '/campaigns', { name: 'whole fleet', firmware_sha256: sha,
          target: { all: true }, waves: [25, 100] })).id;
      });
      await page.goto(`${base}#/campaigns/${id}`);
      await page.waitForSelector('#campaign-meters-table[data-rows="100"]');
      expect(await page.isDisabled('#campaign-meters-prev'), 'no page before the first');
      // a double click moves one page: the second click comes before the page is drawn
      await page.dblclick('#campaign-meters-next');
      await page.waitForSelector(`#campaign-meters-table[data-rows="${fleet - 100}"]`);
      await page.waitForTimeout(500);
      expect((await page.textContent('#campaign-meters-range')) === `Meters 101–${fleet}`,
        `the range shown: ${await page.textContent('#campaign-meters-range')}`);
      expect(await page.isDisabled('#campaign-meters-next'), 'no page after the last');
      await page.click('#campaign-meters-prev');
      await page.waitForSelector('#campaign-meters-table[data-rows="100"]');
      expect((await page.textContent('#campaign-meters-range')) === 'Meters 1–100', 'back on the first');
      await page.selectOption('#campaign-meters-wave', '0');
      await page.waitForSelector(`#campaign-meters-table[data-rows="${Math.ceil(fleet / 4)}"]`);
      await page.selectOption('#campaign-meters-state', 'success');
      await page.waitForSelector('#campaign-meters-none');
    });
  }
  await ctx.close();

  const vctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  if (mocked) await campaignMock({ viewer: true }).install(vctx);
  const vpage = run.watch(await vctx.newPage());
  await run.step('a viewer: no buttons, and the service refuses a start (403)', vpage, async () => {
    await signIn(vpage, base, ...viewer);
    await vpage.goto(`${base}#/campaigns`);
    await vpage.waitForSelector('#campaigns-table, #campaigns-empty');
    expect(await vpage.locator('#campaign-new').count() === 0, 'no new-campaign link');
    const id = campaign ?? 1;
    if (campaign !== null) {
      await vpage.goto(`${base}#/campaigns/${id}`);
      await vpage.waitForSelector('#campaign-summary');
      expect(await vpage.locator('#campaign-actions button').count() === 0, 'no action buttons');
    }
    const s = await vpage.evaluate(async (cid) => {
      const { csrf } = JSON.parse(sessionStorage.getItem('meterseal.session'));
      return (await fetch(`/api/v1/campaigns/${cid}/start`, { method: 'POST',
        headers: { 'X-CSRF-Token': csrf } })).status;
    }, id);
    // with no campaign made here, a 404 for campaign 1 is also a refusal
    expect(s === 403 || (campaign === null && s === 404), `the viewer's start answered ${s}, not 403`);
  });
  await vctx.close();
} finally {
  await browser.close();
}
process.exit(run.done());
