/**
 * Polling, the fallback when a source has no watch (or as a safety net behind one). The interval adapts:
 * it shrinks toward `minIntervalMs` after a change (changes come in bursts) and grows toward
 * `maxIntervalMs` while nothing changes, with jitter so many pollers do not synchronise. Fetches are
 * conditional: the last token (an ETag, a revision) is passed back, and `{ changed: false }` emits nothing.
 * `trigger()` (an interrupt) polls soon, coalesced and never sooner than `minIntervalMs` after the last
 * poll started. Errors are counted, reported and backed off; the poller never gives up.
 */
import { EventEmitter } from 'eventemitter3';
import { Observable } from 'rxjs';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { ConfigError, isNitroxError, MalformedEventError, type NitroxError, SourceError } from './errors.js';
import { checkAbove, checkNumber } from './option-checks.js';

/** What one fetch found. */
export type PollResult<V> = { changed: true; value: V; token?: string } | { changed: false };

/** Options of {@link Poller}. */
export interface PollerOptions<V> {
  /** Fetch the state; `token` is the one the last changed result carried (undefined at first). */
  fetch: (token: string | undefined, signal: AbortSignal) => Promise<PollResult<V>>;
  /** Starting interval. @defaultValue 10_000 */
  intervalMs?: number;
  /** Shortest interval, also the least time between two polls started by `trigger()`. @defaultValue 1_000 */
  minIntervalMs?: number;
  /** Longest interval, also the cap of the error backoff. @defaultValue 60_000 */
  maxIntervalMs?: number;
  /** Each wait is lengthened by a random fraction up to this. @defaultValue 0.1 */
  jitter?: number;
  /** Interval multiplier after a poll that found no change. @defaultValue 1.5 */
  growFactor?: number;
  /** Interval divisor after a poll that found a change. @defaultValue 2 */
  shrinkFactor?: number;
  /** Time source. @defaultValue systemClock */
  clock?: Clock;
  /** Random numbers in [0, 1) for jitter. @defaultValue Math.random */
  random?: () => number;
}

/** Defaults of {@link PollerOptions}. */
export const pollerDefaults = {
  intervalMs: 10_000,
  minIntervalMs: 1_000,
  maxIntervalMs: 60_000,
  jitter: 0.1,
  growFactor: 1.5,
  shrinkFactor: 2,
} as const;

/** Events of {@link Poller}. */
export interface PollerEvents<V> {
  /** A fetch returned a changed value. */
  value: [value: V];
  /** A fetch failed or returned something malformed; the poller backs off and goes on. */
  error: [error: NitroxError];
}

/** Counters of a {@link Poller}. */
export interface PollerStats {
  /** Fetches started. */
  readonly polls: number;
  /** Fetches that returned a changed value. */
  readonly changes: number;
  /** Fetches that returned `{ changed: false }`. */
  readonly unchanged: number;
  /** Fetches that failed or returned something malformed. */
  readonly errors: number;
  /** Failures since the last successful fetch (drives the backoff). */
  readonly consecutiveErrors: number;
  /** Calls of `trigger()` while running. */
  readonly triggers: number;
  /** Current adaptive interval (before jitter and error backoff). */
  readonly intervalMs: number;
}

/**
 * Adaptive, jittered, conditional poller.
 *
 * @example
 * ```ts
 * const poller = new Poller({ fetch: (etag, signal) => getApps(etag, signal), intervalMs: 5_000 });
 * poller.on('value', (apps) => store.replaceAll(apps));
 * poller.start();
 * ```
 */
export class Poller<V> extends EventEmitter<PollerEvents<V>> {
  /** Every changed value, as an Observable (subscribing does not start the poller). */
  readonly values$: Observable<V>;
  readonly #fetch: PollerOptions<V>['fetch'];
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #jitter: number;
  readonly #grow: number;
  readonly #shrink: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  #intervalMs: number;
  #token: string | undefined;
  #running = false;
  #timer: TimerHandle | undefined;
  #nextAt = Number.POSITIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  #busy = false;
  #abort: AbortController | undefined;
  #lastStartAt = Number.NEGATIVE_INFINITY;
  #triggered = false;
  #polls = 0;
  #changes = 0;
  #unchanged = 0;
  #errors = 0;
  #consecutiveErrors = 0;
  #triggers = 0;

