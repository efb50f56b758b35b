/**
 * Options of {@link MarathonSource}: the connection, which apps to project and how, the event stream, and the
 * timing of coalescing and polling. Every default is documented with its reason; everything is validated when
 * the source is constructed, and errors name the option.
 */
import { type Clock, ConfigError, systemClock } from '@nitrox/core';
import { type AppSelector, compileSelector } from './app-selector.js';
import { type ProjectionOptions, type ResolvedProjectionOptions, resolveProjectionOptions } from './backend-projection.js';
import { checkNonNegative, checkPositive } from './checks.js';
import { CachedHostResolver, type HostResolverOptions } from './host-resolver.js';
import { relevantEventTypes } from './marathon-events.js';
import { type MarathonApi, MarathonClient } from './marathon-client.js';
import { type MarathonConnectionOptions, resolveConnection } from './marathon-options.js';
import type { MarathonApp } from './marathon-types.js';
import type { Backoff, BackoffOptions } from './reconnect-backoff.js';

/** Options of {@link MarathonSource}. */
export interface MarathonSourceOptions extends Omit<MarathonConnectionOptions, 'url'>, ProjectionOptions {
  /** Base URL of Marathon (required unless `client` is given); see {@link MarathonConnectionOptions.url}. */
  readonly url?: string | readonly string[];
  /** Use this client instead of one built from the connection options (tests, custom transports); not closed by `stop()`. */
  readonly client?: MarathonApi;
  /** Which apps become pools. @defaultValue every app */
  readonly select?: AppSelector;
  /** Follow `/v2/events`; `false` polls only (every `snapshotIntervalMs`). @defaultValue `true` */
  readonly events?: boolean;
  /** `event_type` filters of the stream. @defaultValue {@link relevantEventTypes} */
  readonly eventTypes?: readonly string[];
  /** Silence after which the stream is reopened (heartbeats come every ~10 s). @defaultValue `30_000` */
  readonly idleTimeoutMs?: number;
  /** Backoff of stream reconnects and of failed fetches. @defaultValue 800 ms … 30 s, full jitter */
  readonly backoff?: BackoffOptions;
  /**
   * Quiet time after the last event before dirty apps are fetched: a deployment emits a burst of events per
   * task, and one fetch after the burst sees all of it. @defaultValue `200`
   */
  readonly debounceMs?: number;
  /** Longest delay of a fetch under a constant stream of events. @defaultValue `1_000` */
  readonly maxWaitMs?: number;
  /**
   * Interval of the full snapshot (`/v2/apps?embed=apps.tasks`) that repairs lost events, ±10% jitter; 0 turns
   * it off (a snapshot still follows every (re)connect). marathon-lb uses 300 s; one minute bounds the drift a
   * lost event can cause while costing one request. @defaultValue `60_000`
   */
  readonly snapshotIntervalMs?: number;
  /** With more dirty apps than this, one full snapshot replaces the per-app fetches. @defaultValue `8` */
  readonly maxAppFetches?: number;
  /** Per-app fetches in flight at once. @defaultValue `4` */
  readonly fetchConcurrency?: number;
  /** History kept by the store of projected sets (watches older than it get ExpiredError). @defaultValue `1_000` */
  readonly historyLimit?: number;
  /** Time source. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** Random source for jitter, in [0, 1). @defaultValue `Math.random` */
  readonly random?: () => number;
  /** Replace the reconnect backoff of the stream (tests). */
  readonly streamBackoff?: Backoff;
  /**
   * Resolve agent hostnames (Mesos agents register by hostname by default) to addresses before they become
   * members, with a cache (see `resolver`). `false` resolves nothing: a task on a named host is then left out
   * (reported as a `HostResolutionError`), so a name never reaches a sink that expects an IP. @defaultValue `true`
   */
  readonly resolveHostnames?: boolean;
  /** The hostname cache: `ttlMs` (60 s), `negativeTtlMs` (10 s), `maxEntries` (10 000), `timeoutMs` (3 s), `lookup` (system resolver). */
  readonly resolver?: HostResolverOptions;
  /**
   * Tasks whose last known health is remembered, so that a leader failover (a new leader has no health results
   * until its checks run) does not empty pools; `0` turns it off. @defaultValue `10_000`
   */
  readonly healthMemorySize?: number;
}

