import { describe, expect, it } from 'vitest';
import type { BackendSet } from '../load-balancer.js';
import type { ListWatch, WatchEvent } from '../list-watch.js';
import { MemoryStore } from '../memory-store.js';
import type { ApplyResult, Sink } from '../sink.js';
import { describeListWatchConformance, describeSinkConformance } from './describe-conformance.js';
import { type ListWatchHarness, listWatchChecks } from './list-watch-checks.js';
import { type SinkHarness, sinkChecks } from './sink-checks.js';

/** MemoryStore as a ListWatch subject; `wrap` lets a test break it. */
function storeHarness(wrap: (store: MemoryStore<string>) => ListWatch<string> = (s) => s): ListWatchHarness<string> {
  return {
    timeoutMs: 2_000,
    async setup() {
      const store = new MemoryStore<string>({ historyLimit: 4 });
      return {
        listWatch: wrap(store),
        create: async (name) => void store.put(name, 'v1'),
        update: async (name) => void store.put(name, 'v2'),
        remove: async (name) => void store.delete(name),
        async expire() {
          for (let i = 0; i < 10; i++) store.put('filler', String(i));
        },
        teardown: async () => {},
      };
    },
  };
}

/** A store whose watch also replays the last listed change (the event *at* the listed revision). */
function replayingAtListedRevision(store: MemoryStore<string>): ListWatch<string> {
  return {
    list: (signal) => store.list(signal),
    async *watch(fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent<string>> {
      const listed = await store.list(signal);
      const last = [...listed.items].sort((x, y) => y.version - x.version)[0];
      if (last) yield { type: 'added', revision: fromRevision, item: last };
      yield* store.watch(fromRevision, signal);
    },
  };
}

/** An in-memory sink; `noisy` makes it write on every apply, even a no-op. */
class MapSink implements Sink<BackendSet> {
  readonly pools = new Map<string, BackendSet>();
  writes = 0;
  constructor(
    private readonly allowEmpty: boolean,
    private readonly noisy = false,
  ) {}
  async observe(key: string) {
    return this.pools.get(key);
  }
  async apply(key: string, desired: BackendSet | undefined): Promise<ApplyResult> {
    const before = this.pools.get(key)?.members ?? [];
    const after = desired?.members ?? [];
    if (after.length === 0 && !this.allowEmpty) return { added: 0, updated: 0, removed: 0, writes: 0 };
    const id = (m: { address: string; port: number }) => `${m.address}:${m.port}`;
    const added = after.filter((m) => !before.some((b) => id(b) === id(m))).length;
    const removed = before.filter((m) => !after.some((b) => id(b) === id(m))).length;
    const writes = this.noisy ? Math.max(1, added + removed) : added + removed;
    this.writes += writes;
    this.pools.set(key, { name: key, members: after });
    return { added, updated: 0, removed, writes };
  }
}

function mapSinkHarness(noisy = false): SinkHarness {
  return {
    async setup({ allowEmpty }) {
      const sink = new MapSink(allowEmpty, noisy);
      const foreign = { name: 'foreign', members: [{ address: '198.51.100.1', port: 80 }] };
      return {
        sink,
        key: 'pool',
        writes: () => sink.writes,
        addForeign: async () => void sink.pools.set('foreign', foreign),
        foreignIntact: async () => sink.pools.get('foreign') === foreign,
        teardown: async () => {},
      };
    },
  };
}

describeListWatchConformance('MemoryStore', storeHarness());
describeSinkConformance('an in-memory sink', mapSinkHarness());

describe('the conformance kit', () => {
  it('fails a ListWatch whose watch emits an event at the listed revision', async () => {
    const check = listWatchChecks(storeHarness(replayingAtListedRevision)).find((c) => c.name.startsWith('watch from the listed revision'));
    await expect(check?.run()).rejects.toThrow(/exactly the changes after the listed revision, in order.*; got added conf-y, added conf-y/);
  });

  it('fails a source that promises bookmarks and sends none', async () => {
    const check = listWatchChecks({ ...storeHarness(), timeoutMs: 200, bookmarks: true }).find((c) => c.name.startsWith('a quiet watch receives bookmarks'));
    await expect(check?.run()).rejects.toThrow(/expected a bookmark on a quiet watch within 200 ms/);
  });

  it('fails a source that reports untyped errors', async () => {
    const checks = listWatchChecks({ ...storeHarness(), reportedError: async () => ({ error: new Error('ECONNRESET'), stop: async () => {} }) });
    await expect(checks.find((c) => c.name.startsWith('errors it reports'))?.run()).rejects.toThrow(/a SourceError \(code NITROX_SOURCE\) reported/);
  });

  it('fails a sink that writes on a no-op apply', async () => {
    const check = sinkChecks(mapSinkHarness(true)).find((c) => c.name.startsWith('a second identical apply'));
    await expect(check?.run()).rejects.toThrow(/0 writes for an identical apply, got 1 reported/);
  });

  it('fails a source whose errors are untyped, and catches unhandled rejections', async () => {
    const untyped: ListWatchHarness<string> = {
      ...storeHarness(),
      failing: () => ({
        list: async () => {
          throw new Error('ECONNREFUSED');
        },
        watch: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) }),
      }),
    };
    const typed = listWatchChecks(untyped).find((c) => c.name === 'errors are typed SourceErrors');
    await expect(typed?.run()).rejects.toThrow(/a SourceError/);
    const leaky = listWatchChecks({
      ...storeHarness(),
      async setup() {
        const subject = await storeHarness().setup();
        return { ...subject, create: async (name) => {
          void Promise.reject(new Error('lost'));
          await subject.create(name);
        } };
      },
    }).find((c) => c.name.startsWith('list returns'));
    await expect(leaky?.run()).rejects.toThrow(/no unhandled promise rejection, got Error: lost/);
  });
});
