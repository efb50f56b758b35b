/**
 * Options of {@link MarathonSource}: the connection, which apps to project and how, the event stream, and the
 * timing of coalescing and polling. Every default is documented with its reason; everything is validated when
 * the source is constructed, and errors name the option.
 */
import { type Clock, ConfigError, systemClock } from '@nitrox/core';
import { type AppSelector, compileSelector } from './app-selector.js';
import { type ProjectionOptions, type ResolvedProjectionOptions, resolveProjectionOptions } from './backend-projection.js';
import { checkNonNegative, checkPositive } from './checks.js';
import { relevantEventTypes } from './marathon-events.js';
import { type MarathonConnectionOptions, type ResolvedConnection, resolveConnection } from './marathon-options.js';
import type { MarathonApp } from './marathon-types.js';
import type { Backoff, BackoffOptions } from './reconnect-backoff.js';

/** Options of {@link MarathonSource}. */
export interface MarathonSourceOptions extends MarathonConnectionOptions, ProjectionOptions {
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
} as const;

/** Validated options. */
export interface ResolvedSourceOptions {
  readonly connection: ResolvedConnection;
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
  readonly clock: Clock;
  readonly random: () => number;
}

/**
 * Validate and complete {@link MarathonSourceOptions}.
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
  return {
    connection: resolveConnection(options),
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
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  };
}
