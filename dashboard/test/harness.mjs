// SPDX-License-Identifier: Apache-2.0
// harness.mjs - what the dashboard's browser tests share: Debian's Chromium started headless
// through playwright-core (no browser download), numbered steps that print "ok"/"not ok",
// a screenshot per step in the artefact directory, and a page that fails the run on any
// script error or Content-Security-Policy violation.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`${k} is not set`);
  return v;
};

export async function launch() {
  return chromium.launch({
    executablePath: env('MS_CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export class Run {
  constructor(artefacts) {
    this.dir = artefacts;
    mkdirSync(artefacts, { recursive: true });
    this.n = 0;
    this.failed = 0;
    this.skipped = 0;
  }

  // A page whose script errors and CSP refusals are collected (and fail the step).
  watch(page) {
    page.problems = [];
    page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) {
        page.problems.push(`CSP: ${m.text()}`);
      }
    });
    return page;
  }

  async step(name, page, fn) {
    this.n += 1;
    const shot = join(this.dir, `${String(this.n).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
    try {
      await fn();
      if (page && page.problems.length > 0) throw new Error(page.problems.splice(0).join('; '));
      console.log(`ok ${this.n} - ${name}`);
    } catch (e) {
      this.failed += 1;
      console.log(`not ok ${this.n} - ${name}\n  # ${String(e && e.stack || e).split('\n').slice(0, 4).join('\n  # ')}`);
    }
    if (page) await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  }

  skip(name, why) {
    this.n += 1;
    this.skipped += 1;
    console.log(`ok ${this.n} - ${name} # SKIP ${why}`);
  }

  done() {
    console.log(`# ${this.n - this.failed - this.skipped} passed, ${this.failed} failed, ${this.skipped} skipped; screenshots in ${this.dir}`);
    return this.failed === 0 ? 0 : 1;
  }
}

export function expect(cond, what) {
  if (!cond) throw new Error(`expected: ${what}`);
}

export async function signIn(page, base, name, password) {
  await page.goto(`${base}/#/fleet`);
  await page.fill('#login input[name=name]', name);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#fleet-table');
}
