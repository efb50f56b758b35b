/**
 * What a {@link MarathonSource} reports: its events (sync, snapshots, stream state, decoded events, errors,
 * unresolved agent hosts) and its counters (fetches by kind, events, stream connections, pool writes, hostname
 * lookups, redirects and leader moves).
 */
import type { MalformedEventError, NitroxError } from '@nitrox/core';
import type { HostResolutionError } from './host-resolver.js';
import type { MarathonSource } from './marathon-source.js';
import type { MarathonEvent } from './marathon-types.js';

/** Events of a {@link MarathonSource}. */
export interface MarathonSourceEvents {
  /** The first full snapshot has been applied; `list` answers from now on. */
  synced: () => void;
  /** A full snapshot was applied (`apps` = apps Marathon reported). */
  snapshot: (apps: number) => void;
  /** The event stream is open. */
  connected: () => void;
  /** The event stream ended or failed; it reopens after `delayMs`. */
  disconnected: (reason: NitroxError, delayMs: number) => void;
  /** One event received (already decoded). */
  event: (event: MarathonEvent) => void;
  /** An event that could not be decoded; skipped. */
  malformed: (error: MalformedEventError) => void;
  /** A fetch failed; it is retried with backoff. */
  error: (error: NitroxError) => void;
  /** A task was left out of its pool because its agent host did not resolve to an address (once per task). */
  unresolved: (error: HostResolutionError) => void;
}

/** Counters of a {@link MarathonSource}. */
export interface MarathonSourceStats {
  /** Full snapshots fetched (`/v2/apps?embed=apps.tasks`). */
  readonly snapshots: number;
  /** Per-app task fetches (`/v2/apps/{id}/tasks`). */
  readonly taskFetches: number;
  /** Per-app definition fetches (`/v2/apps/{id}`). */
  readonly appFetches: number;
  /** Failed fetches. */
  readonly fetchErrors: number;
  /** Events received. */
  readonly events: number;
  /** Events that named only unselected apps and cost nothing. */
  readonly ignoredEvents: number;
  /** Undecodable event documents. */
  readonly malformed: number;
  /** Event stream connections. */
  readonly connects: number;
  /** Event stream ends and failures. */
  readonly disconnects: number;
  /** Pools written (created or changed). */
  readonly puts: number;
  /** Pools removed. */
  readonly deletes: number;
  /** Tasks left out because their agent host did not resolve (each task counted once). */
  readonly unresolvedTasks: number;
  /** Hostname lookups made (cache misses and expiries). */
  readonly hostLookups: number;
  /** Redirects of `/v2/events` followed (a standby master sent the stream to the leader). */
  readonly redirects: number;
  /** Moves to another URL because `/v2/leader` named it as the leader. */
  readonly leaderMoves: number;
}
