import type { Versioned } from '@nitrox/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyCatchUp,
  buildDigest,
  buildSubDigests,
  type DigestShape,
  decodeDigest,
  differingBuckets,
  differingLeaves,
  encodeDigest,
  fingerprintsOf,
  leafOf,
  maxBuckets,
  shapeFor,
} from './digest.js';

const keyArb = fc.string({ minLength: 1, maxLength: 6 });
const state = fc.dictionary(keyArb, fc.integer({ min: 1, max: 50 }), { maxKeys: 60 });
const items = (s: Record<string, number>): Versioned<string>[] =>
  Object.entries(s).map(([key, version]) => ({ key, version, value: `${key}@${version}` }));

/**
 * Both rounds as the server runs them, with writes in between: round 1 compares at `atRound1`, round 2 answers
 * from `atRound2` and adds the leaves of `touched` (the keys written in between, as its history has them).
 */
function catchUp(cache: Map<string, Versioned<string>>, shape: DigestShape, atRound1: Versioned<string>[], atRound2: Versioned<string>[], touched: string[]) {
  const mine = Array.from(fingerprintsOf(cache.values()));
  const server1 = Array.from(fingerprintsOf(atRound1));
  const tops = differingBuckets(buildDigest(server1, shape.buckets), buildDigest(mine, shape.buckets));
  const leaves = differingLeaves(buildSubDigests(mine, shape, tops), buildSubDigests(server1, shape, tops), shape, tops);
  const wanted = new Set([...leaves, ...touched.map((k) => leafOf(k, shape))]);
  const answer = atRound2.filter((i) => wanted.has(leafOf(i.key, shape)));
  return { changes: applyCatchUp(cache, shape, [...wanted], answer), sent: answer.length };
}

const versions = (m: Iterable<Versioned<string>>) => new Map(Array.from(m, (i) => [i.key, i.version]));

describe('digest catch-up (two rounds)', () => {
  it('turns any follower cache into exactly the server state of round 2, whatever was written between the rounds', () => {
    const write = fc.record({ key: keyArb, version: fc.option(fc.integer({ min: 51, max: 99 })) });
    fc.assert(
      fc.property(state, state, fc.array(write, { maxLength: 10 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), (round1, follower, writes, buckets, fanOut) => {
        const round2 = { ...round1 };
        for (const w of writes) {
          if (w.version === null) delete round2[w.key];
          else round2[w.key] = w.version;
        }
        const cache = new Map(items(follower).map((i) => [i.key, i]));
        const shape = { buckets, fanOut };
        catchUp(cache, shape, items(round1), items(round2), writes.map((w) => w.key));
        expect(versions(cache.values())).toEqual(new Map(Object.entries(round2)));
      }),
    );
  });

  it('sends nothing when the follower is equal, and about one leaf per change otherwise', () => {
    const server = Array.from({ length: 25_600 }, (_, i) => ({ key: `k${i}`, version: i + 1, value: '' }));
    const shape = shapeFor(server.length);
    expect(shape).toEqual({ buckets: 128, fanOut: 64 });
    expect(catchUp(new Map(server.map((i) => [i.key, i])), shape, server, server, []).sent).toBe(0);
    const stale = new Map(server.map((i) => [i.key, i.key === 'k7' ? { ...i, version: 1 } : i]));
    expect(catchUp(stale, shape, server, server, []).sent).toBeLessThan(20);
  });

  it('reports deletions and additions as applied', () => {
    const cache = new Map(items({ a: 1, b: 2 }).map((i) => [i.key, i]));
    const { changes } = catchUp(cache, { buckets: 1, fanOut: 1 }, items({ b: 2, c: 3 }), items({ b: 2, c: 3 }), []);
    expect(changes.deleted.map((i) => i.key)).toEqual(['a']);
    expect(changes.upserted.map((i) => i.key)).toEqual(['c']);
  });

  it('round-trips the wire encoding and refuses a body of the wrong length', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 1, maxLength: 40 }), (words) => {
        expect(decodeDigest(encodeDigest(words), words.length)).toEqual(words);
        expect(decodeDigest(encodeDigest(words), words.length + 1)).toBeUndefined();
      }),
    );
  });

  it('sizes the tree to the cache, within bounds', () => {
    expect(shapeFor(0).buckets).toBe(1);
    expect(shapeFor(1_000_000).buckets).toBe(4096);
    expect(shapeFor(300).buckets).toBe(2);
    expect(shapeFor(1e12).buckets).toBe(maxBuckets);
  });
});
