import { type BackendSet, MemoryStore, VirtualClock } from '@nitrox/core';

import { describe, expect, it } from 'vitest';
import { ContactTracker } from './contact-tracker.js';
import { type BackendSource, groupedSourceRuntime } from './grouped-source.js';

describe('ContactTracker', () => {
  it('is out of contact from start until an answer, and from the first failure after it', () => {
    const clock = new VirtualClock();
    const contact = new ContactTracker(clock);
    expect(contact.since).toBeUndefined();
    clock.advanceSync(5);
    contact.start();
    expect(contact.since).toBe(5);
    contact.regained();
    expect(contact.since).toBeUndefined();
    clock.advanceSync(10);
    contact.lost();
    clock.advanceSync(10);
    contact.lost();
    expect(contact.since).toBe(15);
    contact.stop();
    expect(contact.since).toBeUndefined();
  });
});

describe('groupedSourceRuntime.disconnectedSince', () => {
  it('is the earliest loss of contact over its groups', () => {
    const since = new Map<string, number | undefined>();
    const store = new MemoryStore<BackendSet>();
    const runtime = groupedSourceRuntime<{ port: number }>('s', 'test', {
      groupOf: (m) => String(m.options.port),
      keyOf: (m) => m.app,
      create: (mappings): BackendSource => ({
        list: (signal) => store.list(signal),
        watch: (from, signal) => store.watch(from, signal),
        start() {},
        async stop() {},
        hasSynced: () => true,
        waitForSync: async () => {},
        get: () => undefined,
        counters: () => ({}),
        onError() {},
        disconnectedSince: () => since.get(String(mappings[0]?.options.port)),
      }),
    });
    runtime.view({ name: 'a', app: 'a', pool: 'a', options: { port: 1 } });
    runtime.view({ name: 'b', app: 'b', pool: 'b', options: { port: 2 } });
    expect(runtime.disconnectedSince?.()).toBeUndefined();
    runtime.start();
    expect(runtime.disconnectedSince?.()).toBeUndefined();
    since.set('2', 300);
    expect(runtime.disconnectedSince?.()).toBe(300);
    since.set('1', 100);
    expect(runtime.disconnectedSince?.()).toBe(100);
  });
});
