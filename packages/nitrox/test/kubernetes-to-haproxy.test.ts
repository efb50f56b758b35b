/**
 * The data path of the HAProxy sink end to end (scenario in haproxy-data-path.ts): Kubernetes simulator →
 * nitrox runtime → `haproxy` plugin → real master-worker HAProxy → real Node backends, with a client loop
 * running throughout. No request fails while the pool scales 2 → 10 → 3 or while every backend is replaced;
 * after the reload, which loses every dynamic server, the sink puts the pool back by itself and only the
 * requests of that window fail, each with HAProxy's own 503. Timings are reported here and measured in
 * bench/haproxy.ts.
 */
import { expect, it } from 'vitest';
import { runHaproxyDataPath } from './haproxy-data-path.js';

it.each(['dynamic', 'slots'] as const)('%s mode: every request flows through scaling and a rolling replacement; a reload is repaired', async (mode) => {
  const report = await runHaproxyDataPath({ mode, debounceMs: 20, concurrency: 4, restartCheckIntervalMs: 50 });
  console.info(`haproxy data path: ${JSON.stringify(report)}`);
  const byPhase = Object.fromEntries(report.phases.map((p) => [p.phase, p]));
  for (const phase of ['warm-up (2 members)', 'scale 2 → 10', 'scale 10 → 3', 'rolling replacement of 3']) {
    expect(byPhase[phase]?.requests, phase).toBeGreaterThanOrEqual(200);
    expect(byPhase[phase]?.failed, phase).toBe(0);
  }
  // 8 members added by the scale-up and 3 by the rolling replacement, each served through HAProxy.
  expect(report.serveLatencyMs).toHaveLength(11);
  const reload = byPhase.reload;
  expect(Object.keys(reload?.reasons ?? {}).filter((r) => r !== 'status 503')).toEqual([]);
  expect(reload?.requests).toBeGreaterThan(reload?.failed ?? 0);
}, 120_000);
