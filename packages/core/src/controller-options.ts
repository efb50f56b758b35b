/**
 * The types around a {@link Controller}: its options (with a `defaults` constant and an eager resolve step
 * that throws a ConfigError naming the bad option), the reconcile function's context and result, and the
 * events and stats it reports for metrics. Kept apart from the controller's loop so that file stays about
 * scheduling.
 */
import { type Clock, systemClock } from './clock.js';
import type { AppliedRecord, AppliedVersions } from './applied-versions.js';
import { ConfigError } from './errors.js';
import type { Informer, InformerOptions } from './informer.js';
import type { ListWatch, Versioned } from './list-watch.js';
import { checkNumber } from './option-checks.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/**
 * Why a reconcile runs: `change` (the desired state changed or was triggered), `resync` (the periodic pass
 * that repairs drift of the actual state), `retry` (an earlier attempt failed), `requeue` (an earlier
 * reconcile asked for it with `requeueAfterMs`). When several apply, the first in that order is reported.
 */
export type ReconcileReason = 'change' | 'resync' | 'retry' | 'requeue';

/** What a reconcile function is told besides the key and the desired state. */
export interface ReconcileContext {
  /** Aborted only by `stop({ drain: false })`; a graceful stop lets the reconcile finish. */
  readonly signal: AbortSignal;
  /** Why this run happens. */
  readonly reason: ReconcileReason;
  /** 1 for the first try, n + 1 after n consecutive failures of this key. */
  readonly attempt: number;
}

/** What a reconcile function may return. */
export interface ReconcileResult {
  /** Reconcile this key again after this many ms (reason `requeue`), even if nothing changes. */
  readonly requeueAfterMs?: number;
}

/**
 * Make the actual state of `key` match `desired` (`undefined`: the key was deleted). Throw to retry with
 * backoff; throw an error carrying `requeueAfterMs` (see `RequeueError`) to retry after that delay instead.
 */
export type ReconcileFn<T> = (
  key: string,
  desired: Versioned<T> | undefined,
  ctx: ReconcileContext,
) => Promise<ReconcileResult | undefined | void>;

/** Options of a {@link Controller}. */
export interface ControllerOptions<T> {
  /** Name used in events and errors. @defaultValue 'controller' */
  name?: string;
  /**
   * Where the desired state comes from. A `ListWatch` gets an Informer owned (started and stopped) by the
   * controller; an `Informer` is shared: the caller starts and stops it, the controller only listens.
   */
  source: ListWatch<T> | Informer<T>;
  /** Applies the desired state of one key. */
  reconcile: ReconcileFn<T>;
  /** Keys reconciled at once (never the same key twice at once). @defaultValue 1 */
  concurrency?: number;
  /** Period of the resync pass that re-enqueues every key at low priority; 0 = off. @defaultValue 0 */
  resyncMs?: number;
  /** Trailing debounce per key: a burst of changes within it gives one reconcile; 0 = off. @defaultValue 0 */
  debounceMs?: number;
  /** Upper bound of the debounce under constant churn. @defaultValue 10 × debounceMs */
  maxWaitMs?: number;
  /** Per-key retry delay after a failure; `forget` on success. @defaultValue defaultControllerRateLimiter({ clock }) */
  rateLimiter?: RateLimiter<string>;
  /** Time source. @defaultValue systemClock */
  clock?: Clock;
  /** Least share of work given to the low-priority lane (resync, initial list), passed to the WorkQueue. */
  lowPriorityShare?: number;
  /**
   * Memory of the last applied version per key. Pass the previous controller's instance on restart so versions
   * older than those already applied are never applied again, and keys it applied but that vanished from the
   * source meanwhile get their deletion reconciled. The records are per source incarnation: when the source's
   * lists carry another `epoch` (a new `Projection` numbers its versions anew), they are demoted and every key
   * is applied once more. A source whose numbering restarts without an epoch must not share them.
   * @defaultValue a new, empty AppliedVersions
   */
  appliedVersions?: AppliedVersions;
  /**
   * Keys the actual state holds (e.g. the pools a sink owns). Read after the initial sync and on every resync;
   * keys absent from the desired state are reconciled with `undefined`, which removes orphans left by
   * deletions missed while no controller ran. It should settle soon after `signal` aborts: `stop()` waits for
   * a read in progress. @defaultValue none
   */
  actualKeys?: (signal: AbortSignal) => Promise<Iterable<string>> | Iterable<string>;
  /** Options of the Informer built over a `ListWatch` source (ignored for an Informer source). */
  informer?: Omit<InformerOptions<T>, 'clock'>;
}

