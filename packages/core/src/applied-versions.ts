/**
 * The controller's memory of what it last applied per key: the version, and whether it was a deletion. It
 * orders a candidate against that record so the controller can discard a state older than the applied one
 * (a regressed cache, a late duplicate, a restart reading a lagging source), skip a redelivered copy of it,
 * and go ahead otherwise. A deletion of version `v` counts as newer than the value of version `v`, because a
 * source reports a deletion with the last state it held (MemoryStore, Kubernetes). A deletion the controller
 * only *inferred* (the key was absent from a list, or from the cache after a restart) is weaker: a list may be
 * an older snapshot than the value applied (a cache, a lagging replica, a proxy), so the value of the same
 * version that comes back afterwards is newer than the inferred deletion and is applied again. Share one
 * instance across a controller restart so the new controller keeps refusing older versions.
 *
 * Versions are comparable only within one numbering of the source (its `epoch`, see `ListResult.epoch`): the
 * records are per source incarnation. When the controller sees a new epoch it calls
 * {@link AppliedVersions.useEpoch}, which keeps every key but ranks every record below any version of the new
 * numbering, so each key is applied once more instead of being refused for ever.
 */
import { ConfigError } from './errors.js';

/** What was last applied for one key. */
export interface AppliedRecord {
  /** Version of the applied value, or of the last value known before the deletion. */
  readonly version: number;
  /** True when the applied state was "absent" (the key was deleted). */
  readonly deleted: boolean;
  /**
   * Only for a deletion: true when no source reported it, the controller inferred it from the key's absence
   * (from a relist, or from the cache after a restart). It does not outrank the value of the same version.
   */
  readonly inferred?: boolean;
}

/** How a candidate state compares with the applied one. */
export type AppliedComparison = 'older' | 'same' | 'newer';

/**
 * Order two records: by version, and at equal versions a deletion after the value it deleted — except that
 * the value after an *inferred* deletion of the same version is newer too (the list that hid it may have
 * been older than the value, so the cache, which holds the value again, is followed). Two deletions of the
 * same version are the same state. `undefined` as the applied record means nothing was applied yet: every
 * candidate is newer.
 */
export function compareApplied(candidate: AppliedRecord, applied: AppliedRecord | undefined): AppliedComparison {
  if (applied === undefined) return 'newer';
  if (candidate.version !== applied.version) return candidate.version < applied.version ? 'older' : 'newer';
  if (candidate.deleted === applied.deleted) return 'same';
  if (candidate.deleted) return 'newer';
  return applied.inferred === true ? 'newer' : 'older';
}

/** The version a record from a previous epoch is demoted to: below every version of the new numbering. */
export const previousEpochVersion = Number.MIN_SAFE_INTEGER;

/** A private copy of `record`, `inferred` kept only on a deletion. */
function copyOf(record: AppliedRecord): AppliedRecord {
  return record.deleted && record.inferred === true
    ? { version: record.version, deleted: true, inferred: true }
    : { version: record.version, deleted: record.deleted };
}

/** Options of {@link AppliedVersions}. */
export interface AppliedVersionsOptions {
  /**
   * Deleted keys remembered at most; the oldest deletions are forgotten first, so churn of short-lived keys
   * cannot grow memory without bound. A forgotten key only loses its guard against a very late copy of a
   * state from before its deletion.
   * @defaultValue 100_000
   */
  maxTombstones?: number;
}

/**
 * Last applied version per key, and the highest version ever *sent* per key. A reconcile that failed may
 * still have written (the answer was lost), so a later candidate is refused as older when it is below what
 * was applied *or attempted*; only the applied record decides "same" (a failed attempt must be retried).
 * Deletions are remembered as tombstones (a few bytes each) so a late copy of a deleted state cannot
 * resurrect it.
 *
 * @example
 * ```ts
 * const applied = new AppliedVersions();
 * applied.record('a', { version: 5, deleted: false });
 * applied.compare('a', { version: 4, deleted: false }); // 'older'
 * ```
 */
