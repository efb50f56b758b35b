/**
 * The health of leader election as an operator needs to see it: every error of the elector logged (the first at
 * once, then at most one line per `logEveryMs` saying how many were folded into it) and counted, whether the
 * lease lock answers at all (a replica that has not reached its lock for longer than the lease is not ready:
 * it can neither lead nor take over), and the leadership state for `/readyz`'s body. Contact with the lock is
 * observed by wrapping it: any answer, including a conflict, is contact; any other failure is not.
 */
import { type Clock, isNitroxError, type LeaseLock } from '@nitrox/core';
import type { Logger } from 'pino';
import { errorFields } from '../ops/logger.js';

/** Options of {@link LeaseHealth}. */
export interface LeaseHealthOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** `namespace/name` of the lease, for logs. */
  readonly lease: string;
  /** Out of contact with the lock longer than this: not ready. */
  readonly leaseDurationMs: number;
  /** Counts one error (the metric). */
  readonly onError: () => void;
  /** Least interval between two logged errors. @defaultValue 30 s */
  readonly logEveryMs?: number;
}

/** Leader-election errors, lock contact and the state shown by `/readyz`. */
export class LeaseHealth {
  readonly #o: LeaseHealthOptions;
  readonly #logEveryMs: number;
  #lostSince: number | undefined;
  #lastLoggedAt: number | undefined;
  #suppressed = 0;

  /** No I/O; {@link LeaseHealth.start} when the election starts. */
  constructor(options: LeaseHealthOptions) {
    this.#o = options;
    this.#logEveryMs = options.logEveryMs ?? 30_000;
  }

  /** Election starts: no contact with the lock until its first answer. */
  start(): void {
    this.#lostSince = this.#o.clock.now();
  }

  /** `lock`, observed: answers (conflicts too) are contact, other failures are not. */
  wrap(lock: LeaseLock): LeaseLock {
    const observe = async <T>(call: Promise<T>): Promise<T> => {
      try {
        const value = await call;
        this.#lostSince = undefined;
        return value;
      } catch (err) {
        if (isNitroxError(err) && err.code === 'NITROX_CONFLICT') this.#lostSince = undefined;
        else this.#lostSince ??= this.#o.clock.now();
        throw err;
      }
    };
    return {
      get: (signal) => observe(lock.get(signal)),
      create: (record, signal) => observe(lock.create(record, signal)),
      update: (record, ifVersion, signal) => observe(lock.update(record, ifVersion, signal)),
      ...(lock.describe ? { describe: () => (lock.describe as () => string)() } : {}),
    };
  }

  /** An error of the elector: counted always, logged rate-limited. */
  error(err: Error): void {
    this.#o.onError();
    const now = this.#o.clock.now();
    if (this.#lastLoggedAt !== undefined && now - this.#lastLoggedAt < this.#logEveryMs) {
      this.#suppressed++;
      return;
    }
    const folded = this.#suppressed;
    this.#suppressed = 0;
    this.#lastLoggedAt = now;
    this.#o.logger.warn(
      { lease: this.#o.lease, ...errorFields(err), ...(folded > 0 ? { similarSinceLastLine: folded } : {}) },
      'leader election: lease lock failed; retrying (check the RBAC and the API server)',
    );
  }

  /** Milliseconds without an answer from the lock (0 while in contact). */
  unreachableMs(): number {
    return this.#lostSince === undefined ? 0 : Math.max(0, this.#o.clock.now() - this.#lostSince);
  }

  /** Not ready: the lock has not answered for longer than the lease. */
  unreachable(): boolean {
    return this.unreachableMs() > this.#o.leaseDurationMs;
  }
}
