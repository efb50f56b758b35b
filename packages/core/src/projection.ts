/**
 * A projection derives keyed desired state from one or more informer caches (for example Services +
 * EndpointSlices + Nodes → one `BackendSet` per service). An input change marks only the output keys that
 * `affects` names for the old and the new item; marked keys are re-derived once per burst (on the next turn of
 * the event loop, so a relist or a backlog of watch events touching one service a thousand times derives it once), and a key's version moves only
 * when the derived value really changed. The output lives in a {@link MemoryStore}, so a projection is itself a
 * {@link ListWatch}: a Controller, an HTTP server or another projection's informer can follow it. Its versions
 * are its own and start again with every instance (every process), so its lists carry a random `epoch`.
 */
import { EventEmitter } from 'eventemitter3';
import deepEqual from 'fast-deep-equal';
import { type Observable, Subject } from 'rxjs';
import type { Cache, CacheReader } from './cache.js';
import { ConfigError, type NitroxError, ShutdownError, SourceError } from './errors.js';
import type { Informer } from './informer.js';
import type { InformerChange } from './informer-options.js';
import type { ListResult, ListWatch, Versioned, WatchEvent } from './list-watch.js';
import { MemoryStore } from './memory-store.js';
import { SyncLatch } from './sync-latch.js';

// biome-ignore lint/suspicious/noExplicitAny: inputs are informers of any item type; each is typed through the record.
type AnyInformer = Informer<any>;
/** The item type of an informer. */
export type InformerValue<I> = I extends Informer<infer T> ? T : never;
/** The caches of a projection's inputs, by input name. */
export type ProjectionCaches<I extends Record<string, AnyInformer>> = { readonly [K in keyof I]: Cache<InformerValue<I[K]>> };

type AffectsFn<I extends Record<string, AnyInformer>> = (item: Versioned<unknown>, caches: ProjectionCaches<I>) => Iterable<string>;

/** Options of {@link Projection}. */
export interface ProjectionOptions<Out, I extends Record<string, AnyInformer>> {
  /** Name used in errors. @defaultValue 'projection' */
  name?: string;
  /** The input informers, by name. The projection listens to them; starting them is the caller's job. */
  inputs: I;
  /** For each input: the output keys an item of that input contributes to (called for old and new items). */
  affects: { readonly [K in keyof I]: (item: Versioned<InformerValue<I[K]>>, caches: ProjectionCaches<I>) => Iterable<string> };
  /** The output value of `key` from the current caches, or `undefined` when the key should not exist. */
  derive: (key: string, caches: ProjectionCaches<I>) => Out | undefined;
  /** Output equality: an equal value keeps its version. @defaultValue fast-deep-equal */
  equals?: (a: Out, b: Out) => boolean;
  /** History of the output store, for watchers of the projection. @defaultValue 1000 */
  historyLimit?: number;
}

/** Events of a {@link Projection}. */
export interface ProjectionEvents {
  /** Every input has synced and every key has been derived. */
  synced: () => void;
  /** `affects` or `derive` threw; the key keeps its previous value. */
  error: (err: NitroxError) => void;
}

/** Counters of a {@link Projection}. */
export interface ProjectionStats {
  /** Calls of `derive`. */
  readonly derives: number;
  /** Output changes (puts and deletes). */
  readonly changes: number;
  /** Failures of `affects` or `derive`. */
  readonly errors: number;
}

/**
 * Keyed desired state derived from informer caches; itself a {@link ListWatch}.
 *
 * @example
 * ```ts
 * const pools = new Projection<BackendSet, { services: Informer<Svc>; endpoints: Informer<Ep> }>({
 *   inputs: { services, endpoints },
 *   affects: { services: (s) => [s.key], endpoints: (e) => [e.value.service] },
 *   derive: (key, { services, endpoints }) => services.has(key) ? toBackendSet(key, endpoints.byIndex('service', key)) : undefined,
 * });
 * pools.start();
 * ```
 */
