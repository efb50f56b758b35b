/**
 * A counting semaphore: caps concurrent NITRO requests. NetScaler's management plane (CFE) refuses work past
 * a connection limit (error 446), so the client never has more than `limit` requests in flight; the rest wait
 * in FIFO order.
 */
import { abortReason } from '@nitrox/core';

/** A FIFO counting semaphore. */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiters: Array<() => void> = [];
  readonly #aborters = new WeakMap<AbortSignal, Set<() => void>>();

  /** @param limit - maximum holders at once (at least 1). */
  constructor(limit: number) {
    this.#limit = Math.max(1, Math.floor(limit));
  }

  /** Holders right now. */
  get active(): number {
    return this.#active;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Run `fn` while holding a slot. Rejects without running when `signal` aborts while waiting. */
  async run<R>(fn: () => Promise<R>, signal?: AbortSignal): Promise<R> {
    await this.#acquire(signal);
    try {
      return await fn();
    } finally {
      this.#release();
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#active < this.#limit) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        if (signal !== undefined) this.#aborters.get(signal)?.delete(onAbort);
        this.#active++;
        resolve();
      };
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(grant);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(abortReason(signal as AbortSignal));
      };
      this.#waiters.push(grant);
      if (signal !== undefined) this.#onAbort(signal, onAbort);
    });
  }

  /**
   * One 'abort' listener per signal, however many waiters share it: an apply queues many requests on one
   * signal, and one listener each would trip Node's MaxListenersExceeded warning.
   */
  #onAbort(signal: AbortSignal, handler: () => void): void {
    let handlers = this.#aborters.get(signal);
    if (handlers === undefined) {
      const set = new Set<() => void>();
      handlers = set;
      this.#aborters.set(signal, set);
      signal.addEventListener(
        'abort',
        () => {
          this.#aborters.delete(signal);
          for (const h of set) h();
        },
        { once: true },
      );
    }
    handlers.add(handler);
  }

  #release(): void {
    this.#active--;
    const next = this.#waiters.shift();
    if (next !== undefined) next();
  }
}
