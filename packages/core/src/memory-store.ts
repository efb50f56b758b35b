/**
 * The embedded versioned store: a keyed map whose every write bumps one store-wide revision counter, with
 * compare-and-swap writes and a bounded history of changes that `watch` replays. History is a ring buffer
 * holding one event per revision, so a watcher is just a cursor into it: writes never copy events per watcher,
 * memory stays bounded by `historyLimit`, and a watcher that falls further behind than the history (or asks
 * for a revision that was compacted away) gets an {@link ExpiredError}, exactly like etcd after compaction.
 */
import { abortReason } from './clock.js';
import { ConfigError, ConflictError, ExpiredError } from './errors.js';
import type { ListResult, ListWatch, Versioned, WatchEvent } from './list-watch.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many changes (revisions) the store keeps for `watch` to replay. A watcher further behind gets an
   * {@link ExpiredError} and must relist.
   * @defaultValue 1000
   */
  historyLimit?: number;
}

/** Defaults of {@link MemoryStoreOptions}. */
export const memoryStoreDefaults = {
  /** Enough for a watcher to ride out a short pause without relisting, small enough to be cheap. */
  historyLimit: 1000,
} as const satisfies Required<MemoryStoreOptions>;

/** Options of a compare-and-swap write. */
export interface WriteOptions {
  /** Write only if the key's current version is this one (`0`: only if the key is absent). */
  ifVersion?: number;
}

const DECIMAL = /^\d+$/;

/**
 * An in-memory {@link ListWatch} with compare-and-swap writes. Stored items are shared, not copied: do not
 * mutate a value after writing it or an item after reading it.
 *
 * @example
 * ```ts
 * const store = new MemoryStore<string>();
 * const a = store.put('a', 'one');
 * store.put('a', 'two', { ifVersion: a.version }); // ConflictError if someone wrote in between
 * ```
 */
export class MemoryStore<T> implements ListWatch<T> {
  readonly #items = new Map<string, Versioned<T>>();
  readonly #limit: number;
  /** Ring buffer: the event of revision r is at r % limit while r > #compacted. */
  readonly #ring: (WatchEvent<T> | undefined)[];
  #revision = 0;
  /** Every revision <= this one is gone from history. */
  #compacted = 0;
  /** Bumped by expireHistory(): every watch open at that moment ends with ExpiredError. */
  #epoch = 0;
  /**
   * Parked watchers, each woken once by the next write. A waiter is a fresh promise per wait that nothing else
   * holds, so a watch woken a million times retains nothing (racing one long-lived abort promise against each
   * wait gave that promise one more reaction per wake-up, kept until the watch ended).
   */
  readonly #waiters = new Set<() => void>();

