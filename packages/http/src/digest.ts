/**
 * Digest catch-up, the anti-entropy step: a two-level hash tree over the follower's cache, exchanged in two
 * rounds. A key's leaf is (top bucket = hash(key) mod B, sub-bucket = hash'(key) mod F); a bucket's hash is the
 * sum mod 2^32, per half, of its items' 64-bit hashes of key + version, so it is order-independent and the
 * server keeps each item's hash precomputed. Round 1: the follower sends its B top hashes, the server answers
 * which differ and, for those, its F sub-hashes. Round 2: the follower names the differing leaves and the
 * revision of round 1; the server answers, at one revision R2, the content of those leaves *and of every leaf a
 * change since round 1 touched* (from its history), so that leaves equal at round 1 but written since are
 * refreshed too. Whatever the follower's cache held, it then equals the server's state at R2 (up to a 2^-64
 * collision per differing bucket). See docs/http.md for the comparison with Cassandra's repair and rsync.
 */
import type { Versioned } from '@nitrox/core';

/** The hashes of one item: where its key falls (before the modulos), and its 64-bit identity. */
export interface Fingerprint {
  readonly keyHash: number;
  readonly subHash: number;
  readonly hi: number;
  readonly lo: number;
}

/** The shape of a digest tree: top buckets, and sub-buckets (leaves) per top bucket. */
export interface DigestShape {
  readonly buckets: number;
  readonly fanOut: number;
}

/** Followers aim at this many items per leaf: a differing leaf costs this many items in round 2. */
export const defaultItemsPerLeaf = 4;
/** Sub-buckets per top bucket: round 1 answers 8 bytes x this per differing top bucket. */
export const digestFanOut = 64;
/** Upper bound of top buckets in a digest (8 MiB of request). */
export const maxBuckets = 1 << 20;
/** Upper bound of the fan-out. */
export const maxFanOut = 1024;

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
const subSeed = 0x2f8b1c6d;

/** The top bucket of `key` among `buckets`. */
export function bucketOf(key: string, buckets: number): number {
  return hash32(key, keySeed) % buckets;
}

/** The leaf index (top * fanOut + sub) of a fingerprint. */
export function leafOfPrint(print: Fingerprint, shape: DigestShape): number {
  return (print.keyHash % shape.buckets) * shape.fanOut + (print.subHash % shape.fanOut);
}

/** The leaf index of `key`. */
export function leafOf(key: string, shape: DigestShape): number {
  return bucketOf(key, shape.buckets) * shape.fanOut + (hash32(key, subSeed) % shape.fanOut);
}

/** The fingerprint of `key` at `version`. */
export function fingerprint(key: string, version: number): Fingerprint {
  const id = `${key}\u0000${version}`;
  return { keyHash: hash32(key, keySeed), subHash: hash32(key, subSeed), hi: hash32(id, 0x1b873593), lo: hash32(id, 0xe6546b64) };
}

/**
 * The digest shape a follower with `size` cached items uses: a power-of-two bucket count (the server keeps the
 * digests of such shapes up to date, see digest-index.ts), so followers of similar sizes share one shape.
 */
export function shapeFor(size: number, itemsPerLeaf = defaultItemsPerLeaf): DigestShape {
  const wanted = Math.max(1, Math.ceil(size / (itemsPerLeaf * digestFanOut)));
  return { buckets: Math.min(maxBuckets, 2 ** Math.ceil(Math.log2(wanted))), fanOut: digestFanOut };
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

/**
 * The sub-digests of the top buckets `tops` (in that order): `fanOut` pairs of uint32 per top bucket. Fingerprints
 * of other buckets are skipped.
 */
export function buildSubDigests(fingerprints: Iterable<Fingerprint>, shape: DigestShape, tops: readonly number[]): Uint32Array {
  const slot = new Map(tops.map((top, i) => [top, i]));
  const out = new Uint32Array(tops.length * shape.fanOut * 2);
  for (const f of fingerprints) {
    const i = slot.get(f.keyHash % shape.buckets);
    if (i === undefined) continue;
    const b = (i * shape.fanOut + (f.subHash % shape.fanOut)) * 2;
    out[b] = ((out[b] as number) + f.hi) >>> 0;
    out[b + 1] = ((out[b + 1] as number) + f.lo) >>> 0;
  }
  return out;
}

/** The fingerprints of a follower's cache. */
export function* fingerprintsOf(items: Iterable<Versioned<unknown>>): Iterable<Fingerprint> {
  for (const item of items) yield fingerprint(item.key, item.version);
}

/** The leaves where two sub-digests of the top buckets `tops` differ. */
export function differingLeaves(mine: Uint32Array, theirs: Uint32Array, shape: DigestShape, tops: readonly number[]): number[] {
  return differingBuckets(mine, theirs).map((i) => (tops[Math.floor(i / shape.fanOut)] as number) * shape.fanOut + (i % shape.fanOut));
}

/** Little-endian bytes of a digest, as sent on the wire. */
export function encodeDigest(digest: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(digest.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < digest.length; i++) view.setUint32(i * 4, digest[i] as number, true);
  return bytes;
}

/** uint32s from their wire bytes; `undefined` unless there are exactly `count` of them. */
export function decodeDigest(bytes: Uint8Array, count: number): Uint32Array | undefined {
  if (bytes.length !== count * 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(count);
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
 * Apply a round-2 answer to `cache`: every cached key of an answered leaf that the answer lacks is deleted,
 * every answered item whose version differs from the cached one is stored.
 */
export function applyCatchUp<T>(
  cache: Map<string, Versioned<T>>,
  shape: DigestShape,
  leaves: readonly number[],
  items: readonly Versioned<T>[],
): CatchUpChanges<T> {
  const replaced = new Set(leaves);
  const incoming = new Map(items.map((i) => [i.key, i]));
  const deleted: Versioned<T>[] = [];
  for (const [key, item] of cache) {
    if (replaced.has(leafOf(key, shape)) && !incoming.has(key)) {
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