  /** @throws ConfigError when an option is invalid or `min <= interval <= max` does not hold. */
  constructor(options: PollerOptions<V>) {
    super();
    if (typeof options.fetch !== 'function') throw new ConfigError('fetch', 'must be a function');
    const d = pollerDefaults;
    this.#fetch = options.fetch;
    this.#minMs = checkAbove('minIntervalMs', options.minIntervalMs ?? d.minIntervalMs, 0);
    this.#maxMs = checkNumber('maxIntervalMs', options.maxIntervalMs ?? d.maxIntervalMs, this.#minMs);
    this.#intervalMs = checkNumber('intervalMs', options.intervalMs ?? d.intervalMs, this.#minMs, this.#maxMs);
    this.#jitter = checkNumber('jitter', options.jitter ?? d.jitter, 0, 10);
    this.#grow = checkNumber('growFactor', options.growFactor ?? d.growFactor, 1);
    this.#shrink = checkNumber('shrinkFactor', options.shrinkFactor ?? d.shrinkFactor, 1);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.values$ = new Observable<V>((subscriber) => {
      const onValue = (value: V): void => subscriber.next(value);
      this.on('value', onValue);
      return () => this.off('value', onValue);
    });
  }

  /** A snapshot of the counters. */
  get stats(): PollerStats {
    return {
      polls: this.#polls,
      changes: this.#changes,
      unchanged: this.#unchanged,
      errors: this.#errors,
      consecutiveErrors: this.#consecutiveErrors,
      triggers: this.#triggers,
      intervalMs: this.#intervalMs,
    };
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** Start polling: the first poll runs at once. Does nothing when already running. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stop polling: cancels the timer, aborts a fetch in flight and waits for it to settle. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#cancelTimer();
    this.#abort?.abort();
    await this.#inFlight;
  }

  /**
   * Poll soon: now, or `minIntervalMs` after the last poll started if that is later. Triggers before that
   * poll (or during one in flight) coalesce into one poll.
   */
  trigger(): void {
    if (!this.#running) return;
    this.#triggers++;
    if (this.#busy) {
      this.#triggered = true;
      return;
    }
    const at = Math.max(this.#clock.now(), this.#lastStartAt + this.#minMs);
    if (at < this.#nextAt) this.#schedule(at - this.#clock.now());
  }

  #schedule(delayMs: number): void {
    this.#cancelTimer();
    this.#nextAt = this.#clock.now() + delayMs;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#nextAt = Number.POSITIVE_INFINITY;
      this.#inFlight = this.#poll();
    }, delayMs);
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextAt = Number.POSITIVE_INFINITY;
  }

  async #poll(): Promise<void> {
    this.#busy = true;
    this.#triggered = false;
    this.#lastStartAt = this.#clock.now();
    this.#polls++;
    const abort = new AbortController();
    this.#abort = abort;
    try {
      const result = await this.#fetch(this.#token, abort.signal);
      if (abort.signal.aborted) return;
      this.#accept(result);
    } catch (err) {
      if (!abort.signal.aborted) this.#fail(err);
    } finally {
      this.#abort = undefined;
      this.#busy = false;
      if (this.#running) this.#scheduleNext();
    }
  }

  #accept(result: PollResult<V>): void {
    if (typeof result !== 'object' || result === null || typeof result.changed !== 'boolean') {
      throw new MalformedEventError('poll result must be { changed: true, value } or { changed: false }');
    }
    this.#consecutiveErrors = 0;
    if (!result.changed) {
      this.#unchanged++;
      this.#intervalMs = Math.min(this.#maxMs, this.#intervalMs * this.#grow);
      return;
    }
    this.#changes++;
    this.#intervalMs = Math.max(this.#minMs, this.#intervalMs / this.#shrink);
    if (result.token !== undefined) this.#token = result.token;
    this.emit('value', result.value);
  }

  #fail(err: unknown): void {
    this.#errors++;
    this.#consecutiveErrors++;
    const error = isNitroxError(err)
      ? err
      : new SourceError(`poll failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    this.emit('error', error);
  }

  #scheduleNext(): void {
    if (this.#triggered) {
      this.#triggered = false;
      this.#schedule(Math.max(0, this.#lastStartAt + this.#minMs - this.#clock.now()));
      return;
    }
    let base = this.#intervalMs;
    if (this.#consecutiveErrors > 0) base = Math.min(this.#maxMs, base * 2 ** this.#consecutiveErrors);
    this.#schedule(base * (1 + this.#jitter * this.#random()));
  }
}
