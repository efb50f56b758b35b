/**
 * Convergence under faults, as a property: random puts and deletes against a MemoryStore reach an in-memory
 * sink through a Controller while the watch drops, duplicates and replays old events, carries malformed
 * ones and disconnects, lists fail, the store's history is expired, the sink fails (before or after
 * writing), someone edits the sink by hand, and the controller is restarted (with or without its memory of
 * applied versions). Once the faults stop and a relist plus resync have run, the sink must equal the store,
 * and no apply may ever have carried a version older than one the sink already got for that key, nor
 * resurrected a value after its deletion. A value's payload is its own store version, so the sink sees
 * versions directly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ApplyResult,
  type AppliedVersions,
  Controller,
  ExpiredError,
  type ListWatch,
  MemoryStore,
  type Sink,
  SinkError,
  SourceError,
  sinkReconciler,
  sleep,
  VirtualClock,
  type WatchEvent,
} from '../src/index.js';

const KEYS = ['a', 'b', 'c'] as const;

type Op =
  | { t: 'put'; key: number }
  | { t: 'del'; key: number }
  | { t: 'wait'; ms: number }
  | { t: 'expire' }
  | { t: 'disconnect' }
  | { t: 'drift'; key: number; remove: boolean }
  | { t: 'restart'; keepMemory: boolean; drain: boolean };

interface Faults {
  drop: number;
  dup: number;
  replay: number;
  sinkFail: number;
  /** Malformed watch events and failing lists. */
  garbage: number;
  seed: number;
  concurrency: number;
  debounceMs: number;
}

/** mulberry32: a tiny seeded PRNG so a failing run replays exactly from fast-check's seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Wraps a ListWatch with dropped, duplicated and replayed events, disconnects on demand, and a forced relist
 * (the open watch and the next one fail with ExpiredError). A dropped event followed by later ones is invisible
 * to the informer (its revision moved past it), so only a relist repairs it.
 */
