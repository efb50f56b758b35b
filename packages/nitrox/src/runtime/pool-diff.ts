/**
 * The difference between a pool's actual and desired members, by `address:port`, as `plan` prints it and as
 * the demo shows it: members to add, to remove, whose weight changes, and how many stay.
 */
import { type Backend, type BackendSet, backendKey } from '@nitrox/core';

/** What applying `desired` over `actual` would change. */
export interface PoolDiff {
  readonly add: readonly Backend[];
  readonly remove: readonly Backend[];
  readonly reweight: readonly { readonly member: Backend; readonly from: number | undefined }[];
  readonly unchanged: number;
}

/** Compare two member sets (`actual` undefined = the pool does not exist yet). */
export function poolDiff(actual: BackendSet | undefined, desired: BackendSet): PoolDiff {
  const have = new Map((actual?.members ?? []).map((m) => [backendKey(m), m]));
  const want = new Map(desired.members.map((m) => [backendKey(m), m]));
  const add: Backend[] = [];
  const reweight: { member: Backend; from: number | undefined }[] = [];
  let unchanged = 0;
  for (const [key, member] of want) {
    const current = have.get(key);
    if (!current) add.push(member);
    else if (member.weight !== undefined && current.weight !== member.weight) reweight.push({ member, from: current.weight });
    else unchanged++;
  }
  const remove = [...have].filter(([key]) => !want.has(key)).map(([, m]) => m);
  const byKey = (a: Backend, b: Backend) => (backendKey(a) < backendKey(b) ? -1 : 1);
  return { add: add.sort(byKey), remove: remove.sort(byKey), reweight, unchanged };
}

/** True when applying would change nothing. */
export function isEmptyDiff(diff: PoolDiff): boolean {
  return diff.add.length === 0 && diff.remove.length === 0 && diff.reweight.length === 0;
}
