/**
 * A source whose watches are cut every 40 s for 20 minutes (a flaky proxy, an API server restarting behind a load
 * balancer) must never be left without an open watch for more than a moment: a stream cut after it was healthy is
 * re-opened at once from its revision, and the failure count behind the backoff is of consecutive failures. The
 * backoff used to count time since its last reset (2 min of health), so faults every 40 s grew every reconnect
 * delay towards a minute. Runs on virtual time: what is measured is the simulated gap, not the machine's speed.
 */
import { describe, expect, it } from 'vitest';
import { sleep, VirtualClock } from '../src/clock.js';
import { SourceError } from '../src/errors.js';
import { Informer } from '../src/informer.js';
import type { ListResult, ListWatch, WatchEvent } from '../src/list-watch.js';
import { MemoryStore } from '../src/memory-store.js';

/** A MemoryStore behind a connection that the test can cut; it records how long no watch was open. */
class CuttableSource<T> implements ListWatch<T> {
  readonly #cuts = new Set<AbortController>();
  #open = 0;
  #closedAt: number | undefined;
  longestGapMs = 0;
  watches = 0;

  constructor(
    readonly store: MemoryStore<T>,
    readonly clock: VirtualClock,
  ) {
    this.#closedAt = clock.now();
  }

  list(signal: AbortSignal): Promise<ListResult<T>> {
    return this.store.list(signal);
  }

  async *watch(fromRevision: string, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const cut = new AbortController();
    this.#cuts.add(cut);
    this.watches++;
    if (this.#open++ === 0 && this.#closedAt !== undefined) {
      this.longestGapMs = Math.max(this.longestGapMs, this.clock.now() - this.#closedAt);
      this.#closedAt = undefined;
    }
    try {
      yield* this.store.watch(fromRevision, AbortSignal.any([signal, cut.signal]));
    } catch (error) {
      if (cut.signal.aborted && !signal.aborted) throw new SourceError('connection reset by peer');
      throw error;
    } finally {
      this.#cuts.delete(cut);
      if (--this.#open === 0) this.#closedAt = this.clock.now();
    }
  }

  /** Cut every open watch, as a proxy dropping its connections does. */
  cutAll(): void {
    for (const cut of this.#cuts) cut.abort();
  }
}

async function run(changesPerSecond: number) {
  const clock = new VirtualClock();
  const store = new MemoryStore<number>();
  const source = new CuttableSource(store, clock);
  const informer = new Informer(source, { clock, random: () => 0.999 });
  const errors: Error[] = [];
  let reconnects = 0;
  let longestDownMs = 0;
  informer.on('error', (e) => errors.push(e));
  informer.on('reconnected', (downMs) => {
    reconnects++;
    longestDownMs = Math.max(longestDownMs, downMs);
  });
  informer.start();
  await clock.advanceUntil(() => informer.hasSynced());
  let longestLagMs = 0;
  for (let second = 1; second <= 20 * 60; second++) {
    for (let i = 0; i < changesPerSecond; i++) store.put(`k${i}`, second);
    const changedAt = clock.now();
    await clock.advance(1_000);
    if (second % 40 === 20) source.cutAll();
    if (changesPerSecond > 0) {
      // How long until the informer's cache holds this second's change (0 when it already does).
      await clock.advanceUntil(() => informer.cache.get('k0')?.value === second);
      longestLagMs = Math.max(longestLagMs, clock.now() - changedAt - 1_000);
    }
  }
  const synced = informer.revision === store.revision;
  await informer.stop();
  return { source, errors, reconnects, longestDownMs, longestLagMs, synced };
}

describe('watches cut every 40 s for 20 minutes', () => {
  it('with changes flowing, the source is never without an open watch for more than a moment', async () => {
    const { source, errors, reconnects, longestDownMs, longestLagMs, synced } = await run(5);
    expect(errors).toHaveLength(30); // every cut is reported
    expect(source.watches).toBe(31); // and re-watched exactly once, from its revision
    expect(source.longestGapMs).toBeLessThanOrEqual(2_000);
    expect(longestLagMs).toBeLessThanOrEqual(2_000);
    expect(longestDownMs).toBeLessThanOrEqual(2_000);
    expect(reconnects).toBe(31); // the first list, then once after each cut
    expect(synced).toBe(true);
  }, 60_000);

  it('a quiet source (no events) is re-watched at once too', async () => {
    const { source, errors, longestDownMs } = await run(0);
    expect(errors).toHaveLength(30);
    expect(source.watches).toBe(31);
    expect(source.longestGapMs).toBeLessThanOrEqual(2_000);
    expect(longestDownMs).toBeLessThanOrEqual(2_000);
  }, 60_000);
});

describe('a watch that is never established', () => {
  it('is not healthy however long it hangs: contact stays lost and the reconnect backoff keeps growing', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore<number>();
    const attempts: number[] = [];
    let partitioned = false;
    // A partition: the connect hangs for 10 s and then fails, and the peer never accepts the watch.
    const source: ListWatch<number> = {
      list: (signal) => store.list(signal),
      watch(fromRevision, signal) {
        attempts.push(clock.now());
        if (!partitioned) return Object.assign(store.watch(fromRevision, signal), { established: Promise.resolve() });
        const hanging: AsyncIterator<WatchEvent<number>> = {
          async next() {
            await sleep(clock, 10_000, signal);
            throw new SourceError('connect timed out');
          },
        };
        return { [Symbol.asyncIterator]: () => hanging, established: new Promise<void>(() => {}) };
      },
    };
    const informer = new Informer(source, { clock, random: () => 0 });
    informer.on('error', () => {});
    informer.start();
    await clock.advanceUntil(() => informer.hasSynced());
    await clock.advance(2_000);
    expect(informer.disconnectedSince).toBeUndefined();
    partitioned = true;
    store.expireHistory(); // ends the open watch: the re-watch meets the partition
    await clock.advance(120_000);
    expect(informer.disconnectedSince).toBeLessThanOrEqual(12_000 + 1); // lost at the first failed attempt, never regained
    await informer.stop();
    const gaps = attempts.slice(2).map((at, i) => at - (attempts[i + 1] as number));
    // Each attempt hangs 10 s, then waits a growing backoff (800, 1600, 3200 … ms): never "healthy, re-watch at once".
    expect(gaps.slice(0, 4)).toEqual([10_800, 11_600, 13_200, 16_400]);
  });
});
