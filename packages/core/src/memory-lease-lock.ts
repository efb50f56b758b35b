/**
 * An in-process {@link LeaseLock}: one record with a version counter and compare-and-swap, for tests and
 * for several electors inside one process (or sharing one object). It honours abort signals, so it
 * behaves like a remote lock from the elector's point of view.
 */
import { abortReason } from './clock.js';
import { ConflictError } from './errors.js';
import type { LeaseLock, LeaseRecord, VersionedLeaseRecord } from './lease-lock.js';

/** Options of {@link MemoryLeaseLock}. */
export interface MemoryLeaseLockOptions {
  /** Name of the lease, used in conflict errors and `describe()`. @defaultValue 'lease' */
  name?: string;
}

/** A lease record held in memory with compare-and-swap on a version counter. */
export class MemoryLeaseLock implements LeaseLock {
  /** Name of the lease. */
  readonly name: string;
  #record: LeaseRecord | undefined;
  #version = 0;

  constructor(options: MemoryLeaseLockOptions = {}) {
    this.name = options.name ?? 'lease';
  }

  /** The stored record (a copy), synchronously; for tests and diagnostics. */
  get record(): VersionedLeaseRecord | undefined {
    return this.#record === undefined ? undefined : { ...this.#record, version: String(this.#version) };
  }

  /** Read a copy of the record, or `undefined` when none was created. */
  async get(signal?: AbortSignal): Promise<VersionedLeaseRecord | undefined> {
    if (signal?.aborted) throw abortReason(signal);
    return this.record;
  }

  /** Create the record. @throws ConflictError when it exists. */
  async create(record: LeaseRecord, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortReason(signal);
    if (this.#record !== undefined) throw new ConflictError(this.name, 0, this.#version);
    this.#record = { ...record };
    this.#version++;
  }

  /** Replace the record if its version is `ifVersion`. @throws ConflictError otherwise. */
  async update(record: LeaseRecord, ifVersion: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortReason(signal);
    const current = this.#record === undefined ? 0 : this.#version;
    if (this.#record === undefined || String(this.#version) !== ifVersion) {
      throw new ConflictError(this.name, Number(ifVersion), current);
    }
    this.#record = { ...record };
    this.#version++;
  }

  /** `memory lease <name>`. */
  describe(): string {
    return `memory lease ${this.name}`;
  }
}
