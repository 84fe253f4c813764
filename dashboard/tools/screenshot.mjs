// SPDX-License-Identifier: Apache-2.0
// screenshot.mjs URL NAME PASSWORD OUTDIR PAGE... - signs in to the dashboard at URL in headless
// Chromium and saves one full-page PNG per PAGE (a route such as fleet, meters/m-000003,
// campaigns/1) as OUTDIR/dashboard-<page>.png, printing each path. Used by scripts/demo.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { launch, signIn } from '../test/harness.mjs';

const [url, name, password, out, ...pages] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, url, name, password);
  for (const p of pages.length > 0 ? pages : ['fleet']) {
    await page.goto(`${url}/#/${p}`);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(300);
    const file = join(out, `dashboard-${p.replace(/[^a-z0-9-]+/gi, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(file);
  }
} finally {
  await browser.close();
}
