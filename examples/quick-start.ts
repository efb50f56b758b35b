/**
 * The README's 15-line usage example of the core, kept here so that it typechecks and runs in CI.
 *
 * Run: `npx tsx --conditions=@nitrox/source examples/quick-start.ts`
 */
import { Controller, MemoryStore } from '@nitrox/core';

const desired = new MemoryStore<{ replicas: number }>();
const actual = new Map<string, number>();

const controller = new Controller({
  source: desired, // any ListWatch: a store, a Kubernetes projection, an HTTP follower
  debounceMs: 50, // a burst of changes to one key → one reconcile of the newest state
  resyncMs: 30_000, // repair drift of the actual state
  async reconcile(key, item) {
    if (item === undefined) actual.delete(key); // deleted: remove what we made
    else actual.set(key, item.value.replicas); // idempotent: set the whole desired value
  },
});
controller.start();
desired.put('web', { replicas: 3 });

// Not in the README: wait for the reconcile, show the result, stop.
while (actual.get('web') !== 3) await new Promise((resolve) => setTimeout(resolve, 5));
console.log(`web → ${actual.get('web')} replicas`);
await controller.stop();
