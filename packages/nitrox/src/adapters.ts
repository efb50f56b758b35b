/**
 * The seams between the controller application and the adapter packages. A {@link SourceRuntime} wraps one
 * `sources:` entry (one set of informers, shared by every mapping that reads from it); a {@link SinkRuntime}
 * wraps one `sinks:` entry (one session, shared likewise). The factories that build them from the
 * configuration live in factories.ts; tests and the demo may inject their own.
 */
import type { BackendSet, ListWatch, Sink } from '@nitrox/core';
import type { ResolvedMapping } from './load-config.js';
import type { SourceCounters } from './metrics.js';

/** One source entry at run time. */
export interface SourceRuntime {
  /** Entry name. */
  readonly name: string;
  /** Adapter type (`kubernetes`, `marathon`, `swarm`). */
  readonly type: string;
  /**
   * The desired pool of `mapping`'s app, as a `ListWatch` holding that single key, its value renamed to the
   * mapping's pool. Call before `start()`.
   */
  view(mapping: ResolvedMapping): ListWatch<BackendSet>;
  /** Current desired pool of `mapping` from the synced cache, for `plan`. */
  desired(mapping: ResolvedMapping): BackendSet | undefined;
  /** Start listing and watching. */
  start(): void;
  /** Stop watching. */
  stop(): Promise<void>;
  /** True once every informer has synced. */
  hasSynced(): boolean;
  /** Resolve once synced; rejects when `signal` aborts. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Monotonic counters summed over the source's informers. */
  counters(): SourceCounters;
  /** Subscribe to list/watch errors (the source retries them itself). */
  onError(listener: (error: Error) => void): void;
}

/** Per-pool settings a sink needs besides the members. */
export interface PoolSettings {
  /** Pool (servicegroup) name. */
  readonly pool: string;
  /** Virtual server to bind the pool to. */
  readonly lbvserver: string | undefined;
  /** Servicegroup type. */
  readonly servicegroupType: string;
  /** Whether an empty set may empty the pool. */
  readonly allowEmpty: boolean;
}

/** One sink entry at run time. */
export interface SinkRuntime {
  /** Entry name. */
  readonly name: string;
  /** A sink for one pool; `apply(pool, set)` keeps it equal to `set`. */
  pool(settings: PoolSettings): Sink<BackendSet>;
  /** Requests made so far by result, for metrics. */
  requests(): { readonly ok: number; readonly error: number };
  /** Log out and close connections. */
  close(): Promise<void>;
}

/** Builds the runtimes of a configuration (injectable so tests and the demo can supply their own). */
export interface AdapterFactories {
  source(name: string): SourceRuntime;
  sink(name: string): SinkRuntime;
}
