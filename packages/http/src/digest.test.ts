import type { Versioned } from '@nitrox/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyCatchUp,
  bucketCountFor,
  bucketOf,
  decodeDigest,
  differingBuckets,
  digestOfItems,
  encodeDigest,
  maxBuckets,
} from './digest.js';

const state = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 50 }), { maxKeys: 60 });
const items = (s: Record<string, number>): Versioned<string>[] =>
  Object.entries(s).map(([key, version]) => ({ key, version, value: `${key}@${version}` }));

/** What the server answers for `digest`: the differing buckets and its items in them. */
function answer(server: Versioned<string>[], digest: Uint32Array, buckets: number) {
  const differing = differingBuckets(digestOfItems(server, buckets), digest);
  const wanted = new Set(differing);
  return { differing, items: server.filter((i) => wanted.has(bucketOf(i.key, buckets))) };
}

describe('digest catch-up', () => {
  it('turns any follower cache into exactly the server state, whatever the bucket count', () => {
    fc.assert(
      fc.property(state, state, fc.integer({ min: 1, max: 70 }), (serverState, followerState, buckets) => {
        const server = items(serverState);
        const cache = new Map(items(followerState).map((i) => [i.key, i]));
        const reply = answer(server, digestOfItems(cache.values(), buckets), buckets);
        applyCatchUp(cache, buckets, reply.differing, reply.items);
        expect(new Map([...cache].map(([k, v]) => [k, v.version]))).toEqual(new Map(Object.entries(serverState)));
      }),
    );
  });

  it('sends nothing when the follower is already equal, and only the changed buckets otherwise', () => {
    const server = Array.from({ length: 3200 }, (_, i) => ({ key: `k${i}`, version: i + 1, value: '' }));
    const buckets = bucketCountFor(server.length);
    expect(answer(server, digestOfItems(server, buckets), buckets).items).toEqual([]);
    const stale = server.map((i) => (i.key === 'k7' ? { ...i, version: 1 } : i));
    const reply = answer(server, digestOfItems(stale, buckets), buckets);
    expect(reply.differing).toEqual([bucketOf('k7', buckets)]);
    expect(reply.items.length).toBeLessThan(100);
  });

  it('reports deletions and additions as applied', () => {
    const cache = new Map(items({ a: 1, b: 2 }).map((i) => [i.key, i]));
    const server = items({ b: 2, c: 3 });
    const reply = answer(server, digestOfItems(cache.values(), 1), 1);
    const changes = applyCatchUp(cache, 1, reply.differing, reply.items);
    expect(changes.deleted.map((i) => i.key)).toEqual(['a']);
    expect(changes.upserted.map((i) => i.key)).toEqual(['c']);
  });

  it('round-trips the wire encoding and refuses a body of the wrong length', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 2, maxLength: 40 }).filter((a) => a.length % 2 === 0), (digest) => {
        expect(decodeDigest(encodeDigest(digest), digest.length / 2)).toEqual(digest);
        expect(decodeDigest(encodeDigest(digest), digest.length / 2 + 1)).toBeUndefined();
      }),
    );
  });

  it('sizes digests to the cache, within bounds', () => {
    expect(bucketCountFor(0)).toBe(1);
    expect(bucketCountFor(1_000_000)).toBe(31_250);
    expect(bucketCountFor(1e9)).toBe(maxBuckets);
  });
});
