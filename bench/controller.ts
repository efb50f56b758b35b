/**
 * Controller throughput and latency on the real clock, MemoryStore → Informer → Controller → no-op reconcile.
 *   C1 churn:   20,000 keys, 400,000 puts in batches of 2,000 (each batch yields to the loop), concurrency 4,
 *               reconcile yields one event-loop turn (like I/O).
 *               Reports puts/s, reconciles, the coalescing ratio (puts per reconcile) and time to converge.
 *   C2 backlog: 50,000 keys, reconcile yields one event-loop turn (like I/O); once a resync pass has queued
 *               them all, 200 live changes are made one at a time and the put → reconcile latency of each is
 *               measured (the low lane must not hold them back).
 * Usage: `npx tsx --conditions=@nitrox/source bench/controller.ts [--keys 20000] [--puts 400000]`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller } from '../packages/core/src/controller.js';
import { MemoryStore } from '../packages/core/src/memory-store.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const KEYS = arg('keys', 20_000);
const PUTS = arg('puts', 400_000);
const BATCH = 2_000;
const BACKLOG_KEYS = arg('backlog', 50_000);

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function waitFor(predicate: () => boolean, limitMs = 60_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('bench condition not met in time');
    await tick();
  }
}

async function churn() {
  const store = new MemoryStore<number>({ historyLimit: 100_000 });
  const keys = Array.from({ length: KEYS }, (_, i) => `ns/app-${i}`);
  const applied = new Map<string, number>();
  const controller = new Controller<number>({
    source: store,
    concurrency: 4,
    reconcile: async (key, desired) => {
      await tick(); // like I/O: give the event loop (and the producer) a turn
      if (desired) applied.set(key, desired.version);
      else applied.delete(key);
    },
  });
  controller.start();
  await controller.informer.waitForSync();
  const start = performance.now();
  for (let i = 0; i < PUTS; ) {
    const end = Math.min(PUTS, i + BATCH);
    for (; i < end; i++) store.put(keys[i % KEYS] as string, i);
    await tick();
  }
  const produced = performance.now();
  await waitFor(() => applied.size === KEYS && keys.every((k) => applied.get(k) === store.get(k)?.version));
  const converged = performance.now();
  const stats = controller.stats;
  await controller.stop();
  return {
    keys: KEYS,
    puts: PUTS,
    putsPerSec: Math.round(PUTS / ((produced - start) / 1000)),
    reconciles: stats.reconciles,
    putsPerReconcile: Number((PUTS / stats.reconciles).toFixed(2)),
    convergeAfterLastPutMs: Math.round(converged - produced),
    totalMs: Math.round(converged - start),
    skipped: stats.skipped,
  };
}

async function backlog() {
  const store = new MemoryStore<number>({ historyLimit: 10_000 });
  for (let i = 0; i < BACKLOG_KEYS; i++) store.put(`k${i}`, i);
  let resyncRuns = 0;
  const waiting = new Map<string, number>();
  const latencies: number[] = [];
  const controller = new Controller<number>({
    source: store,
    resyncMs: 5_000,
    reconcile: async (key, _desired, ctx) => {
      if (ctx.reason === 'resync') resyncRuns++;
      const since = waiting.get(key);
      if (since !== undefined) {
        latencies.push(performance.now() - since);
        waiting.delete(key);
      }
      await tick(); // like I/O: give the event loop (and the producer) a turn
    },
  });
  controller.start();
  await waitFor(() => controller.stats.reconciles >= BACKLOG_KEYS); // the initial catch-up
  await waitFor(() => controller.stats.resyncs > 0); // a resync pass queued every key again
  console.error(`initial catch-up of ${BACKLOG_KEYS} keys done; resync pass queued ${controller.stats.queueDepth}`);
  const depthAtStart = controller.stats.queueDepth;
  for (let i = 0; i < 200; i++) {
    const key = `live-${i}`;
    waiting.set(key, performance.now());
    store.put(key, i);
    await waitFor(() => !waiting.has(key));
  }
  const resyncLeft = controller.stats.queueDepth;
  await controller.stop({ drain: false });
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(3));
  return {
    keys: BACKLOG_KEYS,
    resyncQueuedWhenLiveChangesStarted: depthAtStart,
    resyncStillQueuedAfter200LiveChanges: resyncLeft,
    resyncReconcilesMeanwhile: resyncRuns,
    liveLatencyMs: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
  };
}

const result = { churn: await churn(), backlog: await backlog(), node: process.version };
console.log(JSON.stringify(result, null, 2));
const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'controller.json'), `${JSON.stringify(result, null, 2)}\n`);
