/**
 * The contract of a sink: the external system Nitrox keeps converged. A sink reads its actual state and
 * applies the complete desired state idempotently, changing only the difference, so a missed event can never
 * leave it wrong for longer than one resync.
 */

/** What one `apply` changed. */
export interface ApplyResult {
  /** Number of items created in the sink. */
  readonly added: number;
  /** Number of items changed in place. */
  readonly updated: number;
  /** Number of items removed from the sink. */
  readonly removed: number;
  /** Number of write requests made to the sink (0 when it already matched). */
  readonly writes: number;
}

/**
 * An external system kept equal to a desired state.
 *
 * @typeParam T - the desired value for one key (e.g. a `BackendSet`).
 */
export interface Sink<T> {
  /** Read the actual state for `key`, or `undefined` when the sink holds nothing for it. */
  observe(key: string, signal?: AbortSignal): Promise<T | undefined>;
  /**
   * Make the sink hold exactly `desired` for `key` (or nothing, when `desired` is `undefined`): read the actual
   * state, then change only the difference. Applying the same state twice makes no writes.
   */
  apply(key: string, desired: T | undefined, signal?: AbortSignal): Promise<ApplyResult>;
}
