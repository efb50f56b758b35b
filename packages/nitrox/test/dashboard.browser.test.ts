/**
 * The dashboard in a real browser: Debian's `chromium` (installed by scripts/setup.mjs; never a downloaded browser)
 * driven by playwright-core, headless and offline-minded (no QUIC, no background networking, a fresh profile). It
 * loads the dashboard of an in-process controller, sees the initial pool, then sees a Marathon scale-up appear
 * in the list of changes and the mapping's row, and writes a screenshot to test-artifacts/ (git-ignored).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { expect, it } from 'vitest';
import { dashboardWorld } from './dashboard-world.js';
import { waitFor } from './helpers.js';

const artifacts = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const flags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

it('shows a scale event live in Chromium and saves a screenshot', async () => {
  const world = await dashboardWorld();
  const profile = await mkdtemp(join(tmpdir(), 'nitrox-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false,
    args: flags,
    viewport: { width: 1366, height: 768 },
    timeout: 20_000,
  });
  try {
    world.runtime.start();
    await waitFor('the pool to converge', () => world.nitro.state.members('web').length === 2, 20_000);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${world.url}/`);
    await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    const row = page.locator('tr[data-mapping="web"]');
    await expect(row.locator('td').nth(2).textContent({ timeout: 10_000 })).resolves.toBe('2');

    const scaledAt = performance.now();
    world.marathon.apps.scale('/web', 5);
    const event = page.locator('#changes li[data-kind="converged"]', { hasText: 'web: 2 → 5 members (+3 −0)' });
    await event.waitFor({ timeout: 10_000 });
    const seenMs = performance.now() - scaledAt;
    await expect(row.locator('td').nth(2).textContent()).resolves.toBe('5');
    await expect(row.locator('td').nth(3).textContent()).resolves.toBe('5');
    await expect(row.locator('.added').textContent()).resolves.toBe('+3 added');
    await expect(page.locator('#leader').textContent()).resolves.toBe('this replica');
    await expect(page.locator('#sources tr th').first().textContent()).resolves.toBe('mesos');

    await mkdir(artifacts, { recursive: true });
    const shot = join(artifacts, 'dashboard.png');
    const png = await page.screenshot({ path: shot, fullPage: true });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // Informational: the scale-up's way from Marathon through the controller and the stream to the page.
    console.log(`dashboard: scale event shown ${Math.round(seenMs)} ms after the scale; screenshot ${shot}`);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
    await world.close();
  }
}, 30_000);
