/**
 * Rate limiters decide how long a failed key waits before it is retried (client-go's workqueue rate
 * limiters): per-key exponential backoff, a shared token bucket that bounds the overall retry rate, and
 * `maxOf`, which waits as long as the strictest of several. `defaultControllerRateLimiter` combines them the
 * way controller-runtime does.
 */
import { type Clock, systemClock } from './clock.js';
import { ConfigError } from './errors.js';
import { checkAbove, checkNumber } from './option-checks.js';

/** Decides the delay before a key is retried. */
export interface RateLimiter<K> {
  /** Delay in ms before `key` may be retried; records one more failure of `key`. */
  when(key: K): number;
  /** Forget `key`'s failures (call after it succeeded). */
  forget(key: K): void;
  /** How many times `key` has been rate limited since it was last forgotten. */
  numRequeues(key: K): number;
}

/** Options of {@link exponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /** Delay after the first failure. @defaultValue 5 */
  baseMs?: number;
  /** Largest delay. @defaultValue 1_000_000 (about 16.7 min, as controller-runtime) */
  maxMs?: number;
}

/** Defaults of {@link exponentialBackoff}. */
export const exponentialBackoffDefaults = { baseMs: 5, maxMs: 1_000_000 } as const;

/**
 * Per-key exponential backoff: `baseMs * 2^failures`, capped at `maxMs`; `forget` resets the key.
 *
 * @throws ConfigError when `baseMs` is not positive or `maxMs < baseMs`.
 * @example
 * ```ts
 * const limiter = exponentialBackoff({ baseMs: 5, maxMs: 60_000 });
 * limiter.when('a'); // 5
 * limiter.when('a'); // 10
 * ```
 */
export function exponentialBackoff<K = string>(options: ExponentialBackoffOptions = {}): RateLimiter<K> {
  const baseMs = checkAbove('baseMs', options.baseMs ?? exponentialBackoffDefaults.baseMs, 0);
  const maxMs = checkNumber('maxMs', options.maxMs ?? exponentialBackoffDefaults.maxMs, baseMs);
  const failures = new Map<K, number>();
  return {
    when(key) {
      const exp = failures.get(key) ?? 0;
      failures.set(key, exp + 1);
      const delay = baseMs * 2 ** exp;
      return delay > maxMs || !Number.isFinite(delay) ? maxMs : delay;
    },
    forget(key) {
      failures.delete(key);
    },
    numRequeues(key) {
      return failures.get(key) ?? 0;
    },
  };
}

/** Options of {@link tokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second (the sustained rate). */
  qps: number;
  /** Bucket size (how many can go at once after a quiet period). */
  burst: number;
  /** Time source. @defaultValue systemClock */
  clock?: Clock;
}

/**
 * A token bucket shared by all keys (golang.org/x/time/rate's reservation semantics, as client-go's
 * `BucketRateLimiter`): each `when` takes a token, and when none is left returns how long until it would
 * have been there. Reservations are never given back, so a burst of retries is spread at `qps`.
 *
 * @throws ConfigError when `qps` is not positive or `burst < 1`.
 */
export function tokenBucket<K = string>(options: TokenBucketOptions): RateLimiter<K> {
  const qps = checkAbove('qps', options.qps, 0);
  const burst = checkNumber('burst', options.burst, 1);
  const clock = options.clock ?? systemClock;
  let tokens = burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      tokens = Math.min(burst, tokens + ((now - last) * qps) / 1000);
      last = now;
      tokens -= 1;
      return tokens >= 0 ? 0 : (-tokens * 1000) / qps;
    },
    forget() {},
    numRequeues() {
      return 0;
    },
  };
}

/**
 * Combine limiters: the delay is the largest any of them asks for (each one records the failure),
 * `numRequeues` the largest count, and `forget` forgets in all.
 *
 * @throws ConfigError when no limiter is given.
 */
export function maxOf<K>(...limiters: RateLimiter<K>[]): RateLimiter<K> {
  if (limiters.length === 0) throw new ConfigError('limiters', 'maxOf needs at least one rate limiter');
  return {
    when(key) {
      let delay = 0;
      for (const limiter of limiters) delay = Math.max(delay, limiter.when(key));
      return delay;
    },
    forget(key) {
      for (const limiter of limiters) limiter.forget(key);
    },
    numRequeues(key) {
      let n = 0;
      for (const limiter of limiters) n = Math.max(n, limiter.numRequeues(key));
      return n;
    },
  };
}

/** Options of {@link defaultControllerRateLimiter}. */
export interface DefaultControllerRateLimiterOptions {
  /** Time source of the token bucket. @defaultValue systemClock */
  clock?: Clock;
}

/**
 * controller-runtime's default: per-key exponential backoff from 5 ms to 1,000 s, bounded overall by a
 * token bucket of 10 qps with a burst of 100.
 */
export function defaultControllerRateLimiter<K = string>(
  options: DefaultControllerRateLimiterOptions = {},
): RateLimiter<K> {
  return maxOf<K>(
    exponentialBackoff<K>({ baseMs: 5, maxMs: 1_000_000 }),
    tokenBucket<K>({ qps: 10, burst: 100, ...(options.clock ? { clock: options.clock } : {}) }),
  );
}
