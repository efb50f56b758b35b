/**
 * Delta computation between two keyed snapshots. Equal versions short-circuit (by the store contract the value
 * is then the same); only keys whose version moved are deep-compared, and a version bump whose value is
 * deep-equal is not reported. While both maps share their key order (two snapshots of one source usually do,
 * and inserts or deletes in between do not break it) `prev` is walked in step with `next`, so a key costs no
 * hash lookup at all and removals fall out of the walk; once the orders differ it falls back to one lookup per
 * key (and one pass over `prev` for removals, skipped when every key of it was seen).
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
  let removed: Versioned<T>[] = [];
  // Phase 1: a cursor over prev walks in step with next while both have the same key order (the usual case
  // for two snapshots of one source): a match costs no hash lookup, and both tables are read sequentially.
  const prevKeys = prev.keys();
  const prevValues = prev.values();
  let cursorKey: string | undefined = prevKeys.next().value;
  let cursorItem: Versioned<T> | undefined = prevValues.next().value;
  let zipping = true;
  let common = 0;
  const entries = next.entries();
  for (const [key, item] of entries) {
    if (cursorKey === key) {
      compare(cursorItem as Versioned<T>, item, equals, updated);
      common++;
      cursorKey = prevKeys.next().value;
      cursorItem = prevValues.next().value;
      continue;
    }
    const before = prev.get(key);
    if (before === undefined) {
      added.push(item);
      continue;
    }
    compare(before, item, equals, updated);
    common++;
    // The key is further on in prev: the keys in between are removed, unless the orders differ.
    while (cursorKey !== undefined && cursorKey !== key && !next.has(cursorKey)) {
      removed.push(cursorItem as Versioned<T>);
      cursorKey = prevKeys.next().value;
      cursorItem = prevValues.next().value;
    }
    if (cursorKey !== key) {
      zipping = false;
      break;
    }
    cursorKey = prevKeys.next().value;
    cursorItem = prevValues.next().value;
  }
  if (zipping) {
    // Every key of next that is in prev was consumed in order: what remains of prev is gone from next.
    while (cursorKey !== undefined) {
      removed.push(cursorItem as Versioned<T>);
      cursorKey = prevKeys.next().value;
      cursorItem = prevValues.next().value;
    }
    return { added, updated, removed };
  }
  // Phase 2, the orders differ: one lookup per remaining key (a Map iterator resumes where the loop broke off).
  for (const [key, item] of entries) {
    const before = prev.get(key);
    if (before === undefined) {
      added.push(item);
    } else {
      compare(before, item, equals, updated);
      common++;
    }
  }
  // Removals need one pass over prev, skipped when every key of prev was seen.
  if (common + removed.length !== prev.size) {
    removed = [];
    for (const [key, item] of prev) if (!next.has(key)) removed.push(item);
  }
  return { added, updated, removed };
}

/** Push `item` to `updated` when it really changed from `before`. */
function compare<T>(before: Versioned<T>, item: Versioned<T>, equals: (a: T, b: T) => boolean, updated: Versioned<T>[]): void {
  if (before === item || before.version === item.version) return;
  if (!equals(before.value, item.value)) updated.push(item);
}
