/**
 * What a plugin's factory builds: the run-time objects the host wires into its controllers. A
 * {@link SourceRuntime} stands for one `sources:` entry (one connection, one set of watches, shared by every
 * mapping that reads from it); a {@link SinkRuntime} for one `sinks:` entry (one session, shared likewise). The
 * host asks a source for one view per mapping and a sink for one `Sink` per pool; it never looks inside.
 */
import type { BackendSet, ListWatch, Sink } from '@nitrox/core';

/** Monotonic counters a source reports for the host's metrics; every field is optional. */
export interface SourceCounters {
  /** Full lists (initial and relists). */
  readonly lists?: number;
  /** Relists after the first. */
  readonly relists?: number;
  /** Watch streams reopened. */
  readonly watchRestarts?: number;
  /** Errors of list or watch (each retried by the source). */
  readonly errors?: number;
  /** Objects the source skipped because they were malformed. */
  readonly malformed?: number;
  /** Watch events (or the peer's own change events) received. */
  readonly events?: number;
}

/**
 * Monotonic counters of the work a sink does by itself, outside the applies the host asks for, for the host's
 * metrics; every field is optional (added to apiVersion 1 without a bump).
 */
export interface SinkCounters {
  /** Restarts or reloads of the peer that the sink noticed. */
  readonly peerRestarts?: number;
  /** Pools the sink re-applied by itself, with no change from the source (e.g. after a peer restart). */
  readonly reapplies?: number;
  /** Writes of state the peer loads when it starts (e.g. HAProxy's server-state file). */
  readonly stateWrites?: number;
  /** Failures of that work (re-applies, restart checks, state writes), each logged by the sink. */
  readonly errors?: number;
}

/**
 * One mapping as a source sees it: which application it reads and the source-specific options of the mapping
 * (validated by the plugin's `mapping` schema, `defaults` merged in).
 *
 * @typeParam Options - the parsed output of the plugin's `mapping` schema.
 */
export interface SourceMapping<Options = Record<string, unknown>> {
  /** Mapping name (logs, metrics). */
  readonly name: string;
  /** Application key in the source, as written in the mapping (`app:`). */
  readonly app: string;
  /** Pool name the view's value must carry. */
  readonly pool: string;
  /** Source-specific options of the mapping. */
  readonly options: Options;
}

/** One `sources:` entry at run time. */
export interface SourceRuntime<Options = Record<string, unknown>> {
  /** Entry name. */
  readonly name: string;
  /** Plugin type. */
  readonly type: string;
  /**
   * The desired pool of `mapping`'s app, as a `ListWatch` holding that single key, its value named after the
   * mapping's pool. Called once per mapping, before `start()`.
   */
  view(mapping: SourceMapping<Options>): ListWatch<BackendSet>;
  /** Current desired pool of `mapping` from the synced cache (for `nitrox plan`). */
  desired(mapping: SourceMapping<Options>): BackendSet | undefined;
  /** Start listing and watching. */
  start(): void;
  /** Stop watching and release connections. */
  stop(): Promise<void>;
  /** True once every watch has synced. */
  hasSynced(): boolean;
  /** Resolve once synced; reject when `signal` aborts. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Counters summed over the source's watches. */
  counters(): SourceCounters;
  /** Subscribe to list/watch errors (the source retries them itself). */
  onError(listener: (error: Error) => void): void;
  /**
   * Since when the source has been out of contact with its peer — no answered read and no healthy stream — as a
   * time of the `clock` in the {@link PluginContext} the runtime was built with; `undefined` while in contact
   * (and before `start()` or after `stop()`). From `start()` until the first answered read it is the start time.
   * The host turns it into a staleness gauge, a readiness check and log lines. Optional, added to apiVersion 1
   * without a bump: a host treats a source without it as always in contact.
   */
  disconnectedSince?(): number | undefined;
}

/**
 * One pool as a sink sees it.
 *
 * @typeParam Options - the parsed output of the sink plugin's `mapping` schema.
 */
export interface PoolSettings<Options = Record<string, unknown>> {
  /** Pool name in the sink. */
  readonly pool: string;
  /** Whether an empty desired set may empty the pool. */
  readonly allowEmpty: boolean;
  /** Sink-specific options of the mapping. */
  readonly options: Options;
}

/** One `sinks:` entry at run time. */
export interface SinkRuntime<Options = Record<string, unknown>> {
  /** Entry name. */
  readonly name: string;
  /** A sink for one pool; `apply(pool, set)` keeps the pool equal to `set`. */
  pool(settings: PoolSettings<Options>): Sink<BackendSet>;
  /** Requests made so far by result, for metrics. */
  requests(): { readonly ok: number; readonly error: number };
  /** Counters of the sink's own background work, for metrics. Optional. */
  counters?(): SinkCounters;
  /** Log out and close connections. */
  close(): Promise<void>;
}
