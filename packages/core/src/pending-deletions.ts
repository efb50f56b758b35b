/**
 * The deletions a Controller still has to apply, per key, and how strong each is. A deletion the source
 * *reported* (a `deleted` event for version `v`) outranks the value of `v`, so a late copy of that value is
 * discarded. A deletion the controller only *inferred* — the key was absent from a relist, which may be an older
 * snapshot than what was applied, or absent from the cache while the applied versions say the sink may hold it —
 * is raised above every version sent (so it is applied even when the cache had regressed) but does not outrank
 * the value of that version: if the watch or a resync brings it back, it is applied again. Internal to the
 * Controller.
 */
import type { AppliedRecord, AppliedVersions } from './applied-versions.js';

/** Pending deletions by key (see the file header). */
export class PendingDeletions {
  readonly #byKey = new Map<string, AppliedRecord>();

  /** The source reported `key` deleted, its last state having version `version`. */
  reported(key: string, version: number): void {
    this.#byKey.set(key, { version, deleted: true });
  }

  /** `key` is present again: nothing to delete. */
  cancel(key: string): void {
    this.#byKey.delete(key);
  }

  /** Forget every pending deletion (their versions belong to a numbering the source no longer uses). */
  clear(): void {
    this.#byKey.clear();
  }

  /** Keys with a pending deletion. */
  keys(): IterableIterator<string> {
    return this.#byKey.keys();
  }

  /**
   * After a relist: every key with a pending deletion or a live applied state that `isPresent` denies gets an
   * inferred deletion raised to the highest version sent for it. @returns those keys, to be queued.
   */
  inferAbsent(isPresent: (key: string) => boolean, applied: AppliedVersions): Set<string> {
    const absent = new Set<string>();
    for (const key of this.#byKey.keys()) if (!isPresent(key)) absent.add(key);
    for (const key of applied.liveKeys()) if (!isPresent(key)) absent.add(key);
    for (const key of absent) {
      const version = Math.max(applied.highestSent(key)?.version ?? 0, this.#byKey.get(key)?.version ?? 0);
      this.#byKey.set(key, { version, deleted: true, inferred: true });
    }
    return absent;
  }

  /** The deletion to apply for `key`, absent from the cache: the pending one, or one inferred at the highest sent. */
  candidate(key: string, applied: AppliedVersions): AppliedRecord {
    return this.#byKey.get(key) ?? { version: applied.highestSent(key)?.version ?? 0, deleted: true, inferred: true };
  }

  /** `deletion` of `key` was applied: it is no longer pending, unless another replaced it meanwhile. */
  done(key: string, deletion: AppliedRecord): void {
    if (this.#byKey.get(key) === deletion) this.#byKey.delete(key);
  }
}
