/**
 * HAProxy sink against a real HAProxy 2.6 on loopback. Two parts:
 * 1. Transport: the Runtime API over one connection per command vs one pipelined `prompt` session — 500
 *    `set server … weight` commands sent one at a time and as one pipelined batch, and an apply that adds 10
 *    members then removes them (drain → maint → del), in both session modes; and the same in slot mode with and
 *    without the server-state file (the cost of keeping it).
 * 2. The data path (packages/nitrox/test/haproxy-data-path.ts): Kubernetes simulator → nitrox runtime → HAProxy
 *    → real backends under a client loop, scaling 2 → 10 → 3, a rolling replacement and one reload; failed
 *    requests per phase and the time from a source change to the new member's first request through HAProxy,
 *    for dynamic mode, slot mode, and slot mode with the sink's server-state file, at two restart-check intervals,
 *    5 runs each; requests failed across the reload and their window (first to last failed request after the
 *    reload signal).
 * Targets: 0 failed requests outside the reload; 0 across the reload with the state file; serve latency ≤
 * debounce + 50 ms.
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

const { HaproxySink, RuntimeApiClient, ServerStateFile } = await import('../packages/haproxy/src/index.js');
const { startHaproxy } = await import('../packages/haproxy/src/testing/index.js');
const { runHaproxyDataPath } = await import('../packages/nitrox/test/haproxy-data-path.js');

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
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

/** Slot mode, persistent session: an apply adding 10 members, a no-op and a removal, with and without the state file. */
async function slotApplies(withStateFile: boolean) {
  const hp = await startHaproxy({ stateFile: true, backends: [{ name: 'be', lines: ['server-template nx 16 nitrox-slot.invalid:1 init-addr last,0.0.0.0 disabled'] }] });
  try {
    const stateFile = withStateFile ? new ServerStateFile(hp.stateFile as string) : undefined;
    const sink = new HaproxySink({ client: { socket: hp.socket }, backend: 'be', mode: 'slots', serverPrefix: 'nx', allowEmpty: true, restartCheckIntervalMs: 0, drainTimeoutMs: 0, ...(stateFile ? { stateFile } : {}) });
    const members = Array.from({ length: 10 }, (_, i) => ({ address: `192.0.2.${i + 1}`, port: 80 }));
    let t = performance.now();
    const add = await sink.apply('web', { name: 'web', members });
    const addMs = ms(t);
    t = performance.now();
    const noop = await sink.apply('web', { name: 'web', members });
    const noopMs = ms(t);
    t = performance.now();
    const remove = await sink.apply('web', { name: 'web', members: [] });
    const removeMs = ms(t);
    await sink.stop();
    return { stateFile: withStateFile, addMs, addWrites: add.writes, noopMs, noopWrites: noop.writes, removeMs, removeWrites: remove.writes, stateFileWrites: stateFile?.stats.writes ?? 0 };
  } finally {
    await hp.stop();
  }
}

const transports = [await transport('per-command'), await transport('persistent')];
for (const t of transports) console.log('transport', JSON.stringify(t));
const slotRuns: Awaited<ReturnType<typeof slotApplies>>[] = [];
for (let i = 0; i < 5; i++) slotRuns.push(await slotApplies(false), await slotApplies(true));
const slotSummary = [false, true].map((withFile) => {
  const rs = slotRuns.filter((r) => r.stateFile === withFile);
  const med = (k: 'addMs' | 'noopMs' | 'removeMs') => median(rs.map((r) => r[k]));
  return { stateFile: withFile, runs: rs.length, addMs: med('addMs'), noopMs: med('noopMs'), removeMs: med('removeMs'), writes: rs[0] && { add: rs[0].addWrites, noop: rs[0].noopWrites, remove: rs[0].removeWrites }, stateFileWrites: rs[0]?.stateFileWrites };
});
for (const s of slotSummary) console.log('slot applies', JSON.stringify(s));

const debounceMs = 20;
const reps = 5;
const dataPath = [];
const configurations = [
  { mode: 'dynamic', stateFile: false, restartCheckIntervalMs: 50 },
  { mode: 'dynamic', stateFile: false, restartCheckIntervalMs: 200 },
  { mode: 'slots', stateFile: false, restartCheckIntervalMs: 50 },
  { mode: 'slots', stateFile: true, restartCheckIntervalMs: 50 },
  { mode: 'slots', stateFile: true, restartCheckIntervalMs: 200 },
] as const;
for (const { mode, stateFile, restartCheckIntervalMs } of configurations) {
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await runHaproxyDataPath({ mode, stateFile, debounceMs, concurrency: 4, restartCheckIntervalMs }));
  const lat = runs.flatMap((r) => r.serveLatencyMs).sort((a, b) => a - b);
  const reload = runs.map((r) => r.phases.find((p) => p.phase === 'reload'));
  const inReload = reload.map((p) => p?.failed ?? 0);
  const summary = {
    mode,
    stateFile,
    restartCheckIntervalMs,
    runs: reps,
    requests: runs.reduce((s, r) => s + r.requests, 0),
    failedOutsideReload: runs.reduce((s, r) => s + r.phases.filter((p) => p.phase !== 'reload').reduce((t, p) => t + p.failed, 0), 0),
    requestsInReload: reload.map((p) => p?.requests ?? 0),
    failedInReload: { perRun: inReload, median: median(inReload), total: inReload.reduce((a, b) => a + b, 0) },
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
  zeroFailedAcrossReloadWithStateFile: dataPath.filter((d) => d.stateFile).every((d) => d.failedInReload.total === 0),
  serveLatencyWithinDebouncePlus50: dataPath.every((d) => (d.serveLatency.max ?? Infinity) <= debounceMs + 50),
  zeroWritesWhenUnchanged: transports.every((t) => t.apply10.noopWrites === 0),
};
console.log('targets:', targets);
const out = { benchmark: 'haproxy', haproxy: spawnSync('haproxy', ['-v']).stdout.toString().split('\n')[0], transports, slotApplies: slotSummary, dataPath, targets };
const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'haproxy.json'), `${JSON.stringify(out, null, 2)}\n`);
if (!targets.zeroFailedOutsideReload || !targets.zeroFailedAcrossReloadWithStateFile || !targets.zeroWritesWhenUnchanged) process.exitCode = 1;
