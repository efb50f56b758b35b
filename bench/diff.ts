/**
 * diff() of two 1,000,000-object snapshots with 1% changed (new version and new value; the rest are distinct
 * objects sharing their version). Compared with the floor — a bare Map loop that iterates `next`, looks every key
 * up in `prev` and compares versions — and with deep-comparing every pair (fast-deep-equal on all values).
 * Targets: within 2x of the floor, >= 5x faster than deep-compare-all. A second pass shuffles the key order of
 * `next`, where diff cannot walk both maps in lockstep and pays one lookup per key like the floor.
 * Times are medians of several interleaved runs, as wall time and as process CPU time. On a shared machine wall
 * time includes waiting for a core; CPU time does not, but counts V8's parallel GC threads (diff allocates
 * iterator results, so its CPU time is inflated by scavenges the floor does not trigger). Both ratios are given.
 * Run: `npx tsx bench/diff.ts [size]`, or `npm run bench -- diff` (adds --expose-gc).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import deepEqual from 'fast-deep-equal';
import { diff } from '../packages/core/src/diff.js';
import type { Versioned } from '../packages/core/src/list-watch.js';

interface Member {
  name: string;
  address: string;
  port: number;
  weight: number;
  tags: string[];
}
type Snapshot = Map<string, Versioned<Member>>;

const size = Number(process.argv[2] ?? 1_000_000);
const runs = 5;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function member(i: number, salt: number): Member {
  const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  return { name: `app-${i % 5000}`, address, port: 8000 + salt, weight: 1, tags: ['web', `z${i % 3}`] };
}

const t0 = performance.now();
const prev: Snapshot = new Map();
const next: Snapshot = new Map();
let changed = 0;
for (let i = 0; i < size; i++) {
  const key = `pool/${i}`;
  prev.set(key, { key, version: i + 1, value: member(i, 0) });
  if (i % 100 === 0) {
    next.set(key, { key, version: size + i + 1, value: member(i, 1) });
    changed++;
  } else {
    next.set(key, { key, version: i + 1, value: member(i, 0) });
  }
}
const buildMs = performance.now() - t0;

/** The floor: iterate next, look each key up in prev, compare versions. */
function floor(n: Snapshot): number {
  let count = 0;
  for (const [key, item] of n) {
    const before = prev.get(key);
    if (before === undefined || before.version !== item.version) count++;
  }
  return count;
}

/** Deep-compare every pair. */
function deepAll(n: Snapshot): number {
  let count = 0;
  for (const [key, item] of n) {
    const before = prev.get(key);
    if (before === undefined || !deepEqual(before.value, item.value)) count++;
  }
  return count;
}

function ours(n: Snapshot): number {
  const r = diff(prev, n);
  return r.added.length + r.updated.length + r.removed.length;
}

interface Sample {
  wall: number;
  cpu: number;
}
async function measure(fn: (n: Snapshot) => number, n: Snapshot, into: Sample[]): Promise<void> {
  gc();
  // Let the collector's concurrent sweeping finish, so it is not billed to the function measured next.
  await new Promise((resolve) => setTimeout(resolve, 150));
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const result = fn(n);
  const wall = performance.now() - w0;
  const c = process.cpuUsage(c0);
  if (result !== changed) throw new Error(`${fn.name} found ${result} changes, expected ${changed}`);
  into.push({ wall, cpu: (c.user + c.system) / 1000 });
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const round = (x: number): number => Math.round(x * 100) / 100;
const summary = (xs: Sample[]): { wallMs: number; cpuMs: number } => ({
  wallMs: round(median(xs.map((s) => s.wall))),
  cpuMs: round(median(xs.map((s) => s.cpu))),
});

// Warm up every contender once, then interleave runs so drift hits all alike.
floor(next);
ours(next);
deepAll(next);
const s = { floor: [] as Sample[], diff: [] as Sample[], deepAll: [] as Sample[] };
for (let r = 0; r < runs; r++) {
  await measure(floor, next, s.floor);
  await measure(ours, next, s.diff);
  await measure(deepAll, next, s.deepAll);
}

// The same data with next in another key order: no lockstep walk, diff falls back to one lookup per key.
const order = [...next.keys()];
for (let i = order.length - 1; i > 0; i--) {
  const j = (i * 7919) % (i + 1);
  [order[i], order[j]] = [order[j] as string, order[i] as string];
}
const shuffled: Snapshot = new Map();
for (const key of order) shuffled.set(key, next.get(key) as Versioned<Member>);
const u = { floor: [] as Sample[], diff: [] as Sample[] };
for (let r = 0; r < 3; r++) {
  await measure(floor, shuffled, u.floor);
  await measure(ours, shuffled, u.diff);
}

gc();
const heapBefore = process.memoryUsage().heapUsed;
const kept = diff(prev, next);
const heapAfter = process.memoryUsage().heapUsed;

const floorS = summary(s.floor);
const diffS = summary(s.diff);
const deepS = summary(s.deepAll);
const uFloor = summary(u.floor);
const uDiff = summary(u.diff);
const out = {
  name: 'diff',
  size,
  changed,
  runs,
  gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
  buildSnapshotsMs: round(buildMs),
  diff: diffS,
  floor: floorS,
  deepCompareAll: deepS,
  ratioToFloor: { cpu: round(diffS.cpuMs / floorS.cpuMs), wall: round(diffS.wallMs / floorS.wallMs) },
  speedupOverDeepCompareAll: { cpu: round(deepS.cpuMs / diffS.cpuMs), wall: round(deepS.wallMs / diffS.wallMs) },
  targets: { ratioToFloorAtMost: 2, speedupOverDeepCompareAllAtLeast: 5 },
  met: {
    cpu: diffS.cpuMs / floorS.cpuMs <= 2 && deepS.cpuMs / diffS.cpuMs >= 5,
    wall: diffS.wallMs / floorS.wallMs <= 2 && deepS.wallMs / diffS.wallMs >= 5,
  },
  diffHeapDeltaBytes: heapAfter - heapBefore,
  updatedReported: kept.updated.length,
  unorderedNext: {
    note: 'next in another key order than prev: no lockstep walk, one lookup per key',
    diff: uDiff,
    floor: uFloor,
    ratioToFloor: { cpu: round(uDiff.cpuMs / uFloor.cpuMs), wall: round(uDiff.wallMs / uFloor.wallMs) },
  },
  samplesCpuMs: {
    floor: s.floor.map((x) => round(x.cpu)),
    diff: s.diff.map((x) => round(x.cpu)),
    deepCompareAll: s.deepAll.map((x) => round(x.cpu)),
  },
};

console.log(JSON.stringify(out, null, 2));
const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'diff.json'), `${JSON.stringify(out, null, 2)}\n`);