/** The defaults of {@link MarathonSourceOptions}. */
export const marathonSourceDefaults = {
  events: true,
  idleTimeoutMs: 30_000,
  debounceMs: 200,
  maxWaitMs: 1_000,
  snapshotIntervalMs: 60_000,
  maxAppFetches: 8,
  fetchConcurrency: 4,
  historyLimit: 1_000,
  resolveHostnames: true,
  healthMemorySize: 10_000,
} as const;

/** Validated options. */
export interface ResolvedSourceOptions {
  readonly client: MarathonApi;
  /** True when the client was built here (and is closed by the source's stop). */
  readonly ownsClient: boolean;
  readonly projection: ResolvedProjectionOptions;
  readonly select: (app: MarathonApp) => boolean;
  readonly events: boolean;
  readonly eventTypes: readonly string[];
  readonly idleTimeoutMs: number;
  readonly backoff: BackoffOptions | undefined;
  readonly streamBackoff: Backoff | undefined;
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  readonly snapshotIntervalMs: number;
  readonly maxAppFetches: number;
  readonly fetchConcurrency: number;
  readonly historyLimit: number;
  /** The hostname resolver, `undefined` when `resolveHostnames` is off. */
  readonly resolver: CachedHostResolver | undefined;
  readonly healthMemorySize: number;
  readonly clock: Clock;
  readonly random: () => number;
}

function requireUrl(url: string | readonly string[] | undefined): string | readonly string[] {
  if (url === undefined || url === '') throw new ConfigError('url', 'is required (or pass a client)');
  return url;
}

/**
 * Validate and complete {@link MarathonSourceOptions}. Builds the HTTP client (no I/O) unless one is given.
 *
 * @throws {@link ConfigError} naming the offending option.
 */
export function resolveSourceOptions(options: MarathonSourceOptions): ResolvedSourceOptions {
  const d = marathonSourceDefaults;
  const eventTypes = options.eventTypes ?? relevantEventTypes;
  if (!Array.isArray(eventTypes) || eventTypes.some((t) => typeof t !== 'string' || t === '')) {
    throw new ConfigError('eventTypes', 'must be an array of event type names');
  }
  const debounceMs = checkNonNegative(options.debounceMs ?? d.debounceMs, 'debounceMs');
  const maxWaitMs = checkNonNegative(options.maxWaitMs ?? Math.max(d.maxWaitMs, debounceMs), 'maxWaitMs');
  if (maxWaitMs < debounceMs) throw new ConfigError('maxWaitMs', `must be >= debounceMs (${debounceMs})`);
  const clock = options.clock ?? systemClock;
  const resolveHostnames = options.resolveHostnames ?? d.resolveHostnames;
  if (typeof resolveHostnames !== 'boolean') throw new ConfigError('resolveHostnames', 'must be a boolean');
  if (options.resolver !== undefined && (typeof options.resolver !== 'object' || options.resolver === null)) {
    throw new ConfigError('resolver', 'must be an object');
  }
  return {
    ownsClient: options.client === undefined,
    client: options.client ?? new MarathonClient(resolveConnection({ ...options, url: requireUrl(options.url) })),
    projection: resolveProjectionOptions(options),
    select: compileSelector(options.select),
    events: options.events ?? d.events,
    eventTypes,
    idleTimeoutMs: checkPositive(options.idleTimeoutMs ?? d.idleTimeoutMs, 'idleTimeoutMs'),
    backoff: options.backoff,
    streamBackoff: options.streamBackoff,
    debounceMs,
    maxWaitMs,
    snapshotIntervalMs: checkNonNegative(options.snapshotIntervalMs ?? d.snapshotIntervalMs, 'snapshotIntervalMs'),
    maxAppFetches: checkNonNegative(options.maxAppFetches ?? d.maxAppFetches, 'maxAppFetches'),
    fetchConcurrency: checkPositive(options.fetchConcurrency ?? d.fetchConcurrency, 'fetchConcurrency'),
    historyLimit: checkPositive(options.historyLimit ?? d.historyLimit, 'historyLimit'),
    resolver: resolveHostnames ? new CachedHostResolver({ clock, ...options.resolver }) : undefined,
    healthMemorySize: checkNonNegative(options.healthMemorySize ?? d.healthMemorySize, 'healthMemorySize'),
    clock,
    random: options.random ?? Math.random,
  };
}
