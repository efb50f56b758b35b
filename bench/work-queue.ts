/**
 * WorkQueue throughput: one producer and one consumer interleaved in one process. The producer adds in
 * batches and yields; the consumer takes keys with `tryGet` (synchronous fast path) and `done`, and waits
 * with `get()` only when the queue is empty. Runs until the queue drains.
 *   W1: 1,000,000 adds over 10,000 keys round-robin (de-duplication at work)
 *   W2: 1,000,000 distinct keys
 * Compared with client-go's workqueue measured on this machine (W1 ~9.0M adds/s, 13.5M ops/s;
 * W2 ~3.1M adds/s, 9.4M ops/s). The producer batch decides the queue depth and so how many adds W1
 * de-duplicates; batch 40,000 reproduces client-go's run (250,000 gets for 1,000,000 adds) and is the
 * like-for-like row. Each (batch, workload) runs in its own Node process, so one cannot skew another's
 * heap or JIT state. Throughput is reported for the median and the fastest round (wall clock), and per CPU
 * second of the process (steadier when other processes share the cores; it includes GC threads); every row
 * prints its min–max over the rounds.
 * Usage: `npx tsx bench/work-queue.ts [--batch 40000] [--rounds 7]` (default: batches 1,000, 10,000, 40,000).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkQueue } from '../packages/core/src/work-queue.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ADDS = 1_000_000;
const ROUNDS = arg('rounds', 7);
const BATCHES = args.includes('--batch') ? [arg('batch', 40_000)] : [1_000, 10_000, 40_000];
const clientGo = {
  W1: { addsPerSec: 9.0e6, opsPerSec: 13.5e6 },
  W2: { addsPerSec: 3.1e6, opsPerSec: 9.4e6 },
};
type Workload = keyof typeof clientGo;

interface Run {
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of this process (user + system). */
  cpuSeconds: number;
  gets: number;
}

async function run(keyOf: (i: number) => string, batch: number): Promise<Run> {
  const queue = new WorkQueue<string>({ name: 'bench' });
  let gets = 0;
  const consumer = async (): Promise<void> => {
    for (;;) {
      let key = queue.tryGet();
      if (key === undefined) {
        key = await queue.get();
        if (key === undefined) return;
      }
      gets++;
      queue.done(key);
    }
  };
  const producer = async (): Promise<void> => {
    for (let i = 0; i < ADDS; ) {
      const end = Math.min(ADDS, i + batch);
      for (; i < end; i++) queue.add(keyOf(i));
      await null; // yield to the consumer
    }
    await queue.shutDown({ drain: true });
  };
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all([consumer(), producer()]);
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6, gets };
}

/** Child: one workload at one batch size; prints the rounds as JSON. */
async function child(workload: Workload, batch: number): Promise<void> {
  // Keys are built up front so the timed loop measures the queue, not string formatting.
  const count = workload === 'W1' ? 10_000 : ADDS;
  const keys = Array.from({ length: count }, (_, i) => `ns/app-${i}`);
  const keyOf = workload === 'W1' ? (i: number) => keys[i % 10_000] as string : (i: number) => keys[i] as string;
  await run(keyOf, batch); // warm-up
  const runs: Run[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    runs.push(await run(keyOf, batch));
  }
  process.stdout.write(JSON.stringify(runs));
}

const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const m = (n: number): string => `${(n / 1e6).toFixed(2)}M`;

function summarise(workload: Workload, runs: Run[]) {
  const gets = (runs[0] as Run).gets;
  const ops = ADDS + 2 * gets;
  const wall = median(runs.map((r) => r.seconds));
  const best = Math.min(...runs.map((r) => r.seconds));
  const worst = Math.max(...runs.map((r) => r.seconds));
  const cpuBest = Math.min(...runs.map((r) => r.cpuSeconds));
  const cpuWorst = Math.max(...runs.map((r) => r.cpuSeconds));
  const cpu = median(runs.map((r) => r.cpuSeconds));
  const reference = clientGo[workload];
  return {
    adds: ADDS,
    gets,
    medianWallMs: round(wall * 1000, 1),
    bestWallMs: round(best * 1000, 1),
    medianCpuMs: round(cpu * 1000, 1),
    addsPerSec: Math.round(ADDS / wall),
    opsPerSec: Math.round(ops / wall),
    bestAddsPerSec: Math.round(ADDS / best),
    worstAddsPerSec: Math.round(ADDS / worst),
    bestOpsPerSec: Math.round(ops / best),
    addsPerCpuSec: Math.round(ADDS / cpu),
    addsPerCpuSecRange: [Math.round(ADDS / cpuWorst), Math.round(ADDS / cpuBest)],
    opsPerCpuSec: Math.round(ops / cpu),
    clientGo: reference,
    vsClientGo: {
      medianAdds: round(ADDS / wall / reference.addsPerSec),
      medianOps: round(ops / wall / reference.opsPerSec),
      bestAdds: round(ADDS / best / reference.addsPerSec),
      bestOps: round(ops / best / reference.opsPerSec),
    },
  };
}

async function parent(): Promise<void> {
  const file = fileURLToPath(import.meta.url);
  const loadBefore = loadavg()[0] as number;
  const results: Record<string, Record<string, ReturnType<typeof summarise>>> = {};
  for (const batch of BATCHES) {
    for (const workload of ['W1', 'W2'] as const) {
      const child = spawnSync(
        process.execPath,
        [...process.execArgv, file, '--child', workload, '--batch', String(batch), '--rounds', String(ROUNDS)],
        { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
      );
      if (child.status !== 0) throw new Error(`child ${workload} batch ${batch} failed: ${child.stderr}`);
      const result = summarise(workload, JSON.parse(child.stdout) as Run[]);
      results[`batch ${batch}`] = { ...results[`batch ${batch}`], [workload]: result };
      console.log(
        `batch ${batch} ${workload} (gets ${result.gets}): median ${m(result.addsPerSec)} adds/s ` +
          `[${m(result.worstAddsPerSec)}–${m(result.bestAddsPerSec)}] ${m(result.opsPerSec)} ops/s, ` +
          `per CPU s ${m(result.addsPerCpuSec)} adds [${m(result.addsPerCpuSecRange[0] as number)}–` +
          `${m(result.addsPerCpuSecRange[1] as number)}] ${m(result.opsPerCpuSec)} ops ` +
          `— client-go ${m(result.clientGo.addsPerSec)} adds/s ${m(result.clientGo.opsPerSec)} ops/s`,
      );
    }
  }
  const out = {
    batches: BATCHES,
    rounds: ROUNDS,
    node: process.version,
    loadAverage: { before: round(loadBefore), after: round(loadavg()[0] as number) },
    results,
  };
  const dir = join(dirname(file), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'work-queue.json'), `${JSON.stringify(out, null, 2)}\n`);
}

const childIndex = args.indexOf('--child');
if (childIndex >= 0) await child(args[childIndex + 1] as Workload, arg('batch', 40_000));
else await parent();
