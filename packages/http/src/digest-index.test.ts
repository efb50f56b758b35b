import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDigest, buildSubDigests, type DigestShape, digestFanOut, fingerprint } from './digest.js';
import { DigestIndex, type IndexedEntry, indexable } from './digest-index.js';

const op = fc.record({ key: fc.string({ minLength: 1, maxLength: 4 }), version: fc.option(fc.integer({ min: 1, max: 1000 }), { freq: 3 }) });

describe('DigestIndex', () => {
  it('keeps the digests of an asked shape equal to a fresh computation through any upserts and removes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.array(op, { maxLength: 80 }), fc.constantFrom(1, 2, 8, 64), (before, after, buckets) => {
        const shape: DigestShape = { buckets, fanOut: digestFanOut };
        const index = new DigestIndex<string>();
        const entries = new Map<string, IndexedEntry<string>>();
        const apply = (o: { key: string; version: number | null }) => {
          const previous = entries.get(o.key);
          if (o.version === null) {
            entries.delete(o.key);
            if (previous !== undefined) index.remove(previous);
            return;
          }
          const entry: IndexedEntry<string> = { item: { key: o.key, version: o.version, value: '' }, print: fingerprint(o.key, o.version), slot: 0 };
          entries.set(o.key, entry);
          index.upsert(previous, entry);
        };
        before.forEach(apply);
        index.digest(shape); // from now on kept incrementally
        after.forEach(apply);
        const prints = Array.from(entries.values(), (e) => e.print);
        const all = Array.from({ length: buckets }, (_, b) => b);
        const kept = index.digest(shape);
        expect(kept.tops).toEqual(buildDigest(prints, buckets));
        expect(kept.leaves).toEqual(buildSubDigests(prints, shape, all));
        const listed = Array.from(index.entriesOf(all, buckets), (e) => e.item.key).sort();
        expect(listed).toEqual(Array.from(entries.keys()).sort());
      }),
    );
  });

  it('answers only for power-of-two bucket counts up to its partitions, at the standard fan-out', () => {
    expect(indexable({ buckets: 4096, fanOut: digestFanOut })).toBe(true);
    expect(indexable({ buckets: 3000, fanOut: digestFanOut })).toBe(false);
    expect(indexable({ buckets: 4096, fanOut: 16 })).toBe(false);
    expect(indexable({ buckets: 1 << 17, fanOut: digestFanOut })).toBe(false);
  });
});
