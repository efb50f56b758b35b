/**
 * Whether the swarm source can read the manager's Engine API. The first failed read opens an outage (its
 * start is exposed, so a host can turn "unreachable for longer than N" into readiness), and the next read
 * that succeeds closes it and says how long it lasted, so a host logs "reachable again" once instead of
 * staying silent after a stream of errors.
 */

/** An outage that just ended. */
export interface SwarmOutage {
  /** Clock time of the first failed read. */
  readonly since: number;
  /** How long reads failed. */
  readonly downMs: number;
  /** Reads that failed meanwhile. */
  readonly failedReads: number;
}

/** Outage bookkeeping on the source's clock. */
export class Reachability {
  #since: number | undefined;
  #failedReads = 0;

  /** Clock time of the first failed read of the current outage, or `undefined` while reads succeed. */
  get unreachableSince(): number | undefined {
    return this.#since;
  }

  /** A read failed at `now`; true when this opens an outage. */
  failed(now: number): boolean {
    this.#failedReads++;
    if (this.#since !== undefined) return false;
    this.#since = now;
    return true;
  }

  /** A read succeeded at `now`; the outage it ends, if any. */
  succeeded(now: number): SwarmOutage | undefined {
    const since = this.#since;
    if (since === undefined) return undefined;
    const outage = { since, downMs: now - since, failedReads: this.#failedReads };
    this.#since = undefined;
    this.#failedReads = 0;
    return outage;
  }
}
