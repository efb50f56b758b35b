/**
 * The reconcile function that connects a Controller to a {@link Sink}: it applies the desired value of a key
 * (or its absence) with the sink's complete, idempotent `apply`, so the same function serves changes,
 * retries and the resync that repairs drift. Errors that are not Nitrox errors are wrapped in a retryable
 * {@link SinkError} (cause kept, message not copied, so nothing the peer said can leak credentials into
 * logs); a `requeueAfterMs` carried by the thrown error survives the wrapping.
 */
import { isNitroxError, SinkError } from './errors.js';
import type { ReconcileFn, ReconcileResult } from './controller-options.js';
import type { Versioned } from './list-watch.js';
import { requeueAfterOf, withRequeueAfter } from './requeue-error.js';
import type { ApplyResult, Sink } from './sink.js';

/** Options of {@link sinkReconciler}. */
export interface SinkReconcilerOptions<T> {
  /** Called after each successful apply with what it changed (for logs and metrics). */
  onApplied?: (key: string, result: ApplyResult, desired: Versioned<T> | undefined) => void;
  /**
   * Re-check the sink this long after every successful apply, even without a change (per-key polling of
   * the actual state, on top of the controller's resync); 0 = off. @defaultValue 0
   */
  requeueAfterMs?: number;
}

/**
 * A reconcile function that makes `sink` hold the desired value of each key, or nothing for a deleted key.
 *
 * @throws RangeError when `requeueAfterMs` is negative or not finite.
 * @example
 * ```ts
 * const controller = new Controller({ source: projection, reconcile: sinkReconciler(netscaler), resyncMs: 300_000 });
 * ```
 */
export function sinkReconciler<T>(sink: Sink<T>, options: SinkReconcilerOptions<T> = {}): ReconcileFn<T> {
  const requeueAfterMs = options.requeueAfterMs ?? 0;
  if (!(Number.isFinite(requeueAfterMs) && requeueAfterMs >= 0)) {
    throw new RangeError('requeueAfterMs must be a finite number >= 0');
  }
  const done: ReconcileResult | undefined = requeueAfterMs > 0 ? { requeueAfterMs } : undefined;
  return async (key, desired, ctx) => {
    let result: ApplyResult;
    try {
      result = await sink.apply(key, desired?.value, ctx.signal);
    } catch (error) {
      if (isNitroxError(error) || ctx.signal.aborted) throw error;
      const wrapped = new SinkError(`sink apply failed for "${key}"`, { cause: error });
      const delay = requeueAfterOf(error);
      throw delay === undefined ? wrapped : withRequeueAfter(wrapped, delay);
    }
    options.onApplied?.(key, result, desired);
    return done;
  };
}
