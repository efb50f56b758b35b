/**
 * Connection backoff for list/watch reconnects: exponential with jitter (client-go's reflector defaults:
 * 800 ms doubling to 30 s, jitter factor 1.0 so a herd of clients spreads out). It counts *consecutive*
 * failures: a success starts the sequence over (client-go re-watches at once after a healthy stream). Counting
 * time since the last reset instead left a source that met a fault every ~40 s waiting up to a minute after each
 * one. It never gives up: there is no attempt limit, because an informer that stops retrying leaves its cache
 * silently stale (kube-rs and client-node lessons).
 */
import { type Clock, systemClock } from './clock.js';
import { ConfigError } from './errors.js';

/** Options of {@link RetryBackoff}. */
export interface RetryBackoffOptions {
  /** First delay. @defaultValue 800 */
  initialMs?: number;
  /** Largest delay before jitter. @defaultValue 30_000 */
  maxMs?: number;
  /** Growth per consecutive failure. @defaultValue 2 */
  factor?: number;
  /** A delay `d` becomes `d + random() * jitter * d`. @defaultValue 1.0 (client-go) */
  jitter?: number;
  /**
   * How long a connection must stay healthy after {@link RetryBackoff.succeeded} before the failure count starts
   * over; 0 starts over at the success itself (consecutive failures). Raise it only for a peer that accepts
   * connections and then fails them at once, where the caller cannot tell a healthy connection from a doomed one.
   * @defaultValue 0
   */
  resetAfterMs?: number;
  /** Source of randomness in [0, 1). @defaultValue Math.random */
  random?: () => number;
  /** Time source for the healthy period. @defaultValue systemClock */
  clock?: Clock;
}

/** Defaults of {@link RetryBackoffOptions} (client-go's reflector backoff). */
export const retryBackoffDefaults = {
  initialMs: 800,
  maxMs: 30_000,
  factor: 2,
  jitter: 1.0,
  resetAfterMs: 0,
} as const;

/**
 * Exponential backoff with jitter over consecutive failures.
 *
 * @example
 * ```ts
 * const backoff = new RetryBackoff({ clock });
 * try { await connect(); backoff.succeeded(); } catch { await sleep(clock, backoff.next()); }
 * ```
 */
export class RetryBackoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #resetAfterMs: number;
  readonly #random: () => number;
  readonly #clock: Clock;
  #attempt = 0;
  #healthySince: number | undefined;

  /** @throws {@link ConfigError} when an option is out of range. */
  constructor(options: RetryBackoffOptions = {}) {
    const o = { ...retryBackoffDefaults, ...stripUndefined(options) };
    const nonNegative = (name: keyof typeof retryBackoffDefaults, value: number): number => {
      if (!Number.isFinite(value) || value < 0) throw new ConfigError(name, `must be a finite number >= 0, got ${value}`);
      return value;
    };
    this.#initialMs = nonNegative('initialMs', o.initialMs);
    this.#maxMs = nonNegative('maxMs', o.maxMs);
    this.#factor = nonNegative('factor', o.factor);
    this.#jitter = nonNegative('jitter', o.jitter);
    this.#resetAfterMs = nonNegative('resetAfterMs', o.resetAfterMs);
    if (this.#factor < 1) throw new ConfigError('factor', `must be >= 1, got ${this.#factor}`);
    if (this.#maxMs < this.#initialMs) throw new ConfigError('maxMs', `must be >= initialMs (${this.#initialMs})`);
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? systemClock;
  }

  /** Consecutive failures counted since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  /**
   * Record a failure and return how long to wait before the next attempt. After a {@link succeeded} (and, with
   * `resetAfterMs`, that long healthy), the sequence starts over at `initialMs`.
   */
  next(): number {
    if (this.#healthySince !== undefined && this.#clock.now() - this.#healthySince >= this.#resetAfterMs) {
      this.#attempt = 0;
    }
    this.#healthySince = undefined;
    const base = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#attempt);
    if (base < this.#maxMs) this.#attempt++;
    return base + this.#random() * this.#jitter * base;
  }

  /** Start over at `initialMs`. */
  reset(): void {
    this.#attempt = 0;
    this.#healthySince = undefined;
  }

  /** Record that the connection works: the failure count starts over (after `resetAfterMs` of health, if set). */
  succeeded(): void {
    if (this.#resetAfterMs === 0) this.reset();
    else if (this.#healthySince === undefined) this.#healthySince = this.#clock.now();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined && typeof o[k] === 'number') out[k] = o[k];
  return out;
}
