import { describe, expect, it } from 'vitest';
import { AppliedVersions } from './applied-versions.js';
import { sleep, VirtualClock } from './clock.js';
import { Controller } from './controller.js';
import type { ControllerOptions, ReconcileContext, ReconcileFn } from './controller-options.js';
import { ConfigError, ExpiredError, MalformedEventError, SinkError } from './errors.js';
import { Informer } from './informer.js';
import type { ListResult, ListWatch, Versioned, WatchEvent } from './list-watch.js';
import { MemoryStore } from './memory-store.js';
import { exponentialBackoff } from './rate-limiter.js';
import { RequeueError, withRequeueAfter } from './requeue-error.js';

interface Call {
  key: string;
  version: number | undefined;
  value: string | undefined;
  reason: ReconcileContext['reason'];
  attempt: number;
  at: number;
  /** The store's value when reconcile ran. */
  latest: string | undefined;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A controller over a MemoryStore on virtual time; `body` (optional) runs inside reconcile after recording. */
function setup(
  options: Partial<ControllerOptions<string>> & { body?: (key: string, ctx: ReconcileContext) => Promise<unknown> } = {},
) {
  const clock = new VirtualClock();
  const store = new MemoryStore<string>();
  const calls: Call[] = [];
  const { body, ...rest } = options;
  const reconcile: ReconcileFn<string> = async (key, desired, ctx) => {
    calls.push({
      key,
      version: desired?.version,
      value: desired?.value,
      reason: ctx.reason,
      attempt: ctx.attempt,
      at: clock.now(),
      latest: store.get(key)?.value,
    });
    return body === undefined ? undefined : ((await body(key, ctx)) as undefined);
  };
  const controller = new Controller<string>({ source: store, clock, reconcile, ...rest });
  const boot = async (): Promise<void> => {
    controller.start();
    await clock.advanceUntil(() => controller.informer.hasSynced());
    await clock.flush();
  };
  return { clock, store, calls, controller, boot };
}

/** A MemoryStore behind a watch that can drop events, inject old ones, and be forced to relist. */
function scripted() {
  const store = new MemoryStore<string>();
  const inject: WatchEvent<string>[] = [];
  const log: WatchEvent<string>[] = [];
  let dropping = 0;
  let open: AbortController | undefined;
  let expireNext = false;
  let olderList: ListResult<string> | undefined;
  const source: ListWatch<string> & { log: WatchEvent<string>[] } = {
    log,
    list: async (signal) => {
      const older = olderList;
      olderList = undefined;
      return older ?? store.list(signal);
    },
    async *watch(from, signal) {
      if (expireNext) {
        expireNext = false;
        throw new ExpiredError('forced relist');
      }
      if (signal.aborted) throw signal.reason;
      const inner = new AbortController();
      signal.addEventListener('abort', () => inner.abort(signal.reason), { once: true });
      open = inner;
      for await (const event of store.watch(from, inner.signal)) {
        if (dropping > 0) {
          dropping--;
          continue;
        }
        log.push(event);
        yield event;
        while (inject.length > 0) yield inject.shift() as WatchEvent<string>;
      }
    },
  };
  const relist = (): void => {
    if (open !== undefined && !open.signal.aborted) open.abort(new ExpiredError('forced relist'));
    else expireNext = true;
  };
  /** The next list answers with `snapshot`: an older, consistent read (a cache, a lagging replica). */
  const listOnce = (snapshot: ListResult<string>): void => {
    olderList = snapshot;
  };
  return { store, source, inject, relist, listOnce, drop: (n: number) => (dropping = n) };
}

/** A started controller over `source` recording `key=value` per reconcile. */
async function over(source: ListWatch<string>) {
  const clock = new VirtualClock();
  const seen: string[] = [];
  const controller = new Controller<string>({
    source,
    clock,
    reconcile: async (key, desired) => {
      seen.push(`${key}=${desired?.value}`);
    },
  });
  controller.start();
  await clock.advanceUntil(() => controller.informer.hasSynced());
  return { controller, seen, clock };
}

describe('Controller: level-triggered scheduling', () => {
  it('reconciles the latest cached state; a change during a reconcile runs once more afterwards', async () => {
    const gate = deferred();
    let first = true;
    const { store, calls, controller, boot, clock } = setup({
      body: async () => {
        if (first) {
          first = false;
          await gate.promise;
        }
      },
    });
    store.put('a', 'v1');
    await boot();
    expect(calls.map((c) => c.value)).toEqual(['v1']);
    store.put('a', 'v2');
    store.put('a', 'v3');
    await clock.flush();
    expect(calls).toHaveLength(1); // never concurrently
    gate.resolve();
    await clock.flush();
    expect(calls.map((c) => c.value)).toEqual(['v1', 'v3']); // v2 was never executed
    expect(calls[1]?.reason).toBe('change');
    await controller.stop();
  });

  it('never runs one key twice at once, but runs up to `concurrency` keys in parallel', async () => {
    const active = new Map<string, number>();
    let overall = 0;
    let maxOverall = 0;
    let maxPerKey = 0;
    const { store, calls, controller, boot, clock } = setup({
      concurrency: 3,
      body: async (key) => {
        const n = (active.get(key) ?? 0) + 1;
        active.set(key, n);
        overall++;
        maxPerKey = Math.max(maxPerKey, n);
        maxOverall = Math.max(maxOverall, overall);
        await sleep(clock, 10);
        active.set(key, n - 1);
        overall--;
      },
    });
    for (const k of ['a', 'b', 'c', 'd', 'e']) store.put(k, `${k}1`);
    await boot();
    for (let i = 2; i < 6; i++) {
      for (const k of ['a', 'b', 'c', 'd', 'e']) store.put(k, `${k}${i}`);
      await clock.advance(3);
    }
    await clock.advanceUntil(() => controller.stats.queueDepth === 0 && controller.stats.inFlight === 0);
    expect(maxPerKey).toBe(1);
    expect(maxOverall).toBe(3);
    for (const k of ['a', 'b', 'c', 'd', 'e']) expect(calls.filter((c) => c.key === k).at(-1)?.value).toBe(`${k}5`);
    await controller.stop();
  });

  it('with idle workers to spare, a change during a reconcile waits for it, then runs once with the newest state', async () => {
    const gate = deferred();
    let active = 0;
    let maxActive = 0;
    let blockFirst = true;
    const { store, calls, controller, boot, clock } = setup({
      concurrency: 4,
      body: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        if (blockFirst) {
          blockFirst = false;
          await gate.promise;
        }
        active--;
      },
    });
    store.put('a', 'v1');
    await boot();
    expect(calls.map((c) => c.value)).toEqual(['v1']);
    store.put('a', 'v2');
    store.put('a', 'v3');
    await clock.flush();
    // Three workers are idle, yet none takes the key while its first run is in flight.
    expect(calls).toHaveLength(1);
    expect(controller.stats.inFlight).toBe(1);
    gate.resolve();
    await clock.advanceUntil(() => controller.stats.inFlight === 0 && controller.stats.queueDepth === 0);
    expect(calls.map((c) => c.value)).toEqual(['v1', 'v3']);
    expect(maxActive).toBe(1);
    await controller.stop();
  });

  it('coalesces a burst within the debounce window into one reconcile of the newest state', async () => {
    const { store, calls, controller, boot, clock } = setup({ debounceMs: 50 });
    await boot();
    for (let i = 1; i <= 10; i++) {
      store.put('a', `v${i}`);
      await clock.advance(5);
    }
    await clock.advance(100);
    expect(calls.map((c) => c.value)).toEqual(['v10']);
    expect(calls[0]?.at).toBe(45 + 50); // last touch at 45, quiet for 50
    await controller.stop();
  });

  it('bounds the debounce by maxWaitMs under constant churn', async () => {
    const { store, calls, controller, boot, clock } = setup({ debounceMs: 50, maxWaitMs: 200 });
    await boot();
    for (let i = 1; i <= 100; i++) {
      store.put('a', `v${i}`);
      await clock.advance(10); // never quiet for 50 ms
    }
    // 1000 ms of churn with a 200 ms bound: about five reconciles, each of the state current at that time.
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.length).toBeLessThanOrEqual(6);
    for (const call of calls) expect(call.value).toBe(call.latest);
    expect(calls.at(-1)?.value).toBe('v100');
    await controller.stop();
  });
});

