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
        signal?.removeEventListener('abort', onAbort);
        this.#active++;
        resolve();
      };
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(grant);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(abortReason(signal as AbortSignal));
      };
      this.#waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #release(): void {
    this.#active--;
    const next = this.#waiters.shift();
    if (next !== undefined) next();
  }
}
