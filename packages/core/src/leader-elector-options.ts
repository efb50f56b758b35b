/**
 * Options, callbacks and events of the {@link LeaderElector}, with client-go's default timing. Split from the
 * elector so the election logic stays readable.
 */
import type { Clock } from './clock.js';
import type { LeaseLock } from './lease-lock.js';

/** Options of `LeaderElector`. */
export interface LeaderElectorOptions {
  /** The lock the candidates compete for. */
  lock: LeaseLock;
  /** This candidate's unique identity (e.g. pod name or hostname plus a random suffix). */
  identity: string;
  /**
   * How long a lease is valid after its last renewal: a candidate takes it over this long after it *received* the
   * read that showed the last renewal (so after a crash, between `leaseDurationMs − retryPeriodMs` and
   * `leaseDurationMs + 2.2 × retryPeriodMs`). @defaultValue 15_000
   */
  leaseDurationMs?: number;
  /**
   * The leader's term ends this long after it *sent* its last successful renewal (a late answer does not extend
   * it). Must be below `leaseDurationMs`: the difference separates the end of a term from any takeover.
   * @defaultValue 10_000
   */
  renewDeadlineMs?: number;
  /**
   * Interval between renewals, and between attempts to acquire (jittered up to 2.2 ×, as in client-go). Must be
   * below `renewDeadlineMs / 1.2`. @defaultValue 2_000
   */
  retryPeriodMs?: number;
  /** Release the lease when `run` is stopped through its signal while leading. @defaultValue true */
  releaseOnCancel?: boolean;
  /** Time source for intervals and expiry. @defaultValue systemClock */
  clock?: Clock;
  /** Wall clock for the informational times written into the record. @defaultValue Date.now */
  wallClock?: () => number;
  /** Random numbers in [0, 1) for the jitter of acquire attempts. @defaultValue Math.random */
  random?: () => number;
}

/** Defaults of {@link LeaderElectorOptions} (client-go's recommended values). */
export const leaderElectorDefaults = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  releaseOnCancel: true,
} as const;

/** What a leader knows about its term, passed to {@link LeaderCallbacks.onStartedLeading}. */
export interface Leadership {
  /**
   * The lease's transition count when this term began: it grows with every change of holder, so a peer that
   * supports conditional writes can refuse a write carrying a lower token than one it has seen (fencing), which
   * excludes even a stalled former leader.
   */
  readonly fencingToken: number;
  /**
   * True while the term is certainly still this candidate's by its own clock (before the send time of its last
   * successful renewal plus `renewDeadlineMs`). Check it just before a write: after a pause it turns false even
   * before the timer that ends the term has run.
   */
  holds(): boolean;
}

/** Callbacks of `LeaderElector.run`. */
export interface LeaderCallbacks {
  /**
   * Became leader; `signal` aborts when leadership ends (promptly: on the deadline's timer, or on a read that
   * shows another holder). Errors are reported on the `error` event.
   */
  onStartedLeading(signal: AbortSignal, leadership: Leadership): void | Promise<void>;
  /** Leadership ended; called exactly once per `run` that started leading (never if it did not lead). */
  onStoppedLeading?(): void;
  /** Another (or this) candidate was seen holding the lease. */
  onNewLeader?(identity: string): void;
}

/** Events of `LeaderElector`. */
export interface LeaderElectorEvents {
  /** This candidate became leader. */
  leading: [];
  /** This candidate stopped leading. */
  stoppedLeading: [];
  /** A candidate was seen holding the lease. */
  newLeader: [identity: string];
  /** An attempt to acquire, renew or release failed, or `onStartedLeading` threw; the elector goes on. */
  error: [error: Error];
}
