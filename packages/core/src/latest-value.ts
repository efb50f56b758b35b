/**
 * A single-slot conflating mailbox for the command pattern: when whole desired states arrive faster than
 * they can be applied, only the newest matters. A newer offer replaces the pending one; an offer not newer
 * than the last applied (or the pending) version is dropped and counted, so a late or redelivered old
 * state is never executed after a newer one.
 */
import { abortReason } from './clock.js';
import { MalformedEventError } from './errors.js';

/** A value with the version it was offered with. */
export interface VersionedValue<T> {
  readonly value: T;
  readonly version: number;
}

/** Counters of a {@link LatestValue}. */
export interface LatestValueStats {
  /** Offers made. */
  readonly offered: number;
  /** Pending values replaced by a newer offer before anyone took them. */
  readonly replaced: number;
  /** Offers dropped because they were not newer than the applied or pending version. */
  readonly staleDropped: number;
  /** Values taken. */
  readonly taken: number;
}

/**
 * Single-slot conflating mailbox.
 *
 * @example
 * ```ts
 * const box = new LatestValue<BackendSet[]>();
 * onCommand((state, version) => box.offer(state, version));
 * for (;;) { const { value, version } = await box.take(signal); await apply(value); box.markApplied(version); }
 * ```
 */
export class LatestValue<T> {
  #pending: VersionedValue<T> | undefined;
  #applied = Number.NEGATIVE_INFINITY;
  #takers: { resolve: (v: VersionedValue<T>) => void }[] = [];
  #offered = 0;
  #replaced = 0;
  #staleDropped = 0;
  #taken = 0;

  /** Version last passed to {@link LatestValue.markApplied}, or `undefined`. */
  get appliedVersion(): number | undefined {
    return this.#applied === Number.NEGATIVE_INFINITY ? undefined : this.#applied;
  }

  /** The value waiting to be taken, if any. */
  get pending(): VersionedValue<T> | undefined {
    return this.#pending;
  }

  /** A snapshot of the counters. */
  get stats(): LatestValueStats {
    return { offered: this.#offered, replaced: this.#replaced, staleDropped: this.#staleDropped, taken: this.#taken };
  }

  /**
   * Offer `value` at `version`. Returns false (and counts `staleDropped`) when `version` is not newer than
   * the applied version or the pending value's version.
   *
   * @throws MalformedEventError when `version` is not a number.
   */
  offer(value: T, version: number): boolean {
    if (typeof version !== 'number' || Number.isNaN(version)) {
      throw new MalformedEventError(`version must be a number, got ${String(version)}`);
    }
    this.#offered++;
    const pending = this.#pending;
    if (version <= this.#applied || (pending !== undefined && version <= pending.version)) {
      this.#staleDropped++;
      return false;
    }
    const offered: VersionedValue<T> = { value, version };
    const taker = this.#takers.shift();
    if (taker !== undefined) {
      this.#deliver(taker, offered);
      return true;
    }
    if (pending !== undefined) this.#replaced++;
    this.#pending = offered;
    return true;
  }

  /** Take the pending value now, or `undefined` when none waits. */
  tryTake(): VersionedValue<T> | undefined {
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
      this.#taken++;
    }
    return pending;
  }

  /**
   * Wait for a value and take it. Rejects with the signal's reason when `signal` aborts first.
   */
  take(signal?: AbortSignal): Promise<VersionedValue<T>> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const now = this.tryTake();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#takers.indexOf(taker);
        if (index >= 0) this.#takers.splice(index, 1);
        reject(abortReason(signal as AbortSignal));
      };
      // Served by an offer: drop the abort listener, or a long-lived signal collects one per take.
      const taker = {
        resolve: (value: VersionedValue<T>) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
      };
      this.#takers.push(taker);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Record that `version` was applied: later offers must be newer; a pending value not newer is dropped. */
  markApplied(version: number): void {
    if (version <= this.#applied) return;
    this.#applied = version;
    if (this.#pending !== undefined && this.#pending.version <= version) {
      this.#pending = undefined;
      this.#staleDropped++;
    }
  }

  #deliver(taker: { resolve: (v: VersionedValue<T>) => void }, value: VersionedValue<T>): void {
    this.#taken++;
    taker.resolve(value);
  }
}
