/**
 * A source runtime over a core MemoryStore, for tests of the host: one group holding every mapped app, always
 * synced, no I/O. `overrides` replaces any part of the backend source (a counting `stop`, counters, contact).
 */
import type { BackendSet, MemoryStore } from '@nitrox/core';
import { type BackendSource, groupedSourceRuntime, type SourceRuntime } from '@nitrox/plugin';

/** A source entry named `name` whose apps are the keys of `store`. */
export function memorySourceRuntime(name: string, store: MemoryStore<BackendSet>, overrides: Partial<BackendSource> = {}): SourceRuntime {
  return groupedSourceRuntime(name, 'memory', {
    groupOf: () => 'all',
    keyOf: (m) => m.app,
    create: () => ({
      list: (signal) => store.list(signal),
      watch: (from, signal) => store.watch(from, signal),
      start() {},
      async stop() {},
      hasSynced: () => true,
      waitForSync: async () => {},
      get: (key) => store.get(key),
      counters: () => ({}),
      onError() {},
      ...overrides,
    }),
  });
}