describe('Controller: applied versions', () => {
  it('discards a state older than the applied one, even on resync, and counts it', async () => {
    const applied = new AppliedVersions();
    applied.record('a', { version: 100, deleted: false });
    const { store, calls, controller, boot, clock } = setup({ appliedVersions: applied, resyncMs: 1_000 });
    const events: unknown[] = [];
    controller.on('staleDiscarded', (e) => events.push(e));
    store.put('a', 'old'); // version 1 < 100: a lagging source after a restart
    await boot();
    await clock.advance(1_000); // a resync pass does not bypass the stale check
    expect(calls).toEqual([]);
    expect(controller.stats.staleDiscarded).toBe(2);
    expect(events[0]).toEqual({
      key: 'a',
      candidate: { version: 1, deleted: false },
      applied: { version: 100, deleted: false },
      reason: 'change',
    });
    await controller.stop();
  });

  it('discards a stale copy delivered by a faulty watch after the newer one was applied', async () => {
    // A source whose watch replays an old event: the informer's cache regresses, the controller refuses it.
    const store = new MemoryStore<string>();
    const clock = new VirtualClock();
    const replay: WatchEvent<string>[] = [];
    const faulty: ListWatch<string> = {
      list: (signal) => store.list(signal),
      async *watch(from, signal) {
        for await (const event of store.watch(from, signal)) {
          yield event;
          if (event.type !== 'bookmark') replay.push(event);
          if (replay.length === 2) yield replay[0] as WatchEvent<string>; // the old 'added' again, late
        }
      },
    };
    const seen: (string | undefined)[] = [];
    const controller = new Controller<string>({
      source: faulty,
      clock,
      reconcile: async (_k, desired) => {
        seen.push(desired?.value);
      },
    });
    controller.start();
    await clock.advanceUntil(() => controller.informer.hasSynced());
    store.put('a', 'one');
    await clock.flush();
    store.put('a', 'two');
    await clock.flush();
    expect(seen).toEqual(['one', 'two']);
    expect(controller.stats.staleDiscarded).toBe(1);
    await controller.stop();
  });

  it('discards a late copy of an old deletion after a re-add, and a relist restores the cache', async () => {
    const { store, source, inject, relist } = scripted();
    const { controller, seen, clock } = await over(source);
    store.put('a', 'v1');
    await clock.flush();
    store.delete('a');
    await clock.flush();
    store.put('a', 'v3');
    await clock.flush();
    inject.push(source.log[1] as WatchEvent<string>); // the old 'deleted', replayed after the re-add
    store.put('tick', 'x');
    await clock.flush();
    expect(controller.informer.cache.has('a')).toBe(false); // the cache regressed...
    expect(controller.stats.staleDiscarded).toBe(1); // ...but the sink keeps v3
    relist();
    await clock.advanceUntil(() => controller.informer.cache.has('a'));
    await clock.flush();
    expect(seen.filter((s) => s.startsWith('a='))).toEqual(['a=v1', 'a=undefined', 'a=v3']);
    expect(controller.stats.skipped).toBe(1); // the relisted a@3 was already applied
    await controller.stop();
  });

  it('applies a deletion found by a relist even when the cache had regressed below the applied version', async () => {
    const { store, source, inject, relist, drop } = scripted();
    const { controller, seen, clock } = await over(source);
    store.put('a', 'v1');
    await clock.flush();
    store.put('a', 'v2');
    await clock.flush();
    inject.push(source.log[0] as WatchEvent<string>); // the old 'added a@1' replayed: cache regresses
    store.put('tick', 'x');
    await clock.flush();
    expect(controller.stats.staleDiscarded).toBe(1);
    drop(1);
    store.delete('a'); // its event is lost
    await clock.flush();
    relist(); // the sweep reports a@1 deleted: older than the applied v2, yet a list is authoritative
    await clock.advanceUntil(() => seen.includes('a=undefined'));
    expect(seen.filter((s) => s.startsWith('a='))).toEqual(['a=v1', 'a=v2', 'a=undefined']);
    await controller.stop();
  });

  it('re-applies a value that an older relist hid: an inferred deletion does not outrank it', async () => {
    const { store, source, relist, listOnce } = scripted();
    const beforeA = await store.list(new AbortController().signal); // a consistent snapshot without 'a'
    const { controller, seen, clock } = await over(source);
    store.put('a', 'A');
    await clock.advanceUntil(() => seen.includes('a=A'));
    listOnce(beforeA);
    relist(); // the relist answers with the older snapshot: 'a' looks deleted, and is removed from the sink
    await clock.advanceUntil(() => seen.includes('a=undefined'));
    // The watch from the older revision brings a@1 back: the same version as the inferred deletion.
    await clock.advanceUntil(() => seen.filter((s) => s === 'a=A').length === 2, 10_000);
    expect(seen.filter((s) => s.startsWith('a='))).toEqual(['a=A', 'a=undefined', 'a=A']);
    expect(controller.informer.cache.get('a')?.version).toBe(1);
    expect(controller.stats.staleDiscarded).toBe(0);
    await controller.stop();
  });

  it('still refuses a value after a deletion the source reported for the same version', async () => {
    const { store, source, inject } = scripted();
    const { controller, seen, clock } = await over(source);
    store.put('a', 'A');
    await clock.flush();
    store.delete('a');
    await clock.flush();
    inject.push(source.log[0] as WatchEvent<string>); // a late copy of 'added a@1' after its reported deletion
    store.put('tick', 'x');
    await clock.flush();
    expect(seen.filter((s) => s.startsWith('a='))).toEqual(['a=A', 'a=undefined']);
    expect(controller.stats.staleDiscarded).toBe(1);
    await controller.stop();
  });

  it('applies versions of a restarted source (new epoch) instead of refusing them against the old numbering', async () => {
    const clock = new VirtualClock();
    const withEpoch = (store: MemoryStore<string>, epoch: string): ListWatch<string> => ({
      list: async (signal) => ({ ...(await store.list(signal)), epoch }),
      watch: (from, signal) => store.watch(from, signal),
    });
    const seen: string[] = [];
    const reconcile: ReconcileFn<string> = async (key, desired) => {
      seen.push(`${key}=${desired?.value}`);
    };
    const first = new MemoryStore<string>();
    for (let i = 1; i <= 5; i++) first.put('a', `old${i}`);
    first.put('gone', 'x');
    const before = new Controller<string>({ source: withEpoch(first, 'e1'), clock, reconcile });
    before.start();
    await clock.advanceUntil(() => seen.includes('a=old5') && seen.includes('gone=x'));
    await before.stop();
    expect(before.appliedVersions.get('a')).toEqual({ version: 5, deleted: false });

    // The source restarts and numbers its keys from the start again: a@1 is newer than the a@5 applied before.
    const second = new MemoryStore<string>();
    second.put('a', 'new');
    const after = new Controller<string>({
      source: withEpoch(second, 'e2'),
      clock,
      reconcile,
      appliedVersions: before.appliedVersions,
    });
    after.start();
    await clock.advanceUntil(() => seen.includes('a=new') && seen.includes('gone=undefined'), 10_000);
    expect(after.stats.staleDiscarded).toBe(0);
    expect(after.appliedVersions.epoch).toBe('e2');
    second.put('a', 'newer');
    await clock.advanceUntil(() => seen.includes('a=newer'));
    await after.stop();
  });

  it('skips a redelivered applied version, but a resync pass always reaches reconcile', async () => {
    const { store, calls, controller, boot, clock } = setup({ resyncMs: 1_000 });
    const skipped: unknown[] = [];
    controller.on('skipped', (e) => skipped.push(e));
    store.put('a', 'v1');
    await boot();
    controller.trigger('a'); // an interrupt that carries no new state
    await clock.flush();
    expect(calls).toHaveLength(1);
    expect(controller.stats.skipped).toBe(1);
    expect(skipped).toEqual([{ key: 'a', candidate: { version: 1, deleted: false } }]);
    await clock.advance(1_000);
    expect(calls.map((c) => [c.value, c.reason])).toEqual([
      ['v1', 'change'],
      ['v1', 'resync'],
    ]);
    await controller.stop();
  });

  it('reconciles a deletion once, and a later re-add goes through', async () => {
    const { store, calls, controller, boot, clock } = setup();
    store.put('a', 'v1');
    await boot();
    store.delete('a');
    await clock.flush();
    controller.trigger('a');
    await clock.flush();
    store.put('a', 'v2');
    await clock.flush();
    expect(calls.map((c) => c.value)).toEqual(['v1', undefined, 'v2']);
    expect(controller.stats.skipped).toBe(1);
    expect(controller.appliedVersions.get('a')).toEqual({ version: 3, deleted: false });
    await controller.stop();
  });

  it('after a restart with the same memory, deletes keys that vanished while it was down', async () => {
    const first = setup();
    first.store.put('gone', 'x');
    first.store.put('kept', 'y');
    await first.boot();
    await first.controller.stop();
    first.store.delete('gone');
    const calls: (string | undefined)[] = [];
    const second = new Controller<string>({
      source: first.store,
      clock: first.clock,
      appliedVersions: first.controller.appliedVersions,
      reconcile: async (key, desired) => {
        calls.push(`${key}=${desired?.value}`);
      },
    });
    second.start();
    await first.clock.advanceUntil(() => second.stats.reconciles > 0);
    expect(calls).toEqual(['gone=undefined']); // 'kept' is already applied at its version: skipped
    await first.clock.flush();
    expect(second.stats.skipped).toBe(1);
    await second.stop();
  });

  it('removes orphans reported by actualKeys (a fresh controller without memory)', async () => {
    const { store, calls, controller, boot } = setup({ actualKeys: async () => ['orphan', 'a'] });
    store.put('a', 'v1');
    await boot();
    expect(calls.map((c) => [c.key, c.value, c.reason])).toEqual([
      ['a', 'v1', 'change'],
      ['orphan', undefined, 'resync'],
    ]);
    await controller.stop();
  });
});

