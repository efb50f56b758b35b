/**
 * What makes a catch-up cheap for the server, so that a herd of followers catching up after a restart does not
 * cost a pass over every item each: items are kept in 2^16 partitions by key hash, and the leaf digests of the
 * few tree shapes followers ask for (power-of-two bucket counts, so a bucket is a set of whole partitions) are
 * kept up to date on every change (8 bytes per leaf). Round 1 then reads B top hashes and F leaf hashes per
 * differing bucket; round 2 visits only the partitions of the asked buckets.
 */
import type { Versioned } from '@nitrox/core';
import { type DigestShape, digestFanOut, type Fingerprint } from './digest.js';

/** One served item with its fingerprint; `slot` is its position in its partition. */
export interface IndexedEntry<T> {
  readonly item: Versioned<T>;
  readonly print: Fingerprint;
  slot: number;
}

/** Partitions of the item index (a power of two). */
export const indexPartitions = 1 << 16;
/** Shapes whose leaf digests are kept (the most recently asked). */
const keptShapes = 4;

interface ShapeDigest {
  /** Two uint32 per bucket. */
  readonly tops: Uint32Array;
  /** Two uint32 per leaf (bucket * fanOut + sub). */
  readonly leaves: Uint32Array;
}

/** Whether the index can answer for `shape` (else the caller scans). */
export function indexable(shape: DigestShape): boolean {
  return shape.fanOut === digestFanOut && shape.buckets <= indexPartitions && (shape.buckets & (shape.buckets - 1)) === 0;
}

/** The item index and the kept leaf digests. */
export class DigestIndex<T> {
  readonly #parts: (IndexedEntry<T>[] | undefined)[] = new Array(indexPartitions);
  readonly #shapes = new Map<number, ShapeDigest>();

  /** Index `next`, replacing `previous` (the same key's entry) when there is one. */
  upsert(previous: IndexedEntry<T> | undefined, next: IndexedEntry<T>): void {
    if (previous !== undefined) this.remove(previous);
    const p = next.print.keyHash & (indexPartitions - 1);
    let part = this.#parts[p];
    if (part === undefined) {
      part = [];
      this.#parts[p] = part;
    }
    next.slot = part.length;
    part.push(next);
    for (const [buckets, digest] of this.#shapes) add(digest, buckets, next.print, 1);
  }

  /** Forget `entry`. */
  remove(entry: IndexedEntry<T>): void {
    const part = this.#parts[entry.print.keyHash & (indexPartitions - 1)];
    if (part === undefined || part[entry.slot] !== entry) return;
    const last = part.pop() as IndexedEntry<T>;
    if (last !== entry) {
      part[entry.slot] = last;
      last.slot = entry.slot;
    }
    for (const [buckets, digest] of this.#shapes) add(digest, buckets, entry.print, -1);
  }

  /** Forget everything. */
  clear(): void {
    this.#parts.fill(undefined);
    this.#shapes.clear();
  }

  /** The kept digest of an {@link indexable} shape, computed once (a pass over the items) when first asked. */
  digest(shape: DigestShape): ShapeDigest {
    let digest = this.#shapes.get(shape.buckets);
    if (digest === undefined) {
      digest = { tops: new Uint32Array(shape.buckets * 2), leaves: new Uint32Array(shape.buckets * digestFanOut * 2) };
      for (const part of this.#parts) if (part !== undefined) for (const e of part) add(digest, shape.buckets, e.print, 1);
      if (this.#shapes.size >= keptShapes) this.#shapes.delete(this.#shapes.keys().next().value as number);
    } else {
      this.#shapes.delete(shape.buckets); // re-inserted below: most recently asked last
    }
    this.#shapes.set(shape.buckets, digest);
    return digest;
  }

  /** Every entry of the buckets `buckets` of a power-of-two bucket count `count`. */
  *entriesOf(buckets: Iterable<number>, count: number): Iterable<IndexedEntry<T>> {
    for (const b of buckets) {
      for (let p = b; p < indexPartitions; p += count) {
        const part = this.#parts[p];
        if (part !== undefined) yield* part;
      }
    }
  }
}

function add(digest: ShapeDigest, buckets: number, print: Fingerprint, sign: 1 | -1): void {
  const top = (print.keyHash & (buckets - 1)) * 2;
  const leaf = ((print.keyHash & (buckets - 1)) * digestFanOut + (print.subHash % digestFanOut)) * 2;
  const hi = sign === 1 ? print.hi : -print.hi;
  const lo = sign === 1 ? print.lo : -print.lo;
  digest.tops[top] = ((digest.tops[top] as number) + hi) >>> 0;
  digest.tops[top + 1] = ((digest.tops[top + 1] as number) + lo) >>> 0;
  digest.leaves[leaf] = ((digest.leaves[leaf] as number) + hi) >>> 0;
  digest.leaves[leaf + 1] = ((digest.leaves[leaf + 1] as number) + lo) >>> 0;
}
