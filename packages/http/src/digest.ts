/**
 * Digest catch-up, the anti-entropy step: a follower whose revision fell out of the server's history sends
 * one 64-bit hash per bucket of its cache (a key goes to bucket `hash(key) mod B`; a bucket's hash is the sum
 * mod 2^32, per half, of its items' 64-bit hashes of key + version, so it is order-independent and the server
 * can keep each item's hash precomputed). The server answers, in one step and so at one revision, the buckets
 * whose hash differs and its whole content of them; the follower replaces those buckets. Whatever the
 * follower's cache held — a snapshot, a mix of revisions, garbage — it then equals the server's state at the
 * answer's revision (up to a 2^-64 collision per differing bucket). One round, unlike Cassandra's Merkle-tree
 * exchange, because an answer must be consistent with one revision (see docs/http.md).
 */
import type { Versioned } from '@nitrox/core';

/** The hashes of one item: which bucket its key falls in (before the modulo), and its 64-bit identity. */
export interface Fingerprint {
  readonly keyHash: number;
  readonly hi: number;
  readonly lo: number;
}

/** Followers aim at this many items per bucket: 8 bytes of digest per 32 items, and a differing bucket costs 32 items. */
export const defaultItemsPerBucket = 32;
/** Upper bound of buckets in a digest (8 MiB of request). */
export const maxBuckets = 1 << 20;

function mix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A seeded 32-bit string hash (multiply-xorshift per UTF-16 unit, murmur3's finaliser). Not for adversaries. */
export function hash32(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return mix(h ^ s.length);
}

const keySeed = 0x9747b28c;

/** The bucket of `key` among `buckets`. */
export function bucketOf(key: string, buckets: number): number {
  return hash32(key, keySeed) % buckets;
}

/** The fingerprint of `key` at `version`. */
export function fingerprint(key: string, version: number): Fingerprint {
  const id = `${key}\u0000${version}`;
  return { keyHash: hash32(key, keySeed), hi: hash32(id, 0x1b873593), lo: hash32(id, 0xe6546b64) };
}

/** How many buckets a follower with `size` cached items uses. */
export function bucketCountFor(size: number, itemsPerBucket = defaultItemsPerBucket): number {
  return Math.max(1, Math.min(maxBuckets, Math.ceil(size / itemsPerBucket)));
}

/** The digest of `fingerprints` over `buckets` buckets: two uint32 per bucket (hi, lo). */
export function buildDigest(fingerprints: Iterable<Fingerprint>, buckets: number): Uint32Array {
  const out = new Uint32Array(buckets * 2);
  for (const f of fingerprints) {
    const b = (f.keyHash % buckets) * 2;
    out[b] = ((out[b] as number) + f.hi) >>> 0;
    out[b + 1] = ((out[b + 1] as number) + f.lo) >>> 0;
  }
  return out;
}

/** The digest of a follower's cache. */
export function digestOfItems(items: Iterable<Versioned<unknown>>, buckets: number): Uint32Array {
  function* prints(): Iterable<Fingerprint> {
    for (const item of items) yield fingerprint(item.key, item.version);
  }
  return buildDigest(prints(), buckets);
}

/** Little-endian bytes of a digest, as sent on the wire. */
export function encodeDigest(digest: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(digest.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < digest.length; i++) view.setUint32(i * 4, digest[i] as number, true);
  return bytes;
}

/** A digest from its wire bytes; `undefined` unless it is exactly `buckets` buckets long. */
export function decodeDigest(bytes: Uint8Array, buckets: number): Uint32Array | undefined {
  if (bytes.length !== buckets * 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(buckets * 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

/** Indexes of the buckets where `a` and `b` differ (both of the same bucket count). */
export function differingBuckets(a: Uint32Array, b: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i += 2) if (a[i] !== b[i] || a[i + 1] !== b[i + 1]) out.push(i / 2);
  return out;
}

/** What applying a catch-up answer changed in a cache. */
export interface CatchUpChanges<T> {
  readonly upserted: readonly Versioned<T>[];
  readonly deleted: readonly Versioned<T>[];
}

/**
 * Apply a catch-up answer to `cache`: every cached key of a differing bucket that the answer lacks is deleted,
 * every answered item whose version differs from the cached one is stored.
 */
export function applyCatchUp<T>(
  cache: Map<string, Versioned<T>>,
  buckets: number,
  differing: readonly number[],
  items: readonly Versioned<T>[],
): CatchUpChanges<T> {
  const replaced = new Set(differing);
  const incoming = new Map(items.map((i) => [i.key, i]));
  const deleted: Versioned<T>[] = [];
  for (const [key, item] of cache) {
    if (replaced.has(bucketOf(key, buckets)) && !incoming.has(key)) {
      cache.delete(key);
      deleted.push(item);
    }
  }
  const upserted: Versioned<T>[] = [];
  for (const item of items) {
    if (cache.get(item.key)?.version !== item.version) {
      cache.set(item.key, item);
      upserted.push(item);
    }
  }
  return { upserted, deleted };
}
