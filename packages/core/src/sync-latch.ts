/**
 * The "has synced" state of a component that lists before it serves (Informer, Projection): a latch that opens
 * once, the waiters of `waitForSync`, each with its own abort signal, and their rejection when the component
 * stops first.
 */
import { abortReason } from './clock.js';

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/** A one-way "synced" latch with abortable waiters. Internal to core. */
export class SyncLatch {
  #open = false;
  readonly #waiters = new Set<Waiter>();

  /** Whether the latch has opened (and not been reset since). */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Open the latch and resolve every waiter. */
  open(): void {
    this.#open = true;
    for (const waiter of this.#waiters) waiter.resolve();
    this.#waiters.clear();
  }

  /** Close the latch again and reject every pending waiter with `error`. */
  reset(error: Error): void {
    this.#open = false;
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#waiters.clear();
  }

  /** Reject every pending waiter with `error`, leaving the latch as it is. */
  rejectWaiters(error: Error): void {
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#waiters.clear();
  }

  /** Resolve when the latch opens; reject with the signal's reason when `signal` aborts first. */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.#open) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        reject(abortReason(signal as AbortSignal));
      };
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
