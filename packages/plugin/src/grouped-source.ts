/**
 * A source runtime over adapter sources whose projection options are per source object, while Nitrox sets
 * them per mapping. Mappings of one `sources:` entry are grouped by those options; each group gets one adapter
 * source (created at `start()`, selecting only the group's apps), and every mapping reads its own key through a
 * {@link keyView}. An adapter whose projection options differ per mapping (Marathon's port index) groups by them; one that
 * can serve every mapping from one set of watches puts them all in one group.
 */
import { abortReason, type BackendSet, type ListResult, type ListWatch, type Versioned, type WatchEvent } from '@nitrox/core';
import type { ContactTracker } from './contact-tracker.js';
import { keyView } from './key-view.js';
import type { SourceCounters, SourceMapping, SourceRuntime } from './runtime.js';

/** What the runtime needs from an adapter's source. */
export interface BackendSource extends ListWatch<BackendSet> {
  start(): void;
  stop(): Promise<void>;
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Current value of a key from the synced state. */
  get(key: string): Versioned<BackendSet> | undefined;
  /** Monotonic counters. */
  counters(): SourceCounters;
  /** Subscribe to the adapter's errors (each is retried by the adapter). */
  onError(listener: (error: Error) => void): void;
  /** See {@link SourceRuntime.disconnectedSince}; absent: always in contact. */
  disconnectedSince?(): number | undefined;
}

/** An adapter's own source class (MarathonSource, SwarmSource): a ListWatch of backend sets with a lifecycle. */
export interface AdapterSource extends ListWatch<BackendSet> {
  start(): void;
  stop(): Promise<void>;
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<void>;
  get(key: string): Versioned<BackendSet> | undefined;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Wrap an adapter's source as a {@link BackendSource}, with `counters` mapping its own stats to Nitrox's and
 * `contact` (fed from the source's events by the caller) answering `disconnectedSince`.
 */
export function backendSourceOf(source: AdapterSource, counters: () => SourceCounters, contact?: ContactTracker): BackendSource {
  return {
    list: (signal) => source.list(signal),
    watch: (from, signal) => source.watch(from, signal),
    start: () => {
      contact?.start();
      source.start();
    },
    stop: async () => {
      await source.stop();
      contact?.stop();
    },
    ...(contact ? { disconnectedSince: () => contact.since } : {}),
    hasSynced: () => source.hasSynced(),
    waitForSync: (signal) => source.waitForSync(signal),
    onError: (listener) => {
      source.on('error', listener);
    },
    get: (key) => source.get(key),
    counters,
  };
}

/** How a source type groups mappings and builds its sources. */
export interface GroupingAdapter<Options = Record<string, unknown>> {
  /** Identity of the projection options a mapping needs (mappings with the same id share a source). */
  groupOf(mapping: SourceMapping<Options>): string;
  /** The key of the mapping's app in the source. */
  keyOf(mapping: SourceMapping<Options>): string;
  /** Build the source of a group (no I/O); `keys` are the apps its mappings read. */
  create(mappings: readonly SourceMapping<Options>[], keys: ReadonlySet<string>): BackendSource;
}

interface Group<Options> {
  readonly mappings: SourceMapping<Options>[];
  readonly keys: Set<string>;
  source: BackendSource | undefined;
  readonly created: Promise<BackendSource>;
  resolve(source: BackendSource): void;
}

/** Build a {@link SourceRuntime} over grouped adapter sources. */
export function groupedSourceRuntime<Options>(name: string, type: string, adapter: GroupingAdapter<Options>): SourceRuntime<Options> {
  const groups = new Map<string, Group<Options>>();
  let started = false;
  const errorListeners: ((error: Error) => void)[] = [];

  const groupFor = (mapping: SourceMapping<Options>): Group<Options> => {
    const id = adapter.groupOf(mapping);
    let group = groups.get(id);
    if (!group) {
      let resolve!: (source: BackendSource) => void;
      const created = new Promise<BackendSource>((r) => {
        resolve = r;
      });
      group = { mappings: [], keys: new Set(), source: undefined, created, resolve };
      groups.set(id, group);
    }
    return group;
  };

  const wait = async (group: Group<Options>, signal: AbortSignal): Promise<BackendSource> => {
    if (group.source) return group.source;
    return new Promise<BackendSource>((resolve, reject) => {
      const onAbort = () => reject(abortReason(signal));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void group.created.then((s) => {
        signal.removeEventListener('abort', onAbort);
        resolve(s);
      });
    });
  };

  return {
    name,
    type,
    view(mapping: SourceMapping<Options>): ListWatch<BackendSet> {
      if (started) throw new Error(`source ${name}: view() after start()`);
      const group = groupFor(mapping);
      group.mappings.push(mapping);
      group.keys.add(adapter.keyOf(mapping));
      const lazy: ListWatch<BackendSet> = {
        async list(signal: AbortSignal): Promise<ListResult<BackendSet>> {
          return (await wait(group, signal)).list(signal);
        },
        async *watch(fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent<BackendSet>> {
          yield* (await wait(group, signal)).watch(fromRevision, signal);
        },
      };
      return keyView(lazy, adapter.keyOf(mapping), { map: (set) => ({ name: mapping.pool, members: set.members }) });
    },
    desired(mapping: SourceMapping<Options>): BackendSet | undefined {
      const value = groupFor(mapping).source?.get(adapter.keyOf(mapping))?.value;
      return value ? { name: mapping.pool, members: value.members } : undefined;
    },
    start() {
      if (started) return;
      started = true;
      for (const group of groups.values()) {
        const source = adapter.create(group.mappings, group.keys);
        source.onError((error) => {
          for (const listener of errorListeners) listener(error);
        });
        group.source = source;
        group.resolve(source);
        source.start();
      }
    },
    async stop() {
      await Promise.all([...groups.values()].map((g) => g.source?.stop()));
    },
    onError(listener) {
      errorListeners.push(listener);
    },
    hasSynced() {
      return started && [...groups.values()].every((g) => g.source?.hasSynced() === true);
    },
    async waitForSync(signal?: AbortSignal) {
      await Promise.all([...groups.values()].map(async (g) => (await wait(g, signal ?? new AbortController().signal)).waitForSync(signal)));
    },
    disconnectedSince(): number | undefined {
      let since: number | undefined;
      for (const g of groups.values()) {
        const s = g.source?.disconnectedSince?.();
        if (s !== undefined && (since === undefined || s < since)) since = s;
      }
      return since;
    },
    counters(): SourceCounters {
      const total: Record<keyof SourceCounters, number> = { lists: 0, relists: 0, watchRestarts: 0, errors: 0, malformed: 0, events: 0 };
      for (const g of groups.values()) {
        const c = g.source?.counters() ?? {};
        for (const k of Object.keys(total) as (keyof SourceCounters)[]) total[k] += c[k] ?? 0;
      }
      return total;
    },
  };
}