export class Projection<Out, I extends Record<string, AnyInformer> = Record<string, AnyInformer>>
  extends EventEmitter<ProjectionEvents>
  implements ListWatch<Out>
{
  /**
   * A random identity of this instance's version numbering, returned with every list (`ListResult.epoch`): a
   * new projection numbers its keys from the start again, so versions remembered from another instance must not
   * be compared with its own.
   */
  readonly epoch: string = globalThis.crypto.randomUUID();
  /** Read access to the derived values. */
  readonly cache: CacheReader<Out>;
  /** Every output change. */
  readonly changes$: Observable<InformerChange<Out>>;
  readonly #store: MemoryStore<Out>;
  readonly #name: string;
  readonly #inputs: [string, AnyInformer][];
  readonly #affects: Record<string, AffectsFn<I>>;
  readonly #derive: (key: string, caches: ProjectionCaches<I>) => Out | undefined;
  readonly #equals: (a: Out, b: Out) => boolean;
  readonly #caches: ProjectionCaches<I>;
  readonly #subject = new Subject<InformerChange<Out>>();
  readonly #stats = { derives: 0, changes: 0, errors: 0 };
  #dirty = new Set<string>();
  #scheduled = false;
  #running = false;
  #unsubscribe: (() => void)[] = [];
  readonly #sync = new SyncLatch();

  /** @throws {@link ConfigError} when an input has no `affects` function or an option is invalid. */
  constructor(options: ProjectionOptions<Out, I>) {
    super();
    this.#name = options.name ?? 'projection';
    if (typeof options.inputs !== 'object' || options.inputs === null || Object.keys(options.inputs).length === 0) {
      throw new ConfigError('inputs', 'must name at least one informer');
    }
    if (typeof options.derive !== 'function') throw new ConfigError('derive', 'must be a function');
    this.#inputs = Object.entries(options.inputs);
    const caches: Record<string, Cache<unknown>> = {};
    for (const [name, informer] of this.#inputs) {
      if (typeof (options.affects as Record<string, unknown>)[name] !== 'function') {
        throw new ConfigError(`affects.${name}`, 'must be a function (every input needs one)');
      }
      if (informer === null || typeof informer !== 'object' || !('cache' in informer)) {
        throw new ConfigError(`inputs.${name}`, 'must be an Informer');
      }
      caches[name] = informer.cache;
    }
    this.#caches = caches as ProjectionCaches<I>;
    this.#affects = options.affects as unknown as Record<string, AffectsFn<I>>;
    this.#derive = options.derive;
    this.#equals = options.equals ?? deepEqual;
    this.#store = new MemoryStore<Out>(options.historyLimit === undefined ? {} : { historyLimit: options.historyLimit });
    const store = this.#store;
    this.cache = {
      get size() {
        return store.size;
      },
      get: (key) => store.get(key),
      has: (key) => store.has(key),
      keys: () => store.keys(),
      values: () => store.values(),
      byIndex: (indexName) => {
        throw new ConfigError(`indexes.${indexName}`, 'a projection cache has no indexes');
      },
      indexNames: () => [],
    };
    this.changes$ = this.#subject.asObservable();
  }

  /** Revision of the output store. */
  get revision(): string {
    return this.#store.revision;
  }

  /** A snapshot of the counters. */
  get stats(): ProjectionStats {
    return { ...this.#stats };
  }

  /** Whether every input has synced and every key has been derived. */
  hasSynced(): boolean {
    return this.#sync.isOpen;
  }

  /** Resolve once synced. @throws the signal's reason on abort, {@link ShutdownError} when stopped first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.#sync.wait(signal);
  }


  /**
   * List the derived values; waits until the projection has synced, so a follower never sees a partial state.
   * The result carries this projection's {@link Projection.epoch}.
   */
  async list(signal: AbortSignal): Promise<ListResult<Out>> {
    await this.waitForSync(signal);
    const { revision, items } = await this.#store.list(signal);
    return { revision, items, epoch: this.epoch };
  }

  /** Watch the derived values (see {@link MemoryStore.watch}). */
  watch(fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent<Out>> {
    return this.#store.watch(fromRevision, signal);
  }

  /** Subscribe to the inputs (it does not start them); derive everything once all have synced. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const [name, informer] of this.#inputs) {
      const onAdded = (item: Versioned<unknown>): void => this.#touch(name, item);
      const onUpdated = (item: Versioned<unknown>, previous: Versioned<unknown>): void => {
        this.#touch(name, previous);
        this.#touch(name, item);
      };
      const onSynced = (): void => this.#maybeSync();
      informer.on('added', onAdded).on('updated', onUpdated).on('deleted', onAdded).on('synced', onSynced);
      this.#unsubscribe.push(() => {
        informer.off('added', onAdded).off('updated', onUpdated).off('deleted', onAdded).off('synced', onSynced);
      });
    }
    this.#maybeSync();
  }

  /** Unsubscribe from the inputs. Pending {@link waitForSync} calls reject with ShutdownError. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#dirty.clear();
    this.#sync.reset(new ShutdownError(`${this.#name} stopped before sync`));
  }

  #maybeSync(): void {
    if (!this.#running || this.#sync.isOpen) return;
    for (const [, informer] of this.#inputs) if (!informer.hasSynced()) return;
    // Everything any input item contributes to, plus what we hold already (a restart may have to delete).
    const keys = new Set<string>(this.#store.keys());
    for (const [name, informer] of this.#inputs) {
      for (const item of informer.cache.values()) this.#collect(name, item, keys);
    }
    this.#dirty.clear();
    for (const key of keys) this.#rederive(key);
    this.#sync.open();
    this.emit('synced');
  }

  #touch(input: string, item: Versioned<unknown>): void {
    // Before sync the full derivation at sync time covers every change.
    if (!this.#sync.isOpen) return;
    this.#collect(input, item, this.#dirty);
    if (!this.#scheduled && this.#dirty.size > 0) {
      this.#scheduled = true;
      // After the pending I/O callbacks and microtasks: a backlog of watch events is drained first.
      setImmediate(this.#flush);
    }
  }

  #collect(input: string, item: Versioned<unknown>, into: Set<string>): void {
    try {
      for (const key of (this.#affects[input] as AffectsFn<I>)(item, this.#caches)) into.add(key);
    } catch (err) {
      this.#failed(`affects.${input}("${item.key}")`, err);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    if (!this.#running) return;
    const dirty = this.#dirty;
    this.#dirty = new Set();
    for (const key of dirty) this.#rederive(key);
  };

  #rederive(key: string): void {
    let value: Out | undefined;
    this.#stats.derives++;
    try {
      value = this.#derive(key, this.#caches);
    } catch (err) {
      this.#failed(`derive("${key}")`, err);
      return;
    }
    const current = this.#store.get(key);
    if (value === undefined) {
      if (current === undefined) return;
      this.#store.delete(key);
      this.#stats.changes++;
      this.#subject.next({ type: 'deleted', item: current });
      return;
    }
    if (current !== undefined && this.#equals(current.value, value)) return;
    const item = this.#store.put(key, value);
    this.#stats.changes++;
    this.#subject.next(current === undefined ? { type: 'added', item } : { type: 'updated', item, previous: current });
  }

  #failed(what: string, err: unknown): void {
    this.#stats.errors++;
    const message = err instanceof Error ? err.message : String(err);
    this.emit('error', new SourceError(`${this.#name}: ${what} failed: ${message}`, { cause: err, retryable: false }));
  }
}