function faultyListWatch(store: MemoryStore<number>, random: () => number, faults: Faults) {
  const open = new Set<AbortController>();
  const state = { on: true, expireNext: false };
  const source: ListWatch<number> = {
    async list(signal) {
      if (state.on && random() < faults.garbage) throw new SourceError('list failed by fault injection', { status: 500 });
      return store.list(signal);
    },
    async *watch(from, signal) {
      if (state.expireNext) {
        state.expireNext = false;
        throw new ExpiredError('forced relist');
      }
      if (signal.aborted) throw signal.reason;
      const inner = new AbortController();
      const onAbort = (): void => inner.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      open.add(inner);
      const seen: WatchEvent<number>[] = [];
      try {
        for await (const event of store.watch(from, inner.signal)) {
          if (state.on && random() < faults.drop) continue;
          if (state.on && random() < faults.garbage) yield { type: 'nonsense', revision: 7 } as unknown as WatchEvent<number>;
          yield event;
          if (state.on && random() < faults.dup) yield event;
          if (state.on && seen.length > 0 && random() < faults.replay) {
            yield seen[Math.floor(random() * seen.length)] as WatchEvent<number>;
          }
          seen.push(event);
        }
      } finally {
        open.delete(inner);
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
  const disconnect = (): void => {
    for (const inner of open) inner.abort(new SourceError('connection reset by fault injection'));
  };
  const forceRelist = (): void => {
    state.expireNext = open.size === 0;
    for (const inner of open) inner.abort(new ExpiredError('forced relist'));
  };
  return { source, state, disconnect, forceRelist };
}

/** An in-memory sink that fails at random and records every violation of version order it receives. */
function recordingSink(clock: VirtualClock, random: () => number, faults: Faults) {
  const state = new Map<string, number>();
  const last = new Map<string, { version: number; deleted: boolean }>();
  const violations: string[] = [];
  const control = { failing: true };
  const sink: Sink<number> & { keys(): string[] } = {
    keys: () => [...state.keys()],
    async observe(key) {
      return state.get(key);
    },
    async apply(key, desired, signal): Promise<ApplyResult> {
      if (random() < 0.3) await sleep(clock, 1 + Math.floor(random() * 3), signal);
      const failing = control.failing && random() < faults.sinkFail;
      const ambiguous = failing && random() < 0.5; // wrote, then the answer was lost
      if (failing && !ambiguous) throw new SinkError('injected failure before write', { status: 503 });
      const prev = last.get(key);
      if (desired !== undefined && prev !== undefined) {
        if (desired < prev.version) violations.push(`${key}: got v${desired} after v${prev.version}`);
        if (desired === prev.version && prev.deleted) violations.push(`${key}: v${desired} resurrected after delete`);
      }
      last.set(key, desired === undefined ? { version: prev?.version ?? 0, deleted: true } : { version: desired, deleted: false });
      const had = state.get(key);
      if (desired === undefined) state.delete(key);
      else state.set(key, desired);
      if (ambiguous) throw new SinkError('injected failure after write', { status: 504 });
      const changed = had !== desired;
      return { added: 0, updated: 0, removed: 0, writes: changed ? 1 : 0 };
    },
  };
  return { sink, state, violations, control };
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('put' as const), key: fc.nat(KEYS.length - 1) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('del' as const), key: fc.nat(KEYS.length - 1) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('expire' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('disconnect' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('drift' as const), key: fc.nat(KEYS.length - 1), remove: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('restart' as const), keepMemory: fc.boolean(), drain: fc.boolean() }),
  },
);

const faultsArb: fc.Arbitrary<Faults> = fc.record({
  drop: fc.constantFrom(0, 0.1, 0.3),
  dup: fc.constantFrom(0, 0.2),
  replay: fc.constantFrom(0, 0.1, 0.3),
  sinkFail: fc.constantFrom(0, 0.2, 0.5),
  garbage: fc.constantFrom(0, 0, 0.2),
  seed: fc.integer(),
  concurrency: fc.integer({ min: 1, max: 3 }),
  debounceMs: fc.constantFrom(0, 0, 20),
});

const RESYNC_MS = 1_000;
/** At least 1,000 runs (CI); raise locally with NITROX_PROPERTY_RUNS=20000 for a deeper search. */
const RUNS = Math.max(1_000, Number(process.env.NITROX_PROPERTY_RUNS ?? 0) || 0);

/** Stop while moving virtual time, so an in-flight apply that sleeps on the clock can finish draining. */
async function stopOnVirtualTime(clock: VirtualClock, controller: Controller<number>, drain: boolean): Promise<void> {
  let stopped = false;
  const stopping = controller.stop({ drain }).then(() => {
    stopped = true;
  });
  await clock.advanceUntil(() => stopped, 60_000);
  await stopping;
}

async function runScenario(ops: Op[], faults: Faults): Promise<{ violations: string[]; stale: number }> {
  const clock = new VirtualClock();
  const random = prng(faults.seed);
  const store = new MemoryStore<number>({ historyLimit: 50 });
  const watch = faultyListWatch(store, random, faults);
  const sink = recordingSink(clock, random, faults);
  const reconcile = sinkReconciler(sink.sink);
  let stale = 0;
  const make = (memory: AppliedVersions | undefined): Controller<number> => {
    const controller = new Controller<number>({
      source: watch.source,
      reconcile,
      clock,
      concurrency: faults.concurrency,
      debounceMs: faults.debounceMs,
      resyncMs: RESYNC_MS,
      actualKeys: () => sink.sink.keys(),
      informer: { random },
      ...(memory === undefined ? {} : { appliedVersions: memory }),
    });
    controller.on('staleDiscarded', () => stale++);
    controller.start();
    return controller;
  };
  let controller = make(undefined);
  for (const op of ops) {
    switch (op.t) {
      case 'put': {
        const key = KEYS[op.key] as string;
        const item = store.put(key, Number(store.revision) + 1);
        if (item.value !== item.version) throw new Error('payload must equal version');
        break;
      }
      case 'del':
        store.delete(KEYS[op.key] as string);
        break;
      case 'wait':
        await clock.advance(op.ms);
        break;
      case 'expire':
        store.expireHistory();
        break;
      case 'disconnect':
        watch.disconnect();
        break;
      case 'drift':
        if (op.remove) sink.state.delete(KEYS[op.key] as string);
        else sink.state.set(KEYS[op.key] as string, -1);
        break;
      case 'restart': {
        await stopOnVirtualTime(clock, controller, op.drain);
        controller = make(op.keepMemory ? controller.appliedVersions : undefined);
        break;
      }
    }
    await clock.flush();
  }
  // Faults stop; a relist repairs what dropped events hid, resync and retries repair the sink.
  watch.state.on = false;
  sink.control.failing = false;
  watch.forceRelist();
  const matches = (actual: ReadonlyMap<string, number>): boolean => {
    if (actual.size !== store.size) return false;
    for (const [key, version] of actual) if (store.get(key)?.version !== version) return false;
    return true;
  };
  const cached = (): Map<string, number> =>
    new Map([...controller.informer.cache.values()].map((item) => [item.key, item.version]));
  const idle = (): boolean => controller.stats.inFlight === 0 && controller.stats.queueDepth === 0;
  // Converged: the informer caught up with the store, and the sink holds exactly the store's state.
  await clock.advanceUntil(
    () => controller.informer.revision === store.revision && matches(cached()) && matches(sink.state) && idle(),
    3_600_000,
  );
  // And it stays so across another full resync pass.
  await clock.advance(RESYNC_MS);
  await clock.advanceUntil(idle, 60_000);
  expect(matches(sink.state)).toBe(true);
  await stopOnVirtualTime(clock, controller, true);
  return { violations: sink.violations, stale };
}

describe('Controller convergence (property)', () => {
  it('converges on the final desired state and never applies an older version, whatever the faults', async () => {
    let stale = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 24 }), faultsArb, async (ops, faults) => {
        const result = await runScenario(ops, faults);
        stale += result.stale;
        expect(result.violations).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    // The stale guard was exercised, not just vacuously satisfied.
    expect(stale).toBeGreaterThan(0);
  }, Math.max(60_000, RUNS * 10));

  it('converges in a scripted worst case: replays, expiry, restart without memory, drift', async () => {
    const ops: Op[] = [
      { t: 'put', key: 0 },
      { t: 'put', key: 1 },
      { t: 'wait', ms: 50 },
      { t: 'del', key: 0 },
      { t: 'put', key: 0 },
      { t: 'disconnect' },
      { t: 'wait', ms: 900 },
      { t: 'drift', key: 2, remove: false },
      { t: 'restart', keepMemory: false, drain: false },
      { t: 'put', key: 1 },
      { t: 'expire' },
      { t: 'wait', ms: 1_500 },
      { t: 'del', key: 1 },
    ];
    const faults: Faults = { drop: 0.3, dup: 0.2, replay: 0.3, sinkFail: 0.5, garbage: 0.2, seed: 7, concurrency: 2, debounceMs: 20 };
    const result = await runScenario(ops, faults);
    expect(result.violations).toEqual([]);
  });
});
