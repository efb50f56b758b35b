/**
 * The backoff of stream reconnects and failed fetches: core's RetryBackoff (exponential with jitter over
 * consecutive failures, client-go's defaults), or any object with the same three methods, so tests can
 * script delays.
 */
import { type Clock, RetryBackoff, type RetryBackoffOptions } from '@nitrox/core';

/** What the event stream and the source need from a backoff. */
export interface Backoff {
  /** Record a failure; the delay before the next attempt, in ms. */
  next(): number;
  /** Forget earlier failures. */
  reset(): void;
  /** Report a successful connection: the failure count starts over (after `resetAfterMs` of health, if set). */
  succeeded(): void;
}

/**
 * Options of the default backoff: core's {@link RetryBackoffOptions} without the clock and random source, which
 * come from the owner. Defaults: 800 ms doubling to 30 s, jitter 1.0, reset by a successful connection.
 */
export type BackoffOptions = Omit<RetryBackoffOptions, 'clock' | 'random'>;

function isBackoff(value: BackoffOptions | Backoff | undefined): value is Backoff {
  return typeof (value as Backoff | undefined)?.next === 'function';
}

/**
 * Build a core RetryBackoff from options, or return a given {@link Backoff} as is.
 *
 * @throws {@link ConfigError} when an option is out of range.
 */
export function createBackoff(options: BackoffOptions | Backoff | undefined, clock: Clock, random = Math.random): Backoff {
  if (isBackoff(options)) return options;
  return new RetryBackoff({ ...options, clock, random });
}