describe('Controller: failures, retries and requeues', () => {
  it('retries with per-key backoff that resets on success', async () => {
    let failuresLeft = 3;
    const { store, calls, controller, boot, clock } = setup({
      rateLimiter: exponentialBackoff({ baseMs: 100, maxMs: 10_000 }),
      body: async () => {
        if (failuresLeft-- > 0) throw new SinkError('down');
      },
    });
    const errors: unknown[] = [];
    controller.on('error', (_e, info) => errors.push(info.retryInMs));
    store.put('a', 'v1');
    await boot();
    await clock.advanceUntil(() => controller.stats.lastSuccessAt !== undefined);
    expect(calls.map((c) => [c.at, c.reason, c.attempt])).toEqual([
      [0, 'change', 1],
      [100, 'retry', 2],
      [300, 'retry', 3],
      [700, 'retry', 4],
    ]);
    expect(errors).toEqual([100, 200, 400]);
    expect(controller.stats.reconcileErrors).toBe(3);
    failuresLeft = 1;
    store.put('a', 'v2');
    await clock.advanceUntil(() => calls.length === 6);
    expect(calls.slice(4).map((c) => [c.at - 700, c.attempt])).toEqual([
      [0, 1],
      [100, 2], // backoff started over
    ]);
    await controller.stop();
  });

  it('honours requeueAfterMs carried by a thrown error without advancing the backoff', async () => {
    const script: (() => void)[] = [
      () => {
        throw new RequeueError(5_000, 'locked');
      },
      () => {
        throw withRequeueAfter(new SinkError('busy', { status: 503 }), 2_000);
      },
      () => {
        throw new SinkError('plain failure');
      },
    ];
    const { store, calls, controller, boot, clock } = setup({
      rateLimiter: exponentialBackoff({ baseMs: 100 }),
      body: async () => script.shift()?.(),
    });
    const retryIn: unknown[] = [];
    controller.on('error', (_e, info) => retryIn.push(info.retryInMs));
    store.put('a', 'v1');
    await boot();
    await clock.advanceUntil(() => controller.stats.lastSuccessAt !== undefined);
    expect(calls.map((c) => [c.at, c.reason, c.attempt])).toEqual([
      [0, 'change', 1],
      [5_000, 'retry', 2],
      [7_000, 'retry', 3],
      [7_100, 'retry', 4], // first backoff step: the explicit delays did not advance it
    ]);
    expect(retryIn).toEqual([5_000, 2_000, 100]);
    expect(controller.stats.reconcileErrors).toBe(3);
    await controller.stop();
  });

  it('requeues after requeueAfterMs returned on success', async () => {
    let n = 0;
    const { store, calls, controller, boot, clock } = setup({
      body: async () => (n++ < 2 ? { requeueAfterMs: 1_000 } : undefined),
    });
    store.put('a', 'v1');
    await boot();
    await clock.advance(5_000);
    expect(calls.map((c) => [c.at, c.reason])).toEqual([
      [0, 'change'],
      [1_000, 'requeue'],
      [2_000, 'requeue'],
    ]);
    expect(controller.stats.requeues).toBe(2);
    await controller.stop();
  });

  it('runs a change during backoff at once; if it fails too, the backoff is neither escalated nor cut short', async () => {
    let fail = true;
    const limiter = exponentialBackoff({ baseMs: 100 });
    const { store, calls, controller, boot, clock } = setup({
      rateLimiter: limiter,
      body: async () => {
        if (fail) throw new SinkError('down');
      },
    });
    const retryIn: unknown[] = [];
    controller.on('error', (_e, info) => retryIn.push(info.retryInMs));
    store.put('a', 'v1');
    await boot(); // fails at 0, retry at 100
    await clock.advance(100); // fails at 100, retry at 300
    await clock.advance(50);
    store.put('a', 'v2'); // t=150, during backoff: runs now, with the newest state
    await clock.flush();
    store.put('a', 'v3'); // t=150 again: another trigger, another early run
    await clock.flush();
    expect(calls.map((c) => [c.at, c.value, c.reason, c.attempt])).toEqual([
      [0, 'v1', 'change', 1],
      [100, 'v1', 'retry', 2],
      [150, 'v2', 'change', 3],
      [150, 'v3', 'change', 4],
    ]);
    expect(retryIn).toEqual([100, 200, 150, 150]); // the triggered failures keep the retry due at 300
    expect(limiter.numRequeues('a')).toBe(2); // only the two real failures advanced the backoff
    await clock.advance(150);
    expect(calls.at(-1)).toMatchObject({ at: 300, reason: 'retry', attempt: 5 });
    await clock.advance(399); // the next step is 400 ms after 300: no run before 700
    expect(calls).toHaveLength(5);
    fail = false;
    await clock.advance(1);
    expect(calls.at(-1)).toMatchObject({ at: 700, value: 'v3', reason: 'retry' });
    expect(limiter.numRequeues('a')).toBe(0); // success forgets
    await controller.stop();
  });
});

