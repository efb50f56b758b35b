/**
 * The reconnect backoff of the event stream: exponential with full jitter, reset after a healthy period
 * (client-go's defaults). It adapts core's RetryBackoff when given options, or takes any object with the same
 * three methods, so tests can script delays.
 */
import type { Clock } from '@nitrox/core';
import { checkNonNegative, checkPositive } from './checks.js';

/** What the event stream needs from a backoff. */
export interface Backoff {
  /** The delay before the next attempt, in ms. */
  next(): number;
  /** Forget earlier failures. */
  reset(): void;
  /** Report a successful connection; the backoff resets once it has stayed healthy for `resetAfterMs`. */
  succeeded(): void;
}

/** Options of the default backoff. */
export interface BackoffOptions {
  /** First delay. @defaultValue `800` */
  readonly initialMs?: number;
  /** Largest delay. @defaultValue `30_000` */
  readonly maxMs?: number;
  /** Growth per failure. @defaultValue `2` */
  readonly factor?: number;
  /** Jitter share: the delay is drawn from [d·(1−jitter/2), d·(1+jitter/2)]. @defaultValue `1` */
  readonly jitter?: number;
  /** Healthy time after which the next failure starts again from `initialMs`. @defaultValue `120_000` */
  readonly resetAfterMs?: number;
}

/** The defaults of {@link BackoffOptions}. */
export const backoffDefaults = {
  initialMs: 800,
  maxMs: 30_000,
  factor: 2,
  jitter: 1,
  resetAfterMs: 120_000,
} as const;

function isBackoff(value: BackoffOptions | Backoff | undefined): value is Backoff {
  return typeof (value as Backoff | undefined)?.next === 'function';
}

/** Build the default backoff from options, or return a given {@link Backoff} as is. */
export function createBackoff(options: BackoffOptions | Backoff | undefined, clock: Clock, random = Math.random): Backoff {
  if (isBackoff(options)) return options;
  const o = { ...backoffDefaults, ...options };
  checkPositive(o.initialMs, 'backoff.initialMs');
  checkPositive(o.maxMs, 'backoff.maxMs');
  checkPositive(o.factor, 'backoff.factor');
  checkNonNegative(o.jitter, 'backoff.jitter');
  checkNonNegative(o.resetAfterMs, 'backoff.resetAfterMs');
  let failures = 0;
  let healthySince: number | undefined;
  return {
    next() {
      if (healthySince !== undefined && clock.now() - healthySince >= o.resetAfterMs) failures = 0;
      healthySince = undefined;
      const base = Math.min(o.maxMs, o.initialMs * o.factor ** failures);
      failures++;
      const jittered = base * (1 - o.jitter / 2 + o.jitter * random());
      return Math.max(0, Math.min(o.maxMs, Math.round(jittered)));
    },
    reset() {
      failures = 0;
      healthySince = undefined;
    },
    succeeded() {
      healthySince = clock.now();
    },
  };
}