/** Defaults of {@link ControllerOptions}; `maxWaitMs` and `rateLimiter` derive from the other options. */
export const controllerDefaults = {
  /** Shown in events and errors. */
  name: 'controller',
  /** One worker: the safe choice for sinks that cannot take parallel writes. */
  concurrency: 1,
  /** Off: informer watches keep the cache current; turn on to repair drift in the actual state. */
  resyncMs: 0,
  /** Off: each change is reconciled as soon as a worker is free (the queue still coalesces). */
  debounceMs: 0,
  /** maxWaitMs = debounceMs × this, so a key under constant churn still converges. */
  maxWaitFactor: 10,
} as const;

/** Options after defaults and validation. */
export interface ResolvedControllerOptions<T> {
  readonly name: string;
  readonly source: ListWatch<T> | Informer<T>;
  readonly reconcile: ReconcileFn<T>;
  readonly concurrency: number;
  readonly resyncMs: number;
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  readonly rateLimiter: RateLimiter<string>;
  readonly clock: Clock;
  readonly lowPriorityShare: number | undefined;
  readonly actualKeys: ControllerOptions<T>['actualKeys'];
  readonly informer: Omit<InformerOptions<T>, 'clock'> | undefined;
}

/**
 * Apply defaults and validate eagerly.
 *
 * @throws ConfigError naming the first invalid option.
 */
export function resolveControllerOptions<T>(options: ControllerOptions<T>): ResolvedControllerOptions<T> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object');
  const source = options.source as unknown;
  if (
    typeof source !== 'object' ||
    source === null ||
    typeof (source as { list?: unknown }).list !== 'function' ||
    typeof (source as { watch?: unknown }).watch !== 'function'
  ) {
    if (!(typeof source === 'object' && source !== null && 'cache' in source && 'waitForSync' in source)) {
      throw new ConfigError('source', 'must be a ListWatch or an Informer');
    }
  }
  if (typeof options.reconcile !== 'function') throw new ConfigError('reconcile', 'must be a function');
  const concurrency = options.concurrency ?? controllerDefaults.concurrency;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('concurrency', `must be an integer >= 1, got ${String(concurrency)}`);
  }
  const resyncMs = checkNumber('resyncMs', options.resyncMs ?? controllerDefaults.resyncMs, 0);
  const debounceMs = checkNumber('debounceMs', options.debounceMs ?? controllerDefaults.debounceMs, 0);
  const maxWaitMs = checkNumber(
    'maxWaitMs',
    options.maxWaitMs ?? debounceMs * controllerDefaults.maxWaitFactor,
    debounceMs,
  );
  if (!Number.isFinite(resyncMs)) throw new ConfigError('resyncMs', 'must be finite (0 turns resync off)');
  if (options.actualKeys !== undefined && typeof options.actualKeys !== 'function') {
    throw new ConfigError('actualKeys', 'must be a function');
  }
  const rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<string>({ clock: options.clock ?? systemClock });
  if (typeof rateLimiter.when !== 'function' || typeof rateLimiter.forget !== 'function') {
    throw new ConfigError('rateLimiter', 'must implement when() and forget()');
  }
  return {
    name: options.name ?? controllerDefaults.name,
    source: options.source,
    reconcile: options.reconcile,
    concurrency,
    resyncMs,
    debounceMs,
    maxWaitMs,
    rateLimiter,
    clock: options.clock ?? systemClock,
    lowPriorityShare: options.lowPriorityShare,
    actualKeys: options.actualKeys,
    informer: options.informer,
  };
}

