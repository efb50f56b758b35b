/**
 * Digest catch-up end to end over loopback: a follower that fell out of the server's history gets only the
 * differing buckets, and — with writes racing the catch-up request — the answer plus the watch from its
 * revision is exactly the store's state.
 */
import type { MemoryStore, Versioned, WatchEvent } from '@nitrox/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpListWatch } from '../src/index.js';
import { loopback } from './loopback.js';

type Op = { readonly key: string; readonly del: boolean };
const op = fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), del: fc.boolean() });

function apply(store: MemoryStore<string>, o: Op, n: number): void {
  if (o.del) store.delete(o.key);
  else store.put(o.key, `v${n}`);
}

const versions = (items: Iterable<Versioned<string>>) => new Map(Array.from(items, (i) => [i.key, i.version]));

/** Read `iterator` until the `sentinel` key arrives; fold the changes into `state`. */
async function foldUntil(iterator: AsyncIterator<WatchEvent<string>>, state: Map<string, number>, sentinel: string): Promise<void> {
  for (;;) {
    const next = await iterator.next();
    if (next.done) throw new Error('the watch ended before the sentinel');
    const e = next.value;
    if (e.type === 'bookmark') continue;
    if (e.type === 'deleted') state.delete(e.item.key);
    else state.set(e.item.key, e.item.version);
    if (e.item.key === sentinel) return;
  }
}

describe('digest catch-up over loopback', () => {
  it('is exact under writes racing the catch-up (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 12 }), fc.array(op, { minLength: 6, maxLength: 20 }), fc.array(op, { maxLength: 4 }), async (before, behind, racing) => {
        const lb = await loopback({ historyLimit: 5, bookmarkIntervalMs: 50 });
        const abort = new AbortController();
        try {
          let n = 0;
          lb.store.put('base', 'v0');
          for (const o of before) apply(lb.store, o, ++n);
          const follower = new HttpListWatch<string>({ url: lb.url, itemsPerLeaf: 1 });
          await follower.list(abort.signal);
          for (const o of behind) apply(lb.store, o, ++n);
          lb.store.put('behind-sentinel', `v${++n}`);
          // Wait until the server saw it all (its history is now past the follower's list).
          const probe = new HttpListWatch<string>({ url: lb.url, catchUp: false });
          for (;;) {
            const { items } = await probe.list(abort.signal);
            if (items.some((i) => i.key === 'behind-sentinel' && i.value === `v${n}`)) break;
          }
          const listing = follower.list(abort.signal);
          for (const o of racing) {
            await new Promise((resolve) => setImmediate(resolve));
            apply(lb.store, o, ++n);
          }
          const { revision, items } = await listing;
          expect(follower.stats.catchUps).toBe(1);
          const state = versions(items);
          const iterator = follower.watch(revision, abort.signal)[Symbol.asyncIterator]();
          lb.store.put('end-sentinel', `v${++n}`);
          await foldUntil(iterator, state, 'end-sentinel');
          expect(state).toEqual(versions(lb.store.values()));
        } finally {
          abort.abort();
          await lb.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('moves only the differing buckets: 3 changes in 5,000 keys', async () => {
    const lb = await loopback({ historyLimit: 2 });
    try {
      for (let i = 0; i < 5000; i++) lb.store.put(`key-${i}`, `value-${i}`);
      const follower = new HttpListWatch<string>({ url: lb.url });
      const signal = AbortSignal.timeout(20_000);
      await follower.list(signal);
      const listed = follower.stats.bytesReceived;
      lb.store.put('key-1', 'changed');
      lb.store.delete('key-2');
      lb.store.put('key-new', 'new');
      const probe = new HttpListWatch<string>({ url: lb.url, catchUp: false });
      while (!(await probe.list(signal)).items.some((i) => i.key === 'key-new'));
      const { items } = await follower.list(signal);
      const caughtUp = follower.stats.bytesReceived - listed;
      expect(follower.stats.catchUps).toBe(1);
      expect(follower.stats.catchUpItems).toBeLessThan(200);
      expect(caughtUp).toBeLessThan(listed / 10);
      expect(versions(items)).toEqual(versions(lb.store.values()));
    } finally {
      await lb.close();
    }
  });

  it('catches up a prefix-filtered follower (the server scans instead of using its index)', async () => {
    const lb = await loopback({ historyLimit: 2 });
    try {
      for (let i = 0; i < 3000; i++) lb.store.put(`${i % 2 ? 'odd' : 'even'}/${i}`, `value-${i}`);
      const follower = new HttpListWatch<string>({ url: lb.url, prefix: 'odd/' });
      const signal = AbortSignal.timeout(20_000);
      await follower.list(signal);
      lb.store.put('odd/1', 'changed');
      lb.store.delete('odd/3');
      lb.store.put('odd/new', 'new');
      lb.store.put('even/new', 'new');
      const probe = new HttpListWatch<string>({ url: lb.url, catchUp: false });
      while (!(await probe.list(signal)).items.some((i) => i.key === 'even/new'));
      const { items } = await follower.list(signal);
      expect(follower.stats.catchUps).toBe(1);
      const odd = Array.from(lb.store.values()).filter((i) => i.key.startsWith('odd/'));
      expect(versions(items)).toEqual(versions(odd));
    } finally {
      await lb.close();
    }
  });
});