  /** @throws {@link ConfigError} when an option is invalid. */
  constructor(options: MemoryStoreOptions = {}) {
    const limit = options.historyLimit ?? memoryStoreDefaults.historyLimit;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new ConfigError('historyLimit', `must be a positive integer, got ${String(limit)}`);
    }
    this.#limit = limit;
    this.#ring = new Array<WatchEvent<T> | undefined>(limit);
  }

  /** The revision of the last write, as a decimal string (`"0"` for a new store). */
  get revision(): string {
    return String(this.#revision);
  }

  /** Number of keys stored. */
  get size(): number {
    return this.#items.size;
  }

  /** The current item of `key`, or `undefined`. */
  get(key: string): Versioned<T> | undefined {
    return this.#items.get(key);
  }

  /** Whether `key` is stored. */
  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** Every stored key, in insertion order. */
  keys(): IterableIterator<string> {
    return this.#items.keys();
  }

  /** Every stored item, in insertion order. */
  values(): IterableIterator<Versioned<T>> {
    return this.#items.values();
  }

  /**
   * Store `value` under `key`; its version is the new store revision.
   *
   * @throws {@link ConflictError} when `ifVersion` is given and differs from the stored version (0 = absent).
   */
  put(key: string, value: T, options?: WriteOptions): Versioned<T> {
    checkKey(key);
    const previous = this.#items.get(key);
    if (options?.ifVersion !== undefined) {
      const actual = previous === undefined ? 0 : previous.version;
      if (actual !== options.ifVersion) throw new ConflictError(key, options.ifVersion, actual);
    }
    const revision = ++this.#revision;
    const item: Versioned<T> = { key, version: revision, value };
    this.#items.set(key, item);
    this.#record({ type: previous === undefined ? 'added' : 'modified', revision: String(revision), item });
    return item;
  }

  /**
   * Remove `key`. The `deleted` watch event carries the last stored state of the item.
   *
   * @returns the removed item, or `undefined` when the key was absent (no revision is used then).
   * @throws {@link ConflictError} when `ifVersion` is given and differs from the stored version (0 = absent).
   */
  delete(key: string, options?: WriteOptions): Versioned<T> | undefined {
    const previous = this.#items.get(key);
    if (options?.ifVersion !== undefined) {
      const actual = previous === undefined ? 0 : previous.version;
      if (actual !== options.ifVersion) throw new ConflictError(key, options.ifVersion, actual);
    }
    if (previous === undefined) return undefined;
    const revision = ++this.#revision;
    this.#items.delete(key);
    this.#record({ type: 'deleted', revision: String(revision), item: previous });
    return previous;
  }

  /** Every item and the current revision (a consistent snapshot: the store is synchronous). */
  list(signal?: AbortSignal): Promise<ListResult<T>> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return Promise.resolve({ revision: String(this.#revision), items: Array.from(this.#items.values()) });
  }

  /**
   * Stream every change strictly after `fromRevision`, in order, then live changes as they happen, until
   * `signal` aborts (the iterator then throws the abort reason).
   *
   * @throws {@link ExpiredError} (from the iterator) when `fromRevision` is older than the retained history, is
   * not a revision of this store (malformed, or ahead of it), when the watcher falls behind the history, or after
   * {@link expireHistory}.
   */
  watch(fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent<T>> {
    return { [Symbol.asyncIterator]: () => this.#iterate(fromRevision, signal) };
  }

  /**
   * Fault injection: forget all history. Every revision before now becomes too old, and every open watch
   * ends with {@link ExpiredError}. A watch from the current revision still works.
   */
  expireHistory(): void {
    this.#compacted = this.#revision;
    this.#ring.fill(undefined);
    this.#epoch++;
    this.#notify();
  }

  #record(event: WatchEvent<T>): void {
    const revision = this.#revision;
    this.#ring[revision % this.#limit] = event;
    if (revision - this.#compacted > this.#limit) this.#compacted = revision - this.#limit;
    if (this.#waiters.size > 0) this.#notify();
  }

  #notify(): void {
    const waiters = Array.from(this.#waiters);
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  async *#iterate(fromRevision: string, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    if (signal.aborted) throw abortReason(signal);
    if (typeof fromRevision !== 'string' || !DECIMAL.test(fromRevision)) {
      throw new ExpiredError(`"${String(fromRevision)}" is not a revision of this store; relist`);
    }
    let cursor = Number(fromRevision);
    if (cursor > this.#revision) {
      // Issued by another store (or an earlier life of this one): waiting for it would skip every change until then.
      throw new ExpiredError(`revision ${cursor} is ahead of this store (${this.#revision}); relist`);
    }
    const epoch = this.#epoch;
    // One abort listener per watch: it wakes whichever wait is parked at that moment.
    let parked: (() => void) | undefined;
    const onAbort = (): void => parked?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (signal.aborted) throw abortReason(signal);
        if (epoch !== this.#epoch) throw new ExpiredError('history expired while watching; relist');
        if (cursor < this.#compacted) {
          throw new ExpiredError(`revision ${cursor} is older than the retained history (${this.#compacted}); relist`);
        }
        if (cursor < this.#revision) {
          cursor++;
          yield this.#ring[cursor % this.#limit] as WatchEvent<T>;
          continue;
        }
        await new Promise<void>((resolve) => {
          parked = resolve;
          this.#waiters.add(resolve);
        });
        parked = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (parked !== undefined) this.#waiters.delete(parked);
    }
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new ConfigError('key', `must be a non-empty string, got ${typeof key === 'string' ? '""' : typeof key}`);
  }
}