describe('Controller: stop, resync and bad input', () => {
  it('stop() drains in-flight work without aborting it and takes no new work', async () => {
    const gate = deferred();
    let signal: AbortSignal | undefined;
    const { store, calls, controller, boot, clock } = setup({
      body: async (_k, ctx) => {
        signal = ctx.signal;
        await gate.promise;
      },
    });
    store.put('a', 'v1');
    await boot();
    let stopped = false;
    const stopping = controller.stop().then(() => {
      stopped = true;
    });
    store.put('a', 'v2');
    store.put('b', 'v1');
    await clock.flush();
    expect(stopped).toBe(false);
    expect(signal?.aborted).toBe(false);
    gate.resolve();
    await stopping;
    expect(calls.map((c) => c.value)).toEqual(['v1']);
    expect(controller.stats.reconciles).toBe(1);
  });

  it('stop({ drain: false }) aborts the signal of in-flight work', async () => {
    const { store, controller, boot } = setup({
      body: (_k, ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    });
    const errors: Error[] = [];
    controller.on('error', (e) => errors.push(e));
    store.put('a', 'v1');
    await boot();
    await controller.stop({ drain: false });
    expect(errors[0]?.name).toBe('ShutdownError');
    expect(controller.stats.pendingRetries).toBe(0); // no retry is scheduled while stopping
  });

  it('stop() right after start() resolves, whenever it lands in the first list', async () => {
    for (let ticks = 0; ticks < 12; ticks++) {
      const { store, controller, clock } = setup();
      store.put('a', 'v1');
      controller.start();
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      let stopped = false;
      const stopping = controller.stop().then(() => {
        stopped = true;
      });
      await clock.advanceUntil(() => stopped, 1_000);
      await stopping;
      expect(stopped).toBe(true);
    }
  });

  it('keeps live changes moving while a large resync backlog waits in the low lane', async () => {
    const { store, calls, controller, boot, clock } = setup({
      resyncMs: 60_000,
      body: () => sleep(clock, 1),
    });
    for (let i = 0; i < 1_000; i++) store.put(`k${i}`, 'v1');
    await boot();
    await clock.advanceUntil(() => controller.stats.queueDepth === 0 && controller.stats.inFlight === 0);
    const before = calls.length;
    await clock.advance(60_000 - clock.now()); // the resync pass queues 1,000 keys
    expect(controller.stats.queueDepth).toBeGreaterThan(900);
    store.put('k500', 'live');
    await clock.advanceUntil(() => calls.some((c) => c.value === 'live'));
    const position = calls.findIndex((c) => c.value === 'live') - before;
    expect(position).toBeLessThan(10); // not after the 1,000 resync items
    await clock.advanceUntil(() => controller.stats.queueDepth === 0 && controller.stats.inFlight === 0);
    const after = calls.slice(before);
    expect(new Set(after.map((c) => c.key)).size).toBe(1_000); // the resync also completes
    expect(after.filter((c) => c.reason === 'resync')).toHaveLength(999); // k500 ran as a change
    await controller.stop();
  });

  it('the initial catch-up of every cached key waits in the low lane too', async () => {
    const { store, calls, controller, clock } = setup({ body: () => sleep(clock, 1) });
    for (let i = 0; i < 1_000; i++) store.put(`k${i}`, 'v1');
    controller.start();
    await clock.advanceUntil(() => controller.informer.hasSynced() && calls.length > 0);
    store.put('k999', 'live');
    await clock.advanceUntil(() => calls.some((c) => c.value === 'live'));
    expect(calls.findIndex((c) => c.value === 'live')).toBeLessThan(10); // not after the 1,000 catch-up keys
    await clock.advanceUntil(() => controller.stats.queueDepth === 0 && controller.stats.inFlight === 0);
    expect(new Set(calls.map((c) => c.key)).size).toBe(1_000);
    await controller.stop();
  });

  it('a resync backlog still progresses while live changes never stop (no starvation either way)', async () => {
    const { store, calls, controller, boot, clock } = setup({
      resyncMs: 60_000,
      body: () => sleep(clock, 1),
    });
    for (let i = 0; i < 500; i++) store.put(`k${i}`, 'v1');
    await boot();
    await clock.advanceUntil(() => controller.stats.queueDepth === 0 && controller.stats.inFlight === 0);
    await clock.advance(60_000 - clock.now()); // the resync pass queues 500 keys
    const before = calls.length;
    // 200 ms of churn, 5 live changes per ms: more than the one worker can do, so the high lane never empties.
    for (let ms = 0; ms < 200; ms++) {
      for (let j = 0; j < 5; j++) store.put(`hot${j}`, `v${ms}`);
      await clock.advance(1);
    }
    const during = calls.slice(before);
    const resyncs = during.filter((c) => c.reason === 'resync').length;
    const changes = during.filter((c) => c.reason === 'change').length;
    expect(resyncs).toBeGreaterThanOrEqual(20); // the low lane gets its share (0.2 by default)
    expect(changes).toBeGreaterThan(resyncs); // and live changes keep most of the worker
    let stopped = false;
    const stopping = controller.stop().then(() => {
      stopped = true;
    });
    await clock.advanceUntil(() => stopped); // the reconcile in flight sleeps on virtual time
    await stopping;
  });

  it('reports malformed events and source failures as typed errors and goes on', async () => {
    const store = new MemoryStore<string>();
    const clock = new VirtualClock();
    let watches = 0;
    const bad: ListWatch<string> = {
      list: (signal) => store.list(signal),
      async *watch(from, signal) {
        watches++;
        if (watches === 1) {
          yield { type: 'weird', revision: from } as unknown as WatchEvent<string>;
          yield { type: 'added', revision: from, item: { key: 'x' } } as unknown as WatchEvent<string>;
          throw new Error('connection reset');
        }
        yield* store.watch(from, signal);
      },
    };
    const seen: string[] = [];
    const controller = new Controller<string>({
      source: bad,
      clock,
      informer: { random: () => 0.5 },
      reconcile: async (key, desired) => {
        seen.push(`${key}=${desired?.value}`);
      },
    });
    const errors: [string, string][] = [];
    controller.on('error', (e, info) => errors.push([e.name, info.phase]));
    controller.start();
    await clock.advanceUntil(() => controller.informer.hasSynced());
    await clock.advance(60_000); // past the reconnect backoff
    store.put('a', 'ok');
    await clock.advanceUntil(() => seen.length > 0);
    expect(seen).toEqual(['a=ok']);
    expect(errors).toEqual([
      ['MalformedEventError', 'source'],
      ['MalformedEventError', 'source'],
      ['SourceError', 'source'],
    ]);
    expect(controller.stats.sourceErrors).toBe(3);
    expect(new MalformedEventError('x')).toBeInstanceOf(Error);
    await controller.stop();
  });

  it('exposes stats for metrics: counters, durations, per-key and overall last success', async () => {
    const { store, controller, boot, clock } = setup({ concurrency: 2, body: () => sleep(clock, 25) });
    const durations: number[] = [];
    controller.on('reconciled', (e) => durations.push(e.durationMs));
    store.put('a', '1');
    store.put('b', '1');
    store.put('c', '1');
    await boot();
    expect(controller.stats.inFlight).toBe(2);
    expect(controller.stats.queueDepth).toBe(1);
    await clock.advanceUntil(() => controller.stats.reconciles === 3);
    expect(durations).toEqual([25, 25, 25]);
    expect(controller.stats).toMatchObject({
      reconciles: 3,
      reconcileErrors: 0,
      durationMsTotal: 75,
      durationMsMax: 25,
      lastSuccessAt: 50,
      queueDepth: 0,
      inFlight: 0,
    });
    expect(controller.lastSuccessAt('a')).toBe(25);
    expect(controller.lastSuccessAt('c')).toBe(50);
    expect(controller.lastSuccessAt('zzz')).toBeUndefined();
    await controller.stop();
  });

  it('survives a throwing event listener', async () => {
    const { store, calls, controller, boot, clock } = setup();
    controller.on('reconciled', () => {
      throw new Error('listener bug');
    });
    store.put('a', '1');
    await boot();
    store.put('b', '1');
    await clock.flush();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b']);
    await controller.stop();
  });

  it('listens to a shared Informer without starting or stopping it', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore<string>();
    store.put('a', '1');
    const informer = new Informer<string>(store, { clock });
    const seen: Versioned<string>[] = [];
    const controller = new Controller<string>({
      source: informer,
      clock,
      reconcile: async (_k, d) => {
        if (d) seen.push(d);
      },
    });
    controller.start();
    await clock.flush();
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await clock.advanceUntil(() => seen.length === 1);
    await controller.stop();
    store.put('b', '1');
    await clock.flush();
    expect(informer.cache.has('b')).toBe(true); // still running
    expect(seen).toHaveLength(1);
    await informer.stop();
  });

  it('validates options eagerly with a ConfigError naming the option', () => {
    const store = new MemoryStore<string>();
    const reconcile = async (): Promise<void> => {};
    const bad: [Partial<ControllerOptions<string>>, string][] = [
      [{ concurrency: 0 }, 'concurrency'],
      [{ concurrency: 1.5 }, 'concurrency'],
      [{ debounceMs: -1 }, 'debounceMs'],
      [{ debounceMs: 100, maxWaitMs: 50 }, 'maxWaitMs'],
      [{ resyncMs: Number.NaN }, 'resyncMs'],
      [{ source: {} as ListWatch<string> }, 'source'],
      [{ reconcile: 'no' as unknown as ReconcileFn<string> }, 'reconcile'],
    ];
    for (const [options, path] of bad) {
      let error: unknown;
      try {
        new Controller<string>({ source: store, reconcile, ...options });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).path).toBe(path);
    }
    expect(() => new RequeueError(-1)).toThrow(RangeError);
  });
});
