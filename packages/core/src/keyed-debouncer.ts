/**
 * Per-key debounce with a maximum wait, for coalescing change notifications of many keys (a controller
 * touches a key on every event and enqueues it when it fires). Each pending key holds one timer on the
 * injected clock that re-checks when it fires, so touching a pending key costs a map lookup and a store.
 */
import type { Clock, TimerHandle } from './clock.js';
import { type DebounceOptions, resolveDebounceOptions } from './debounce.js';

/** Options of {@link KeyedDebouncer}. */
export interface KeyedDebouncerOptions<K> extends DebounceOptions {
  /** Called once per burst of touches of a key. Exceptions thrown here propagate out of the timer. */
  onFire: (key: K) => void;
}

interface PendingKey {
  firstAt: number;
  lastAt: number;
  timer: TimerHandle;
}

/**
 * Debounce per key: `touch(key)` fires `onFire(key)` after `waitMs` without another touch of that key, or
 * `maxWaitMs` after its first pending touch, whichever comes first.
 *
 * @example
 * ```ts
 * const debouncer = new KeyedDebouncer<string>({ waitMs: 50, maxWaitMs: 500, onFire: (key) => queue.add(key) });
 * informer.on('updated', (item) => debouncer.touch(item.key));
 * ```
 */
export class KeyedDebouncer<K> {
  readonly #waitMs: number;
  readonly #maxWaitMs: number;
  readonly #clock: Clock;
  readonly #onFire: (key: K) => void;
  readonly #pending = new Map<K, PendingKey>();
  #disposed = false;

  /** @throws ConfigError on invalid options. */
  constructor(options: KeyedDebouncerOptions<K>) {
    const timing = resolveDebounceOptions(options);
    this.#waitMs = timing.waitMs;
    this.#maxWaitMs = timing.maxWaitMs;
    this.#clock = timing.clock;
    this.#onFire = options.onFire;
  }

  /** Number of keys waiting to fire. */
  get size(): number {
    return this.#pending.size;
  }

  /** True when `key` is waiting to fire. */
  has(key: K): boolean {
    return this.#pending.has(key);
  }

  /** Note a change of `key`. Ignored after {@link KeyedDebouncer.dispose}. */
  touch(key: K): void {
    if (this.#disposed) return;
    const now = this.#clock.now();
    const pending = this.#pending.get(key);
    if (pending !== undefined) {
      pending.lastAt = now;
      return;
    }
    const timer = this.#clock.setTimeout(() => this.#check(key), this.#waitMs);
    this.#pending.set(key, { firstAt: now, lastAt: now, timer });
  }

  /** Drop the pending fire of `key`. */
  cancel(key: K): void {
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    this.#clock.clearTimeout(pending.timer);
    this.#pending.delete(key);
  }

  /** Fire `key` now if it is pending. */
  flush(key: K): void {
    if (!this.#pending.has(key)) return;
    this.cancel(key);
    this.#onFire(key);
  }

  /** Fire every pending key now, in the order they were first touched. */
  flushAll(): void {
    for (const key of [...this.#pending.keys()]) this.flush(key);
  }

  /** Drop every pending key; later touches are ignored. */
  dispose(): void {
    this.#disposed = true;
    for (const pending of this.#pending.values()) this.#clock.clearTimeout(pending.timer);
    this.#pending.clear();
  }

  #check(key: K): void {
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    const now = this.#clock.now();
    const due = Math.min(pending.lastAt + this.#waitMs, pending.firstAt + this.#maxWaitMs);
    if (now >= due) {
      this.#pending.delete(key);
      this.#onFire(key);
    } else {
      pending.timer = this.#clock.setTimeout(() => this.#check(key), due - now);
    }
  }
}
