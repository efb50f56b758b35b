/**
 * The data path of the HAProxy sink end to end (scenario in haproxy-data-path.ts): Kubernetes simulator →
 * nitrox runtime → `haproxy` plugin → real master-worker HAProxy → real Node backends, with a client loop
 * running throughout. No request fails while the pool scales 2 → 10 → 3 or while every backend is replaced.
 * A reload loses every dynamic server and empties the slots: the sink puts the pool back by itself and only the
 * requests of that window fail, each with HAProxy's own 503 — except in slot mode with the sink's server-state
 * file, where the new worker starts with the pool and no request fails at all. Timings are reported here and measured in
 * bench/haproxy.ts.
 */
import { expect, it } from 'vitest';
import { runHaproxyDataPath } from './haproxy-data-path.js';

const cases = [
  { mode: 'dynamic', stateFile: false, name: 'dynamic mode: a reload is repaired by the re-apply (a 503 window)' },
  { mode: 'slots', stateFile: false, name: 'slot mode: a reload is repaired by the re-apply (a 503 window)' },
  { mode: 'slots', stateFile: true, name: 'slot mode with the state file: not one request fails across the reload' },
] as const;

it.each(cases)('$name; every request flows through scaling and a rolling replacement', async ({ mode, stateFile }) => {
  const report = await runHaproxyDataPath({ mode, stateFile, debounceMs: 20, concurrency: 4, restartCheckIntervalMs: 50 });
  console.info(`haproxy data path: ${JSON.stringify(report)}`);
  const byPhase = Object.fromEntries(report.phases.map((p) => [p.phase, p]));
  for (const phase of ['warm-up (2 members)', 'scale 2 → 10', 'scale 10 → 3', 'rolling replacement of 3']) {
    expect(byPhase[phase]?.requests, phase).toBeGreaterThanOrEqual(200);
    expect(byPhase[phase]?.failed, phase).toBe(0);
  }
  // 8 members added by the scale-up and 3 by the rolling replacement, each served through HAProxy.
  expect(report.serveLatencyMs).toHaveLength(11);
  // The reload is on the runtime's /metrics (noticed by the sink), and so are the state file's writes.
  expect(report.metrics.peerRestarts).toBeGreaterThanOrEqual(1);
  expect(report.metrics.backgroundErrors).toBe(0);
  if (stateFile) expect(report.metrics.stateWrites).toBeGreaterThan(0);
  else expect(report.metrics.stateWrites).toBe(0);
  const reload = byPhase.reload;
  expect(reload?.requests).toBeGreaterThanOrEqual(200);
  if (stateFile) {
    // The new worker loads the members from the sink's state file before it takes traffic.
    expect(reload?.failed, JSON.stringify(reload?.reasons)).toBe(0);
    expect(report.failed).toBe(0);
  } else {
    // HAProxy 2.6 drops dynamic servers and empties slots on reload: only HAProxy's own 503s, until the re-apply.
    expect(Object.keys(reload?.reasons ?? {}).filter((r) => r !== 'status 503')).toEqual([]);
    expect(reload?.requests).toBeGreaterThan(reload?.failed ?? 0);
  }
}, 120_000);
