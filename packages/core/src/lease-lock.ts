/**
 * The lock a {@link LeaderElector} competes for: one record naming the current holder, read and written
 * with compare-and-swap on an opaque version (client-go's `resourcelock.Interface`). Implementations keep
 * it in memory ({@link MemoryLeaseLock}), in a Kubernetes Lease, or in etcd.
 */

/** The content of a lease. Times are wall-clock epoch milliseconds, informational only. */
export interface LeaseRecord {
  /** Identity of the holder; empty when the lease was released. */
  holderIdentity: string;
  /** How long the lease is valid after its last renewal, in ms, as the holder asked. */
  leaseDurationMs: number;
  /** When the current holder acquired the lease. */
  acquireTime: number;
  /** When the holder last renewed the lease. */
  renewTime: number;
  /** How many times the lease changed hands. */
  leaderTransitions: number;
}

/** A lease record as stored, with the version to pass to {@link LeaseLock.update}. */
export type VersionedLeaseRecord = LeaseRecord & {
  /** Opaque version of the stored record (a counter, a Kubernetes resourceVersion, an etcd revision). */
  readonly version: string;
};

/**
 * Storage of one lease record with compare-and-swap. Electors never compare clocks with each other: they
 * only read, create and update the record, and judge expiry by when they saw it change.
 */
export interface LeaseLock {
  /** Read the record, or `undefined` when there is none yet. */
  get(signal?: AbortSignal): Promise<VersionedLeaseRecord | undefined>;
  /**
   * Create the record.
   * @throws ConflictError when a record already exists.
   */
  create(record: LeaseRecord, signal?: AbortSignal): Promise<void>;
  /**
   * Replace the record if its version is still `ifVersion`.
   * @throws ConflictError when the version differs or the record is gone.
   */
  update(record: LeaseRecord, ifVersion: string, signal?: AbortSignal): Promise<void>;
  /** A short description of where the lock lives, for logs (e.g. `lease kube-system/nitrox`). */
  describe?(): string;
}
