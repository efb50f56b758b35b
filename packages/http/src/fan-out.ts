/**
 * The server's one copy of the state and its one fan-out buffer. An `Informer` follows the source; every change
 * it reports is serialised once into a ring of NDJSON lines, and every follower is only a cursor into that ring
 * (as a `MemoryStore` watcher is), so a change costs one `JSON.stringify` whatever the number of followers and
 * an idle follower costs its socket and a cursor. Each item keeps its digest fingerprint, computed once, so a
 * catch-up costs one pass of additions. A new source epoch (its version numbering restarted) starts a new
 * server epoch: every follower's revision becomes unknown and it catches up or relists.
 */
import { randomUUID } from 'node:crypto';
import type { Informer, Versioned } from '@nitrox/core';
import {
  buildDigest,
  buildSubDigests,
  type DigestShape,
  differingBuckets,
  encodeDigest,
  type Fingerprint,
  fingerprint,
  leafOf,
  leafOfPrint,
} from './digest.js';
import { DigestIndex, type IndexedEntry, indexable } from './digest-index.js';
import { formatRevision, type WireCatchUp, type WireDigestAnswer, type WireEvent } from './protocol.js';

/** One change in the ring: its sequence number, its key (for prefix filters) and its serialised line. */
export interface Slot {
  readonly seq: number;
  readonly key: string;
  readonly line: string;
}

/** Options of {@link FanOut}. */
export interface FanOutOptions {
  /** Changes kept for followers to resume from. */
  readonly historyLimit: number;
  /** The numbering identity to report instead of the source's list epoch (see `ServeOptions.sourceEpoch`). */
  readonly sourceEpoch?: string | undefined;
}

/** The shared state and history of one served source. */
export class FanOut<T> {
  readonly #entries = new Map<string, IndexedEntry<T>>();
  readonly #index = new DigestIndex<T>();
  readonly #ring: (Slot | undefined)[];
  readonly #limit: number;
  readonly #informer: Informer<T>;
  #waiters = new Set<() => void>();
  #epoch = randomUUID().slice(0, 8);
  #seq = 0;
  /** Every seq <= this one is gone from the ring. */
  #oldest = 0;
  #sourceEpoch: string | undefined;
  readonly #fixedEpoch: string | undefined;

