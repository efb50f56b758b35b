/**
 * Soak: `nitrox run` (the CLI, in its own process) between the Kubernetes API-server simulator and the NITRO
 * simulator on loopback, under sustained churn and recurring faults — 50 services on 20 nodes, each its own pool;
 * 50 endpoint changes/s; a node NotReady/Ready every 30 s; a fault every 15–25 s (dropped watches, expired
 * history, killed NITRO sessions, 5 s of NITRO 5xx, 2 s of 500 ms NITRO latency). Reports the controller's
 * heap/RSS slope (read from its own /metrics), divergence episodes of every pool by length and by the faults active
 * while they lasted, the final convergence after churn stops, and the shutdown.
 *
 * Run: `npm run bench -- soak` (3 minutes) or `npx tsx --conditions=@nitrox/source bench/soak.ts --minutes 20`.
 * Writes bench/results/soak.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startKubeSimulator } from '@nitrox/kubernetes/testing';
import { startNitroSimulator } from '@nitrox/netscaler/testing';
import { SoakWorld } from './soak/world.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: process.env.SOAK_MINUTES ?? '3' } } });
const minutes = Number(values.minutes);
if (!(minutes > 0)) throw new Error(`--minutes must be a positive number, got ${values.minutes}`);
const SERVICES = 50;
const NODES = 20;
const CHANGES_PER_SECOND = 50;
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

// A seeded generator, so two runs make the same changes in the same order.
let seed = 0x2545f491;
const random = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4_294_967_296;
};

const kube = await startKubeSimulator();
const nitro = await startNitroSimulator({ username: 'nsroot', password: 'soak-secret' });
const world = new SoakWorld(kube, { nodes: NODES, services: SERVICES, random });
world.seed();

const dir = mkdtempSync(join(tmpdir(), 'nitrox-soak-'));
const configFile = join(dir, 'nitrox.json');
writeFileSync(
  configFile,
  JSON.stringify({
    log: { level: 'info' },
    http: { listen: '127.0.0.1:0' },
    sources: { cluster: { type: 'kubernetes', server: kube.url } },
    sinks: { adc: { type: 'netscaler', url: nitro.url, username: 'nsroot', passwordFrom: { env: 'NS_PASSWORD' } } },
    defaults: { resync: '60s' },
    mappings: world.services.map((s) => ({ name: s.name, source: 'cluster', app: `default/${s.name}`, sink: 'adc', pool: s.name, mode: s.mode, port: 'http' })),
  }),
);

// --- the controller, as a user runs it
const started = performance.now();
const child = spawn(process.execPath, ['--conditions=@nitrox/source', '--import', 'tsx', join(root, 'packages/nitrox/src/bin.ts'), 'run', '--config', configFile], {
  cwd: root,
  env: { ...process.env, NS_PASSWORD: 'soak-secret' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const logCounts = new Map<string, number>();
let opsUrl: string | undefined;
let stdoutRest = '';
child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
  const lines = (stdoutRest + chunk).split('\n');
  stdoutRest = lines.pop() ?? '';
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { msg?: string; level?: number; address?: string; url?: string };
      const msg = entry.msg ?? '';
      logCounts.set(msg, (logCounts.get(msg) ?? 0) + 1);
      const found = /http:\/\/127\.0\.0\.1:\d+/.exec(line);
      if (opsUrl === undefined && found && !line.includes(kube.url) && !line.includes(nitro.url)) opsUrl = found[0];
    } catch {
      logCounts.set('(not JSON)', (logCounts.get('(not JSON)') ?? 0) + 1);
    }
  }
});
let stderr = '';
child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
  stderr += chunk;
});
const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
  child.on('exit', (code, signal) => resolve({ code, signal })),
);

const allConverged = (): boolean => world.services.every((s) => nitro.state.members(s.name).join() === world.expected(s));
async function until(check: () => boolean, timeoutMs: number): Promise<number | undefined> {
  const from = performance.now();
  while (!check()) {
    if (performance.now() - from > timeoutMs) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return performance.now() - from;
}
const initialSyncMs = await until(allConverged, 120_000);
if (initialSyncMs === undefined) throw new Error(`initial sync did not converge in 120 s; stderr: ${stderr.slice(-2000)}`);
if (opsUrl === undefined) throw new Error('the controller never logged its ops listener address');
console.log(`initial sync of ${SERVICES} pools: ${Math.round(performance.now() - started)} ms after spawn`);

// --- memory samples from the controller's own /metrics
interface Sample {
  readonly atS: number;
  readonly heapMiB: number;
  readonly rssMiB: number;
  readonly lagMaxMs: number | undefined;
}
const samples: Sample[] = [];
const metric = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};
async function sample(t0: number): Promise<void> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const heap = metric(text, 'nitrox_process_nodejs_heap_size_used_bytes');
  const rss = metric(text, 'nitrox_process_process_resident_memory_bytes');
  const lag = metric(text, 'nitrox_process_nodejs_eventloop_lag_max_seconds');
  if (heap === undefined || rss === undefined) throw new Error('the controller /metrics has no heap or RSS gauge');
  samples.push({ atS: (performance.now() - t0) / 1000, heapMiB: heap / 2 ** 20, rssMiB: rss / 2 ** 20, lagMaxMs: lag === undefined ? undefined : lag * 1000 });
}

// --- churn, node flaps and faults
type FaultName = 'drop-watches' | 'expire-history' | 'kill-sessions' | 'sink-5xx' | 'sink-latency';
const faultNames: FaultName[] = ['drop-watches', 'expire-history', 'kill-sessions', 'sink-5xx', 'sink-latency'];
let activeFault: FaultName | 'none' = 'none';
let faultUntil = 0;
const faultCounts = new Map<string, number>();
function injectFault(now: number): void {
  const fault = faultNames[Math.floor(random() * faultNames.length)] as FaultName;
  faultCounts.set(fault, (faultCounts.get(fault) ?? 0) + 1);
  activeFault = fault;
  faultUntil = now + 1_000;
  switch (fault) {
    case 'drop-watches':
      kube.faults.dropWatches();
      break;
    case 'expire-history':
      kube.faults.expireHistory({ closeWatches: true });
      break;
    case 'kill-sessions':
      nitro.faults.killSessions();
      break;
    case 'sink-5xx':
      nitro.faults.serverError(Number.MAX_SAFE_INTEGER, 503, {});
      faultUntil = now + 5_000;
      break;
    case 'sink-latency':
      nitro.faults.latencyMs = 500;
      faultUntil = now + 2_000;
      break;
  }
}
function endFault(): void {
  if (activeFault === 'sink-5xx' || activeFault === 'sink-latency') nitro.faults.clear();
  activeFault = 'none';
}

interface Episode {
  readonly pool: string;
  readonly ms: number;
  /** The faults active during the episode (`none`, or names joined by `+`). */
  readonly fault: string;
}
const episodes: Episode[] = [];
/** Pools diverged now: since when, and every fault active at some moment of the episode. */
const open = new Map<string, { since: number; faults: Set<string> }>();
function observe(now: number): void {
  for (const s of world.services) {
    const same = nitro.state.members(s.name).join() === world.expected(s);
    const o = open.get(s.name);
    if (!same && o === undefined) open.set(s.name, { since: now, faults: new Set(activeFault === 'none' ? [] : [activeFault]) });
    else if (!same && o !== undefined && activeFault !== 'none') o.faults.add(activeFault);
    else if (same && o !== undefined) {
      episodes.push({ pool: s.name, ms: now - o.since, fault: o.faults.size === 0 ? 'none' : [...o.faults].sort().join('+') });
      open.delete(s.name);
    }
  }
}

