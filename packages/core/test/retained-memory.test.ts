/**
 * Retained memory under sustained churn (issue: a long-lived watch leaked one promise reaction per wake-up). These
 * tests measure what stays reachable after a full GC, not time: a watch woken 200,000 times, and an Informer +
 * Controller following 200,000 changes, must leave the heap where it was (a few MB of noise at most).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Controller } from '../src/controller.js';
import { Informer } from '../src/informer.js';
import { MemoryStore } from '../src/memory-store.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CHANGES = 200_000;
const MB = 1024 * 1024;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/** Let the event loop turn so watchers wake and drain between bursts of writes. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('retained memory', () => {
  it('one watch woken 200,000 times retains nothing per wake-up', async () => {
    const store = new MemoryStore<number>({ historyLimit: 16 });
    const abort = new AbortController();
    let seen = 0;
    const watching = (async () => {
      for await (const _event of store.watch(store.revision, abort.signal)) seen++;
    })().catch(() => {});
    await turn();
    const before = await settledHeap();
    for (let i = 0; i < CHANGES; i++) {
      store.put('k', i);
      // One write per turn: the watcher catches up and parks again, so every write is one wake-up.
      await turn();
    }
    const after = await settledHeap();
    expect(seen).toBe(CHANGES);
    abort.abort();
    await watching;
    expect((after - before) / MB).toBeLessThan(4);
  }, 120_000);

  it('an Informer and a Controller following 200,000 changes retain nothing per change', async () => {
    const store = new MemoryStore<number>({ historyLimit: 1_000 });
    const informer = new Informer(store, { idleTimeoutMs: 0 });
    let reconciled = 0;
    const controller = new Controller<number>({
      source: informer,
      reconcile: async () => {
        reconciled++;
      },
    });
    informer.start();
    controller.start();
    await informer.waitForSync();
    for (let i = 0; i < 100; i++) store.put(`k${i % 50}`, -1);
    await turn();
    const before = await settledHeap();
    for (let i = 0; i < CHANGES; i++) {
      store.put(`k${i % 50}`, i);
      await turn();
    }
    const deadline = Date.now() + 60_000;
    while (informer.revision !== store.revision && Date.now() < deadline) await turn();
    const after = await settledHeap();
    expect(informer.revision).toBe(store.revision);
    expect(reconciled).toBeGreaterThan(0);
    await controller.stop();
    await informer.stop();
    expect((after - before) / MB).toBeLessThan(4);
  }, 120_000);
});