/** Options of `Controller.stop`. */
export interface ControllerStopOptions {
  /**
   * `true`: let running reconciles finish with their signal untouched. `false`: abort their signal (they
   * should give up quickly). Keys still waiting are dropped either way; the next controller relists them.
   * @defaultValue true
   */
  drain?: boolean;
}

/** Emitted after every completed reconcile that succeeded. */
export interface ReconciledEvent {
  readonly key: string;
  /** Version of the applied value (for a deletion: of the last value known before it). */
  readonly version: number;
  /** True when the desired state was `undefined` (a deletion). */
  readonly deleted: boolean;
  readonly reason: ReconcileReason;
  readonly attempt: number;
  /** Clock time the reconcile took. */
  readonly durationMs: number;
  /** Set when the reconcile asked to run again. */
  readonly requeueAfterMs?: number;
}

/** Where an error reported on the `error` event came from. */
export interface ControllerErrorInfo {
  /** `reconcile`: the reconcile function threw; `source`: the informer reported it; `actual-keys`: `actualKeys` failed. */
  readonly phase: 'reconcile' | 'source' | 'actual-keys';
  readonly key?: string;
  readonly reason?: ReconcileReason;
  readonly attempt?: number;
  readonly durationMs?: number;
  /** Delay before the retry (undefined when no retry is scheduled, e.g. while stopping). */
  readonly retryInMs?: number;
}

/** Emitted when the desired state found is older than the applied one (it is not reconciled). */
export interface StaleDiscardedEvent {
  readonly key: string;
  readonly candidate: AppliedRecord;
  /** The highest record applied or attempted for the key (an attempt that failed may still have written). */
  readonly applied: AppliedRecord;
  readonly reason: ReconcileReason;
}

/** Emitted when a change carries the state already applied (it is not reconciled). */
export interface SkippedEvent {
  readonly key: string;
  readonly candidate: AppliedRecord;
}

/** Events of a {@link Controller} (eventemitter3). */
export interface ControllerEvents {
  reconciled: (event: ReconciledEvent) => void;
  error: (error: Error, info: ControllerErrorInfo) => void;
  staleDiscarded: (event: StaleDiscardedEvent) => void;
  skipped: (event: SkippedEvent) => void;
}

/** A snapshot of a controller's counters, for metrics. Counters only grow; gauges are current values. */
export interface ControllerStats {
  /** Gauge: keys waiting in the queue (not counting delayed retries). */
  readonly queueDepth: number;
  /** Gauge: reconciles running now. */
  readonly inFlight: number;
  /** Gauge: keys waiting for a delayed retry or requeue. */
  readonly pendingRetries: number;
  /** Reconcile calls completed, failed ones included. */
  readonly reconciles: number;
  /** Reconcile calls that threw. */
  readonly reconcileErrors: number;
  /** Errors reported by the source (informer) or by `actualKeys`. */
  readonly sourceErrors: number;
  /** States older than the applied one, not reconciled. */
  readonly staleDiscarded: number;
  /** Changes carrying the already applied state, not reconciled. */
  readonly skipped: number;
  /** Retries scheduled after failures. */
  readonly retries: number;
  /** Requeues scheduled by `requeueAfterMs` results. */
  readonly requeues: number;
  /** Resync passes started. */
  readonly resyncs: number;
  /** Sum and maximum of reconcile durations in ms (clock time). */
  readonly durationMsTotal: number;
  readonly durationMsMax: number;
  /** Clock time of the last successful reconcile of any key. */
  readonly lastSuccessAt: number | undefined;
}
