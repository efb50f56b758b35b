/**
 * @nitrox/core: the desired-state reconciliation engine. No network I/O, no vendor knowledge.
 */
export type { ListResult, ListWatch, Versioned, WatchEvent, WatchEventType, WatchStream } from './list-watch.js';
export {
  ConfigError,
  ConflictError,
  ExpiredError,
  isNitroxError,
  MalformedEventError,
  NitroxError,
  type NitroxErrorCode,
  type NitroxErrorOptions,
  type PeerErrorOptions,
  ShutdownError,
  SinkError,
  SourceError,
  TimeoutError,
} from './errors.js';
export { abortReason, type Clock, sleep, systemClock, type TimerHandle, untilAborted, VirtualClock } from './clock.js';
export { type Backend, type BackendSet, backendKey, normalizeBackendSet } from './load-balancer.js';
export type { ApplyResult, Sink } from './sink.js';
export {
  MemoryStore,
  type MemoryStoreOptions,
  memoryStoreDefaults,
  type WriteOptions,
} from './memory-store.js';
export { type DiffOptions, type DiffResult, diff } from './diff.js';
export { Cache, type CacheOptions, type CacheReader, type IndexFunctions } from './cache.js';
export { RetryBackoff, type RetryBackoffOptions, retryBackoffDefaults } from './retry-backoff.js';
export { SyncLatch } from './sync-latch.js';
export {
  Informer,
  type InformerChange,
  informerDefaults,
  type InformerEvents,
  type InformerOptions,
  type InformerStats,
} from './informer.js';
export {
  type InformerValue,
  Projection,
  type ProjectionCaches,
  type ProjectionEvents,
  type ProjectionOptions,
  type ProjectionStats,
} from './projection.js';
export {
  type DefaultControllerRateLimiterOptions,
  defaultControllerRateLimiter,
  type ExponentialBackoffOptions,
  exponentialBackoff,
  exponentialBackoffDefaults,
  maxOf,
  type RateLimiter,
  type TokenBucketOptions,
  tokenBucket,
} from './rate-limiter.js';
export {
  type AddOptions,
  type ShutDownOptions,
  WorkQueue,
  type WorkQueueOptions,
  type WorkPriority,
  workQueueDefaults,
} from './work-queue.js';
export {
  coalesce,
  type DebounceOptions,
  type DebounceTiming,
  type Debounced,
  debounce,
  resolveDebounceOptions,
} from './debounce.js';
export { KeyedDebouncer, type KeyedDebouncerOptions } from './keyed-debouncer.js';
export {
  type AppliedComparison,
  type AppliedRecord,
  AppliedVersions,
  type AppliedVersionsOptions,
  compareApplied,
} from './applied-versions.js';
export { RequeueError, requeueAfterOf, withRequeueAfter } from './requeue-error.js';
export {
  type ControllerErrorInfo,
  type ControllerEvents,
  type ControllerOptions,
  type ControllerStats,
  type ControllerStopOptions,
  controllerDefaults,
  type ReconcileContext,
  type ReconciledEvent,
  type ReconcileFn,
  type ReconcileReason,
  type ReconcileResult,
  type SkippedEvent,
  type StaleDiscardedEvent,
} from './controller-options.js';
export { Controller } from './controller.js';
export { type SinkReconcilerOptions, sinkReconciler } from './sink-reconciler.js';
export type { LeaseLock, LeaseRecord, VersionedLeaseRecord } from './lease-lock.js';
export { MemoryLeaseLock, type MemoryLeaseLockOptions } from './memory-lease-lock.js';
export {
  type LeaderCallbacks,
  type Leadership,
  LeaderElector,
  type LeaderElectorEvents,
  type LeaderElectorOptions,
  leaderElectorDefaults,
} from './leader-elector.js';
export {
  type LatestValueStats,
  LatestValue,
  type VersionedValue,
} from './latest-value.js';
export {
  type PollResult,
  Poller,
  type PollerEvents,
  type PollerOptions,
  type PollerStats,
  pollerDefaults,
} from './poller.js';
