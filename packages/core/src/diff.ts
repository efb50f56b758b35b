/**
 * Delta computation between two keyed snapshots. Equal versions short-circuit (by the store contract the value
 * is then the same), so the common case — most keys unchanged — costs one map lookup and one integer compare
 * per key; only keys whose version moved are deep-compared, and a version bump whose value is deep-equal is
 * not reported. Removals are found without a second pass when every key of `prev` was seen in `next`.
 */
import deepEqual from 'fast-deep-equal';
import type { Versioned } from './list-watch.js';

/** Options of {@link diff}. */
export interface DiffOptions<T> {
  /**
   * Value equality for keys whose version differs.
   * @defaultValue `fast-deep-equal`
   */
  equals?: (a: T, b: T) => boolean;
}

/** What changed from one snapshot to the next. */
export interface DiffResult<T> {
  /** Items of `next` whose key is absent from `prev`. */
  readonly added: Versioned<T>[];
  /** Items of `next` whose version differs from `prev` and whose value is not equal (the previous is `prev.get(key)`). */
  readonly updated: Versioned<T>[];
  /** Items of `prev` whose key is absent from `next`. */
  readonly removed: Versioned<T>[];
}

/**
 * Compute the difference between two keyed snapshots.
 *
 * @example
 * ```ts
 * const { added, updated, removed } = diff(before, after);
 * ```
 */
export function diff<T>(
  prev: ReadonlyMap<string, Versioned<T>>,
  next: ReadonlyMap<string, Versioned<T>>,
  options?: DiffOptions<T>,
): DiffResult<T> {
  const equals: (a: T, b: T) => boolean = options?.equals ?? deepEqual;
  const added: Versioned<T>[] = [];
  const updated: Versioned<T>[] = [];
  const removed: Versioned<T>[] = [];
  let common = 0;
  for (const [key, item] of next) {
    const before = prev.get(key);
    if (before === undefined) {
      added.push(item);
      continue;
    }
    common++;
    if (before === item || before.version === item.version) continue;
    if (!equals(before.value, item.value)) updated.push(item);
  }
  // Every key of prev was found in next: nothing was removed, skip the second pass.
  if (common !== prev.size) {
    for (const [key, item] of prev) if (!next.has(key)) removed.push(item);
  }
  return { added, updated, removed };
}
