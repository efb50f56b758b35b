/**
 * HAProxy sink against a real HAProxy 2.6 on loopback. Two parts:
 * 1. Transport: the Runtime API over one connection per command vs one pipelined `prompt` session — 500
 *    `set server … weight` commands sent one at a time and as one pipelined batch, and an apply that adds 10
 *    members then removes them (drain → maint → del), in both session modes.
 * 2. The data path (packages/nitrox/test/haproxy-data-path.ts): Kubernetes simulator → nitrox runtime → HAProxy
 *    → real backends under a client loop, scaling 2 → 10 → 3, a rolling replacement and one reload; failed
 *    requests per phase and the time from a source change to the new member's first request through HAProxy,
 *    for dynamic and slot mode and two restart-check intervals, 3 runs each; the reload's failure window (first to last
 *    failed request after the reload signal).
 * Targets: 0 failed requests outside the reload; serve latency ≤ debounce + 50 ms.
 * Run: `npx tsx bench/haproxy.ts` (needs the haproxy binary: `node scripts/setup.mjs`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (!process.execArgv.some((a) => a.includes('@nitrox/source'))) {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ['--conditions=@nitrox/source', '--import', 'tsx', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

const { HaproxySink, RuntimeApiClient } = await import('../packages/haproxy/src/index.js');
const { startHaproxy } = await import('../packages/haproxy/src/testing/index.js');
const { runHaproxyDataPath } = await import('../packages/nitrox/test/haproxy-data-path.js');

const ms = (t: number) => Math.round((performance.now() - t) * 100) / 100;

async function transport(session: 'persistent' | 'per-command') {
  const hp = await startHaproxy({ backends: [{ name: 'be', lines: ['server s1 127.0.0.1:9 weight 1'] }] });
  try {
    const client = new RuntimeApiClient({ socket: hp.socket, session });
    const n = 500;
    let t = performance.now();
    for (let i = 0; i < n; i++) await client.send([`set server be/s1 weight ${(i % 200) + 1}`]);
    const oneAtATimeMs = ms(t);
    t = performance.now();
    await client.send(Array.from({ length: n }, (_, i) => `set server be/s1 weight ${(i % 200) + 1}`));
    const batchMs = ms(t);
    const connections = client.stats.connections;
    await client.close();
    const sink = new HaproxySink({ client: { socket: hp.socket, session }, backend: 'be', allowEmpty: true, restartCheckIntervalMs: 0 });
    const members = Array.from({ length: 10 }, (_, i) => ({ address: `192.0.2.${i + 1}`, port: 80 }));
    t = performance.now();
    const add = await sink.apply('web', { name: 'web', members });
    const add10Ms = ms(t);
    t = performance.now();
    const noop = await sink.apply('web', { name: 'web', members });
    const noopMs = ms(t);
    t = performance.now();
    const remove = await sink.apply('web', { name: 'web', members: [] });
    const remove10Ms = ms(t);
    await sink.stop();
    return {
      session,
      commands: n,
      oneAtATimeMsPerCommand: Math.round((oneAtATimeMs / n) * 1000) / 1000,
      pipelinedBatchMs: session === 'persistent' ? batchMs : null,
      sequentialBatchMs: session === 'per-command' ? batchMs : null,
      connections,
      apply10: { addMs: add10Ms, writes: add.writes, noopMs, noopWrites: noop.writes, removeMs: remove10Ms, removeWrites: remove.writes },
    };
  } finally {
    await hp.stop();
  }
}

const transports = [await transport('per-command'), await transport('persistent')];
for (const t of transports) console.log('transport', JSON.stringify(t));

const debounceMs = 20;
const reps = 3;
const dataPath = [];
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
for (const [mode, restartCheckIntervalMs] of [['dynamic', 50], ['dynamic', 200], ['slots', 50]] as const) {
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await runHaproxyDataPath({ mode, debounceMs, concurrency: 4, restartCheckIntervalMs }));
  const lat = runs.flatMap((r) => r.serveLatencyMs).sort((a, b) => a - b);
  const inReload = runs.map((r) => r.phases.find((p) => p.phase === 'reload')?.failed ?? 0);
  const summary = {
    mode,
    restartCheckIntervalMs,
    runs: reps,
    requests: runs.reduce((s, r) => s + r.requests, 0),
    failedOutsideReload: runs.reduce((s, r) => s + r.phases.filter((p) => p.phase !== 'reload').reduce((t, p) => t + p.failed, 0), 0),
    failedInReload: { perRun: inReload, median: median(inReload) },
    reloadFailureWindowMs: { perRun: runs.map((r) => r.reloadFailureWindowMs), median: median(runs.map((r) => r.reloadFailureWindowMs)) },
    reloadRecoveryMs: { perRun: runs.map((r) => r.reloadRecoveryMs), median: median(runs.map((r) => r.reloadRecoveryMs)) },
    serveLatency: { members: lat.length, min: lat[0], median: median(lat), p90: lat[Math.floor(lat.length * 0.9)], max: lat[lat.length - 1] },
    phases: runs[0]?.phases,
  };
  console.log('data path', JSON.stringify({ ...summary, phases: undefined }));
  dataPath.push(summary);
}
const targets = {
  zeroFailedOutsideReload: dataPath.every((d) => d.failedOutsideReload === 0),
  serveLatencyWithinDebouncePlus50: dataPath.every((d) => (d.serveLatency.max ?? Infinity) <= debounceMs + 50),
  zeroWritesWhenUnchanged: transports.every((t) => t.apply10.noopWrites === 0),
};
console.log('targets:', targets);
const out = { benchmark: 'haproxy', haproxy: spawnSync('haproxy', ['-v']).stdout.toString().split('\n')[0], transports, dataPath, targets };
const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'haproxy.json'), `${JSON.stringify(out, null, 2)}\n`);
if (!targets.zeroFailedOutsideReload || !targets.zeroWritesWhenUnchanged) process.exitCode = 1;