export class AppliedVersions {
  readonly #applied = new Map<string, AppliedRecord>();
  readonly #sent = new Map<string, AppliedRecord>();
  /** Keys whose applied and sent states are deletions, oldest first. */
  readonly #tombstones = new Set<string>();
  readonly #maxTombstones: number;
  #epoch: string | undefined;
  #epochChanges = 0;

  /** @throws ConfigError when `maxTombstones` is not a non-negative integer. */
  constructor(options: AppliedVersionsOptions = {}) {
    const max = options.maxTombstones ?? 100_000;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new ConfigError('maxTombstones', `must be an integer >= 0, got ${String(max)}`);
    }
    this.#maxTombstones = max;
  }

  /** The epoch the records belong to (the last one passed to {@link AppliedVersions.useEpoch}). */
  get epoch(): string | undefined {
    return this.#epoch;
  }

  /** How many times {@link AppliedVersions.useEpoch} demoted the records. */
  get epochChanges(): number {
    return this.#epochChanges;
  }

  /**
   * Bind the records to the source's version numbering `epoch`. When it differs from the current one and records
   * exist, every record is demoted to {@link previousEpochVersion} (deletions as inferred), so any state of the
   * new numbering is newer, while {@link AppliedVersions.liveKeys} still names what the sink may hold.
   * @returns true when the records were demoted.
   */
  useEpoch(epoch: string | undefined): boolean {
    if (epoch === this.#epoch) return false;
    this.#epoch = epoch;
    if (this.#sent.size === 0) return false;
    this.#epochChanges++;
    for (const map of [this.#applied, this.#sent]) {
      for (const [key, record] of map) map.set(key, demote(record));
    }
    return true;
  }

  /** The last applied record of `key`, or `undefined` when nothing was applied for it. */
  get(key: string): AppliedRecord | undefined {
    return this.#applied.get(key);
  }

  /** The highest record sent for `key` (applied, failed or in flight), or `undefined`. */
  highestSent(key: string): AppliedRecord | undefined {
    return this.#sent.get(key);
  }

  /** Remember that `record` was applied for `key`. */
  record(key: string, record: AppliedRecord): void {
    const copy = copyOf(record);
    this.#applied.set(key, copy);
    this.attempt(key, copy);
    this.#tombstones.delete(key);
    if (copy.deleted && this.#sent.get(key)?.deleted === true) {
      this.#tombstones.add(key);
      for (const oldest of this.#tombstones) {
        if (this.#tombstones.size <= this.#maxTombstones) break;
        this.forget(oldest);
      }
    }
  }

  /** Remember that `record` is being sent for `key` (call before the attempt: it may land even if it fails). */
  attempt(key: string, record: AppliedRecord): void {
    const sent = this.#sent.get(key);
    if (compareApplied(record, sent) !== 'newer') return;
    this.#sent.set(key, copyOf(record));
    if (!record.deleted) this.#tombstones.delete(key);
  }

  /**
   * Order `candidate` for `key`: `older` when below the applied or the highest sent record, `same` when equal
   * to the applied one, else `newer` (see {@link compareApplied}).
   */
  compare(key: string, candidate: AppliedRecord): AppliedComparison {
    if (compareApplied(candidate, this.#sent.get(key)) === 'older') return 'older';
    return compareApplied(candidate, this.#applied.get(key));
  }

  /** Forget `key` entirely (its tombstone too). */
  forget(key: string): void {
    this.#applied.delete(key);
    this.#sent.delete(key);
    this.#tombstones.delete(key);
  }

  /** Keys whose applied or highest sent state is a value: what the actual state may hold. */
  *liveKeys(): IterableIterator<string> {
    for (const [key, record] of this.#sent) {
      if (!record.deleted || this.#applied.get(key)?.deleted === false) yield key;
    }
  }

  /** Number of keys remembered, tombstones included. */
  get size(): number {
    return this.#sent.size;
  }
}

/** `record` as a record of a previous epoch: below every version of the new numbering, a deletion as inferred. */
export function demote(record: AppliedRecord): AppliedRecord {
  return record.deleted
    ? { version: previousEpochVersion, deleted: true, inferred: true }
    : { version: previousEpochVersion, deleted: false };
}
