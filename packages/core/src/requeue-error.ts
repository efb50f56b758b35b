/**
 * A failed reconcile that still says when to try again. Unlike controller-runtime, where a returned error
 * overrides `RequeueAfter`, the Controller honours a requeue delay carried by the thrown error: the failure is
 * counted and reported like any other, but the retry comes after exactly that delay instead of the rate
 * limiter's next backoff step (which is not advanced). Any thrown object with a finite, non-negative numeric
 * `requeueAfterMs` property qualifies, so an adapter's own error (a `SinkError` with a Retry-After) can carry
 * one via {@link withRequeueAfter} without being wrapped.
 */

/**
 * Throw from a reconcile function to fail and be retried after `requeueAfterMs`.
 *
 * @example
 * ```ts
 * throw new RequeueError(30_000, 'pool is locked by an administrator', { cause: err });
 * ```
 */
export class RequeueError extends Error {
  /** Delay before the key is reconciled again, in ms. */
  readonly requeueAfterMs: number;

  /**
   * @param requeueAfterMs - delay before the retry, in ms (finite, >= 0).
   * @throws RangeError when `requeueAfterMs` is not a finite number >= 0.
   */
  constructor(requeueAfterMs: number, message = `retry in ${requeueAfterMs} ms`, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (!isDelay(requeueAfterMs)) throw new RangeError(`requeueAfterMs must be a finite number >= 0`);
    this.name = 'RequeueError';
    this.requeueAfterMs = requeueAfterMs;
  }
}

/**
 * Attach a requeue delay to an existing error (mutates and returns it), e.g. a `SinkError` whose peer sent
 * Retry-After. The Controller treats it as a {@link RequeueError}.
 *
 * @throws RangeError when `requeueAfterMs` is not a finite number >= 0.
 */
export function withRequeueAfter<E extends object>(error: E, requeueAfterMs: number): E & { requeueAfterMs: number } {
  if (!isDelay(requeueAfterMs)) throw new RangeError(`requeueAfterMs must be a finite number >= 0`);
  return Object.assign(error, { requeueAfterMs });
}

/** The requeue delay a thrown value carries, or `undefined` when it carries none (or an invalid one). */
export function requeueAfterOf(thrown: unknown): number | undefined {
  if (typeof thrown !== 'object' || thrown === null) return undefined;
  const ms = (thrown as { requeueAfterMs?: unknown }).requeueAfterMs;
  return isDelay(ms) ? ms : undefined;
}

function isDelay(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;
}
