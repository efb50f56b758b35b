/**
 * Injectable time. Every component that waits (debounce, backoff, resync, polling, leases, idle timeouts)
 * takes a {@link Clock}, so tests drive it on virtual time with {@link VirtualClock}: fast and exact, with no
 * real sleeps.
 */
import { ShutdownError } from './errors.js';

/** An opaque handle returned by {@link Clock.setTimeout}. */
export interface TimerHandle {
  readonly __timer: true;
}

/** A source of time and timers. */
export interface Clock {
  /** Milliseconds since an arbitrary epoch; monotonic. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and Node timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as ReturnType<typeof setTimeout>),
};

/**
 * Wait `ms` on `clock`. Rejects with the signal's reason (or a {@link ShutdownError}) when `signal` aborts.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(abortReason(signal as AbortSignal));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error an aborted signal stands for: its reason when it is an Error, else a {@link ShutdownError}. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new ShutdownError('aborted', { cause: signal.reason });
}

/**
 * Settle with `promise`, or reject with the signal's {@link abortReason} as soon as `signal` aborts — for peers and
 * libraries that ignore the signal. The abort listener is removed when `promise` settles first, so a long-lived
 * signal gains nothing per call.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

interface VirtualTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in time order (ties in creation order); between timers,
 * pending promise callbacks run, so async code scheduled by a timer settles before the next one fires.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const done = sleep(clock, 1_000);
 * await clock.advance(1_000); // `done` is now resolved
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: VirtualTimer[] = [];

  /** @param start - the initial reading of {@link VirtualClock.now}. @defaultValue 0 */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: VirtualTimer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    // Keep sorted by (at, id): binary search for the insertion point.
    let lo = 0;
    let hi = this.#timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.#timers[mid] as VirtualTimer;
      if (t.at <= timer.at) lo = mid + 1;
      else hi = mid;
    }
    this.#timers.splice(lo, 0, timer);
    return { __timer: true, id: timer.id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as unknown as { id: number }).id;
    const index = this.#timers.findIndex((t) => t.id === id);
    if (index >= 0) this.#timers.splice(index, 1);
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Time of the next timer, or `undefined` when none is pending. */
  nextTimerAt(): number | undefined {
    return this.#timers[0]?.at;
  }

  /** Let pending promise callbacks (and callbacks they schedule) run without moving time. */
  async flush(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Move time forward by `ms`, firing every timer due on the way, each at its own time. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await this.flush();
    while (this.#fireNext(target)) await this.flush();
    this.#now = target;
    await this.flush();
  }

  /**
   * Move time forward by `ms` synchronously, firing due timers in order without letting promise callbacks run
   * between them. For simulations built only of timer callbacks, where it is much faster than {@link advance}.
   */
  advanceSync(ms: number): void {
    const target = this.#now + ms;
    while (this.#fireNext(target)) {
      // each call fires one timer
    }
    this.#now = target;
  }

  /** Fire the earliest timer if it is due by `target`; false when none is. */
  #fireNext(target: number): boolean {
    const next = this.#timers[0];
    if (next === undefined || next.at > target) return false;
    this.#timers.shift();
    this.#now = Math.max(this.#now, next.at);
    next.fn();
    return true;
  }

  /**
   * Advance timer by timer until `predicate` holds, failing after `limitMs` of virtual time.
   *
   * @throws Error when the predicate still fails after `limitMs`.
   */
  async advanceUntil(predicate: () => boolean, limitMs = 3_600_000): Promise<void> {
    const deadline = this.#now + limitMs;
    await this.flush();
    while (!predicate()) {
      const next = this.#timers[0];
      if (next === undefined || next.at > deadline) {
        throw new Error(`condition not met within ${limitMs} ms of virtual time`);
      }
      await this.advance(next.at - this.#now);
    }
  }
}