const durationMs = minutes * 60_000;
const t0 = performance.now();
let nextFaultAt = t0 + 15_000 + random() * 10_000;
let nextFlapAt = t0 + 30_000;
let flapped: number | undefined;
let nextSampleAt = t0;
let changes = 0;
let lastReport = t0;
while (performance.now() - t0 < durationMs) {
  const now = performance.now();
  const due = Math.floor(((now - t0) / 1000) * CHANGES_PER_SECOND);
  while (changes < due) {
    world.churn();
    changes++;
  }
  if (now >= nextFlapAt) {
    if (flapped === undefined) {
      flapped = Math.floor(random() * NODES);
      world.setReady(flapped, false);
    } else {
      world.setReady(flapped, true);
      flapped = undefined;
    }
    nextFlapAt += 15_000; // NotReady for 15 s, then Ready: one flap every 30 s
  }
  if (activeFault !== 'none' && now >= faultUntil) endFault();
  if (now >= nextFaultAt) {
    if (activeFault !== 'none') endFault();
    injectFault(now);
    nextFaultAt = now + 15_000 + random() * 10_000;
  }
  observe(now);
  if (now >= nextSampleAt) {
    await sample(t0);
    nextSampleAt += 5_000;
  }
  if (now - lastReport >= 60_000) {
    lastReport = now;
    nitro.requestLog.clear(); // the simulator's log is not what is measured; keep this process small
    const last = samples.at(-1);
    console.log(`${Math.round((now - t0) / 60_000)} min: ${changes} changes, heap ${last?.heapMiB.toFixed(1)} MiB, rss ${last?.rssMiB.toFixed(1)} MiB, ${episodes.length} divergence episodes`);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}
endFault();
if (flapped !== undefined) world.setReady(flapped, true);
const churnEnded = performance.now();
const finalConvergenceMs = await until(allConverged, 120_000);
observe(performance.now());
await sample(t0);

// --- shutdown
nitro.requestLog.clear();
const stopAt = performance.now();
child.kill('SIGTERM');
const exit = await exited;
const shutdownMs = performance.now() - stopAt;

// --- report
/** Least-squares slope (per minute) of `y` over the samples after `fromS`. */
function slopePerMinute(pick: (s: Sample) => number, fromS: number): number {
  const pts = samples.filter((s) => s.atS >= fromS);
  const n = pts.length;
  if (n < 2) return 0;
  const mx = pts.reduce((a, s) => a + s.atS, 0) / n;
  const my = pts.reduce((a, s) => a + pick(s), 0) / n;
  const sxy = pts.reduce((a, s) => a + (s.atS - mx) * (pick(s) - my), 0);
  const sxx = pts.reduce((a, s) => a + (s.atS - mx) ** 2, 0);
  return (sxy / sxx) * 60;
}
/** Slope of the lowest heap of each minute: the floor after GC, less noisy than every sample. */
function floorSlopePerMinute(fromS: number): number {
  const floors = new Map<number, Sample>();
  for (const s of samples.filter((x) => x.atS >= fromS)) {
    const m = Math.floor(s.atS / 60);
    const f = floors.get(m);
    if (f === undefined || s.heapMiB < f.heapMiB) floors.set(m, s);
  }
  const pts = [...floors.values()];
  if (pts.length < 2) return 0;
  const n = pts.length;
  const mx = pts.reduce((a, s) => a + s.atS, 0) / n;
  const my = pts.reduce((a, s) => a + s.heapMiB, 0) / n;
  const sxy = pts.reduce((a, s) => a + (s.atS - mx) * (s.heapMiB - my), 0);
  const sxx = pts.reduce((a, s) => a + (s.atS - mx) ** 2, 0);
  return (sxy / sxx) * 60;
}
const buckets = [1_000, 2_000, 5_000, 10_000, 30_000, Number.POSITIVE_INFINITY];
const bucketName = (ms: number): string => {
  const b = buckets.find((x) => ms < x) as number;
  return b === Number.POSITIVE_INFINITY ? '>=30s' : `<${b / 1000}s`;
};
const byLength: Record<string, number> = {};
const byFault: Record<string, { episodes: number; maxMs: number; over10s: number }> = {};
for (const e of episodes) {
  byLength[bucketName(e.ms)] = (byLength[bucketName(e.ms)] ?? 0) + 1;
  const f = byFault[e.fault] ?? { episodes: 0, maxMs: 0, over10s: 0 };
  byFault[e.fault] = f;
  f.episodes++;
  f.maxMs = Math.max(f.maxMs, Math.round(e.ms));
  if (e.ms > 10_000) f.over10s++;
}
const longest = [...episodes].sort((a, b) => b.ms - a.ms).slice(0, 5).map((e) => ({ ...e, ms: Math.round(e.ms) }));
const fromS = minutes >= 4 ? (minutes - 15 > 0 ? (minutes - 15) * 60 : 60) : 30;
const result = {
  minutes,
  services: SERVICES,
  nodes: NODES,
  changes,
  changesPerSecond: CHANGES_PER_SECOND,
  faults: Object.fromEntries(faultCounts),
  initialSyncMs: Math.round(initialSyncMs),
  memory: {
    slopeFromS: fromS,
    heapSlopeMiBPerMin: Number(slopePerMinute((s) => s.heapMiB, fromS).toFixed(2)),
    heapFloorSlopeMiBPerMin: Number(floorSlopePerMinute(fromS).toFixed(2)),
    rssSlopeMiBPerMin: Number(slopePerMinute((s) => s.rssMiB, fromS).toFixed(2)),
    heapMiB: { first: samples[0]?.heapMiB.toFixed(1), last: samples.at(-1)?.heapMiB.toFixed(1), max: Math.max(...samples.map((s) => s.heapMiB)).toFixed(1) },
    rssMiB: { first: samples[0]?.rssMiB.toFixed(1), last: samples.at(-1)?.rssMiB.toFixed(1), max: Math.max(...samples.map((s) => s.rssMiB)).toFixed(1) },
    eventLoopLagMaxMs: Math.round(Math.max(0, ...samples.map((s) => s.lagMaxMs ?? 0))),
  },
  divergence: { episodes: episodes.length, byLength, byFault, longest, stillOpenAtEnd: open.size },
  finalConvergenceMs: finalConvergenceMs === undefined ? null : Math.round(finalConvergenceMs),
  churnEndedToConvergedMs: finalConvergenceMs === undefined ? null : Math.round(performance.now() - churnEnded),
  shutdown: { ms: Math.round(shutdownMs), exitCode: exit.code, signal: exit.signal, logouts: nitro.requestLog.count({ type: 'logout' }) },
  logMessages: Object.fromEntries([...logCounts].sort((a, b) => b[1] - a[1]).slice(0, 25)),
  samples: samples.map((s) => ({ atS: Math.round(s.atS), heapMiB: Number(s.heapMiB.toFixed(1)), rssMiB: Number(s.rssMiB.toFixed(1)) })),
};
await kube.close();
await nitro.close();
const out = join(here, 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
const { samples: _s, logMessages: _l, ...summary } = result;
console.log(JSON.stringify(summary, null, 2));
if (finalConvergenceMs === undefined || exit.code !== 0) process.exitCode = 1;