  constructor(informer: Informer<T>, options: FanOutOptions) {
    this.#fixedEpoch = options.sourceEpoch;
    this.#limit = options.historyLimit;
    this.#ring = new Array<Slot | undefined>(this.#limit);
    this.#informer = informer;
    informer.on('added', (item) => this.#append('added', item));
    informer.on('updated', (item) => this.#append('modified', item));
    informer.on('deleted', (item) => this.#append('deleted', item));
    informer.on('synced', () => {
      this.#sourceEpoch = this.#fixedEpoch ?? informer.epoch;
    });
    informer.on('relisted', () => {
      if ((this.#fixedEpoch ?? informer.epoch) !== this.#sourceEpoch) this.#newEpoch();
    });
  }

  /** Identity of this server life; part of every revision. */
  get epoch(): string {
    return this.#epoch;
  }

  /** Sequence number of the last change. */
  get seq(): number {
    return this.#seq;
  }

  /** Every seq <= this one is out of history. */
  get oldest(): number {
    return this.#oldest;
  }

  /** The current revision. */
  get revision(): string {
    return formatRevision(this.#epoch, this.#seq);
  }

  /** The source's version-numbering identity (its list epoch), when it reports one. */
  get sourceEpoch(): string | undefined {
    return this.#sourceEpoch;
  }

  /** Number of items. */
  get size(): number {
    return this.#entries.size;
  }

  /** Followers waiting for the next change. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** The change of sequence number `seq`, while in history. */
  slot(seq: number): Slot | undefined {
    const slot = this.#ring[seq % this.#limit];
    return slot?.seq === seq ? slot : undefined;
  }

  /** Every item whose key starts with `prefix`, and the revision they are consistent with (one synchronous read). */
  snapshot(prefix: string): { revision: string; items: Versioned<T>[] } {
    const items: Versioned<T>[] = [];
    for (const [key, entry] of this.#entries) if (key.startsWith(prefix)) items.push(entry.item);
    return { revision: this.revision, items };
  }

  /** Round 1 of a catch-up over keys starting with `prefix`: the top buckets that differ from `digest`, and their sub-digests. */
  compareDigest(prefix: string, shape: DigestShape, digest: Uint32Array): WireDigestAnswer {
    let differing: number[];
    let sub: Uint32Array;
    if (prefix === '' && indexable(shape)) {
      const kept = this.#index.digest(shape);
      differing = differingBuckets(kept.tops, digest);
      const width = shape.fanOut * 2;
      sub = new Uint32Array(differing.length * width);
      for (const [i, b] of differing.entries()) sub.set(kept.leaves.subarray(b * width, (b + 1) * width), i * width);
    } else {
      const prints = this.#prints(prefix);
      differing = differingBuckets(buildDigest(prints, shape.buckets), digest);
      sub = differing.length === 0 ? new Uint32Array(0) : buildSubDigests(prints, shape, differing);
    }
    return {
      revision: this.revision,
      ...this.#sourceEpochField(),
      buckets: differing,
      subDigests: Buffer.from(encodeDigest(sub)).toString('base64'),
    };
  }

  /**
   * Round 2: the items of `leaves` and of every leaf a change after `since` touched, at the current revision;
   * `undefined` when `since` is out of history (the follower starts over).
   */
  leafContent(prefix: string, shape: DigestShape, since: number, leaves: readonly number[]): WireCatchUp<T> | undefined {
    if (since < this.#oldest || since > this.#seq) return undefined;
    const wanted = new Set(leaves);
    for (let seq = since + 1; seq <= this.#seq; seq++) {
      const slot = this.slot(seq);
      if (slot === undefined) return undefined;
      if (slot.key.startsWith(prefix)) wanted.add(leafOf(slot.key, shape));
    }
    const items: Versioned<T>[] = [];
    if (wanted.size > 0 && prefix === '' && indexable(shape)) {
      const buckets = new Set(Array.from(wanted, (leaf) => Math.floor(leaf / shape.fanOut)));
      for (const entry of this.#index.entriesOf(buckets, shape.buckets)) {
        if (wanted.has(leafOfPrint(entry.print, shape))) items.push(entry.item);
      }
    } else if (wanted.size > 0) {
      for (const [key, entry] of this.#entries) {
        if (key.startsWith(prefix) && wanted.has(leafOfPrint(entry.print, shape))) items.push(entry.item);
      }
    }
    return { revision: this.revision, ...this.#sourceEpochField(), leaves: Array.from(wanted), items };
  }

  #prints(prefix: string): Fingerprint[] {
    const prints: Fingerprint[] = [];
    for (const [key, entry] of this.#entries) if (key.startsWith(prefix)) prints.push(entry.print);
    return prints;
  }

  #sourceEpochField(): { sourceEpoch?: string } {
    return this.#sourceEpoch === undefined ? {} : { sourceEpoch: this.#sourceEpoch };
  }

  /** Resolve at the next change (or epoch change), or after `ms`. */
  next(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const waiters = this.#waiters;
      function done(): void {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }

  /** Start following the source. */
  start(): void {
    this.#informer.start();
  }

  /** Resolve once the source has been listed. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.#informer.waitForSync(signal);
  }

  /** Stop following the source and wake every follower (they see the stop and end). */
  async stop(): Promise<void> {
    await this.#informer.stop();
    this.#wake();
  }

  #append(type: 'added' | 'modified' | 'deleted', item: Versioned<T>): void {
    const previous = this.#entries.get(item.key);
    if (type === 'deleted') {
      this.#entries.delete(item.key);
      if (previous !== undefined) this.#index.remove(previous);
    } else {
      const entry: IndexedEntry<T> = { item, print: fingerprint(item.key, item.version), slot: 0 };
      this.#entries.set(item.key, entry);
      this.#index.upsert(previous, entry);
    }
    if (!this.#informer.hasSynced()) return; // the first list is not history: followers list after sync
    const seq = ++this.#seq;
    const event: WireEvent<T> = { type, revision: formatRevision(this.#epoch, seq), item };
    this.#ring[seq % this.#limit] = { seq, key: item.key, line: `${JSON.stringify(event)}\n` };
    if (seq - this.#oldest > this.#limit) this.#oldest = seq - this.#limit;
    this.#wake();
  }

  #newEpoch(): void {
    this.#epoch = randomUUID().slice(0, 8);
    this.#sourceEpoch = this.#fixedEpoch ?? this.#informer.epoch;
    // A renumbering relist stores new versions of unchanged values without an event: take them all anew.
    const cache = this.#informer.cache;
    this.#entries.clear();
    this.#index.clear();
    for (const key of cache.keys()) {
      const item = cache.get(key);
      if (item === undefined) continue;
      const entry: IndexedEntry<T> = { item, print: fingerprint(key, item.version), slot: 0 };
      this.#entries.set(key, entry);
      this.#index.upsert(undefined, entry);
    }
    this.#oldest = this.#seq;
    this.#ring.fill(undefined);
    this.#wake();
  }

  #wake(): void {
    if (this.#waiters.size === 0) return;
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }
}
