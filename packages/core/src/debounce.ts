/**
 * Trailing debounce bounded by a maximum wait: calls are coalesced until `waitMs` pass without one, but a
 * steady stream of calls still fires at least every `maxWaitMs` (pure trailing debounce starves under
 * constant churn). Available as a function wrapper ({@link debounce}) and as an rxjs operator
 * ({@link coalesce}) that emits the latest value. Timers run on the injected clock; a call does not
 * reschedule the timer, which re-checks when it fires, so the hot path is two assignments.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { checkNumber } from './option-checks.js';

/** Options of {@link debounce} and {@link coalesce}. */
export interface DebounceOptions {
  /** Quiet time after the last call before firing. */
  waitMs: number;
  /** Longest time from the first pending call to firing, even if calls keep coming. @defaultValue 10 × waitMs */
  maxWaitMs?: number;
  /** Time source. @defaultValue systemClock */
  clock?: Clock;
}

/** A debounced function. */
export interface Debounced<A extends unknown[]> {
  /** Request a call; the wrapped function runs later with the arguments of the latest request. */
  call(...args: A): void;
  /** Run a pending call now; does nothing when none is pending. */
  flush(): void;
  /** Drop a pending call. */
  cancel(): void;
  /** True while a call is pending. */
  readonly pending: boolean;
}

/** Resolved timing of a debounce. */
export interface DebounceTiming {
  readonly waitMs: number;
  readonly maxWaitMs: number;
  readonly clock: Clock;
}

/**
 * Validate {@link DebounceOptions}.
 *
 * @throws ConfigError when `waitMs` is negative or `maxWaitMs < waitMs`.
 */
export function resolveDebounceOptions(options: DebounceOptions): DebounceTiming {
  const waitMs = checkNumber('waitMs', options.waitMs, 0, Number.MAX_SAFE_INTEGER);
  const maxWaitMs = checkNumber('maxWaitMs', options.maxWaitMs ?? waitMs * 10, waitMs);
  return { waitMs, maxWaitMs, clock: options.clock ?? systemClock };
}

/**
 * Wrap `fn` in a trailing debounce bounded by `maxWaitMs`.
 *
 * @throws ConfigError on invalid options.
 * @example
 * ```ts
 * const resync = debounce(() => queue.add('all'), { waitMs: 100, maxWaitMs: 1_000 });
 * watcher.on('change', () => resync.call());
 * ```
 */
export function debounce<A extends unknown[] = []>(fn: (...args: A) => void, options: DebounceOptions): Debounced<A> {
  const { waitMs, maxWaitMs, clock } = resolveDebounceOptions(options);
  let pending = false;
  let args: A | undefined;
  let firstAt = 0;
  let lastAt = 0;
  let timer: TimerHandle | undefined;

  const fire = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    pending = false;
    const callArgs = args as A;
    args = undefined;
    fn(...callArgs);
  };
  const check = (): void => {
    timer = undefined;
    const now = clock.now();
    const due = Math.min(lastAt + waitMs, firstAt + maxWaitMs);
    if (now >= due) fire();
    else timer = clock.setTimeout(check, due - now);
  };

  return {
    call(...callArgs: A): void {
      const now = clock.now();
      args = callArgs;
      lastAt = now;
      if (!pending) {
        pending = true;
        firstAt = now;
        timer = clock.setTimeout(check, waitMs);
      }
    },
    flush(): void {
      if (pending) fire();
    },
    cancel(): void {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      pending = false;
      args = undefined;
    },
    get pending(): boolean {
      return pending;
    },
  };
}

/**
 * rxjs operator: coalesce bursts of values into the latest one, emitted after `waitMs` of quiet or at
 * most `maxWaitMs` after the first value of the burst. A pending value is emitted on completion; errors
 * pass through at once and drop it.
 *
 * @throws ConfigError on invalid options (when the operator is created).
 */
export function coalesce<T>(options: DebounceOptions): OperatorFunction<T, T> {
  const timing = resolveDebounceOptions(options);
  return (source) =>
    new Observable<T>((subscriber) => {
      let latest: T | undefined;
      const emit = debounce(() => subscriber.next(latest as T), timing);
      const subscription = source.subscribe({
        next(value) {
          latest = value;
          emit.call();
        },
        error(err: unknown) {
          emit.cancel();
          subscriber.error(err);
        },
        complete() {
          emit.flush();
          subscriber.complete();
        },
      });
      return () => {
        emit.cancel();
        subscription.unsubscribe();
      };
    });
}
