/**
 * The informer's local copy of a collection: items by key plus secondary indexes (client-go's Indexer). Each
 * key holds one small mutable entry, so an update rewrites the entry in place (no allocation on the hot path)
 * and a relist can mark the keys it sees and sweep the rest — finding vanished keys without building a second
 * map of the whole collection.
 */
import { ConfigError } from './errors.js';
import type { Versioned } from './list-watch.js';

/** Secondary index functions: each maps an item to the index values it is filed under. */
export type IndexFunctions<T> = Record<string, (item: Versioned<T>) => readonly string[]>;

/** Read access to a keyed collection of versioned items. */
export interface CacheReader<T> {
  /** Number of items. */
  readonly size: number;
  /** The item of `key`, or `undefined`. */
  get(key: string): Versioned<T> | undefined;
  /** Whether `key` is present. */
  has(key: string): boolean;
  /** Every key. */
  keys(): IterableIterator<string>;
  /** Every item. */
  values(): IterableIterator<Versioned<T>>;
  /** Items filed under `indexValue` in index `indexName`. @throws {@link ConfigError} for an unknown index. */
  byIndex(indexName: string, indexValue: string): Versioned<T>[];
  /** Names of the configured indexes. */
  indexNames(): string[];
}

interface Entry<T> {
  item: Versioned<T>;
  mark: number;
}

/** Options of {@link Cache}. */
export interface CacheOptions<T> {
  /** Secondary indexes. @defaultValue `{}` */
  indexes?: IndexFunctions<T>;
}

/**
 * A keyed, indexed collection of versioned items. Readers use the {@link CacheReader} methods; only the
 * owner (an {@link Informer} or a test) calls the mutators.
 *
 * @example
 * ```ts
 * const cache = new Cache<Pod>({ indexes: { node: (p) => [p.value.node] } });
 * cache.set({ key: 'web-1', version: 3, value: { node: 'n1' } });
 * cache.byIndex('node', 'n1'); // [web-1]
 * ```
 */
export class Cache<T> implements CacheReader<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #indexFns: [string, (item: Versioned<T>) => readonly string[]][];
  /** index name → index value → keys */
  readonly #indexes = new Map<string, Map<string, Set<string>>>();
  #mark = 0;

  /** @throws {@link ConfigError} when an index is not a function. */
  constructor(options: CacheOptions<T> = {}) {
    const indexes = options.indexes ?? {};
    this.#indexFns = Object.entries(indexes);
    for (const [name, fn] of this.#indexFns) {
      if (typeof fn !== 'function') throw new ConfigError(`indexes.${name}`, 'must be a function');
      this.#indexes.set(name, new Map());
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Versioned<T> | undefined {
    return this.#entries.get(key)?.item;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  *values(): IterableIterator<Versioned<T>> {
    for (const entry of this.#entries.values()) yield entry.item;
  }

  byIndex(indexName: string, indexValue: string): Versioned<T>[] {
    const index = this.#indexes.get(indexName);
    if (index === undefined) throw new ConfigError(`indexes.${indexName}`, 'no such index');
    const keys = index.get(indexValue);
    const out: Versioned<T>[] = [];
    if (keys !== undefined) {
      for (const key of keys) {
        const entry = this.#entries.get(key);
        if (entry !== undefined) out.push(entry.item);
      }
    }
    return out;
  }

  indexNames(): string[] {
    return [...this.#indexes.keys()];
  }

  /** Insert or replace the item of `item.key`, keeping indexes current. @returns the previous item. */
  set(item: Versioned<T>): Versioned<T> | undefined {
    const entry = this.#entries.get(item.key);
    if (entry === undefined) {
      this.#entries.set(item.key, { item, mark: this.#mark });
      if (this.#indexFns.length > 0) this.#index(item, undefined);
      return undefined;
    }
    const previous = entry.item;
    entry.item = item;
    entry.mark = this.#mark;
    if (this.#indexFns.length > 0) this.#index(item, previous);
    return previous;
  }

  /** Remove `key`. @returns the removed item. */
  delete(key: string): Versioned<T> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (this.#indexFns.length > 0) this.#unindex(entry.item);
    return entry.item;
  }

  /** Remove everything. */
  clear(): void {
    this.#entries.clear();
    for (const index of this.#indexes.values()) index.clear();
  }

  /**
   * Start a mark-and-sweep pass (used by a relist): from now on {@link set} and {@link mark} stamp keys as seen,
   * and {@link sweep} removes every key not stamped since this call.
   */
  beginMark(): void {
    this.#mark++;
  }

  /** Stamp `key` as seen in the current pass. @returns its item, or `undefined` when absent. */
  mark(key: string): Versioned<T> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    entry.mark = this.#mark;
    return entry.item;
  }

  /** Remove every key not stamped since {@link beginMark}, calling `onRemoved` for each. @returns how many. */
  sweep(onRemoved: (item: Versioned<T>) => void): number {
    const mark = this.#mark;
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.mark === mark) continue;
      this.#entries.delete(key);
      if (this.#indexFns.length > 0) this.#unindex(entry.item);
      removed++;
      onRemoved(entry.item);
    }
    return removed;
  }

  #index(item: Versioned<T>, previous: Versioned<T> | undefined): void {
    for (const [name, fn] of this.#indexFns) {
      const index = this.#indexes.get(name) as Map<string, Set<string>>;
      const before = previous === undefined ? EMPTY : fn(previous);
      const after = fn(item);
      for (const value of before) {
        if (!after.includes(value)) removeFrom(index, value, item.key);
      }
      for (const value of after) {
        let keys = index.get(value);
        if (keys === undefined) {
          keys = new Set();
          index.set(value, keys);
        }
        keys.add(item.key);
      }
    }
  }

  #unindex(item: Versioned<T>): void {
    for (const [name, fn] of this.#indexFns) {
      const index = this.#indexes.get(name) as Map<string, Set<string>>;
      for (const value of fn(item)) removeFrom(index, value, item.key);
    }
  }
}

const EMPTY: readonly string[] = [];

function removeFrom(index: Map<string, Set<string>>, value: string, key: string): void {
  const keys = index.get(value);
  if (keys === undefined) return;
  keys.delete(key);
  if (keys.size === 0) index.delete(value);
}
