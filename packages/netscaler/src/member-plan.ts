/**
 * The difference between the desired members of one servicegroup and the members it holds: which to add,
 * which weights to change in place, which to remove — and which members are foreign (not Nitrox's) and must
 * be left alone. Pure, so the safety rules are tested without HTTP.
 */
import { type Backend, backendKey, normalizeBackendSet } from '@nitrox/core';

/** A member as read from the appliance. */
export interface ObservedMember {
  /** IP address of the member's server. */
  readonly ip: string;
  /** Name of the member's server (equal to `ip` when bound by IP, which is how Nitrox binds). */
  readonly servername: string;
  readonly port: number;
  readonly weight: number;
  /** `ENABLED` or `DISABLED`, when known. */
  readonly state?: string | undefined;
}

/** What to change. */
export interface MemberPlan {
  /** Desired members absent from the servicegroup. */
  readonly add: readonly Backend[];
  /** Owned members whose weight differs from the desired one. */
  readonly update: ReadonlyArray<{ readonly member: ObservedMember; readonly weight: number }>;
  /** Owned members that are not desired. */
  readonly remove: readonly ObservedMember[];
  /** Members Nitrox does not own; never changed. */
  readonly foreign: readonly ObservedMember[];
  /** Members Nitrox owns, as they are now. */
  readonly owned: readonly ObservedMember[];
}

/** Settings of {@link planMembers}. */
export interface MemberPlanOptions {
  /** Weight of a desired member that names none. */
  readonly defaultWeight: number;
  /** Whether Nitrox owns a member. */
  readonly isOwned: (member: ObservedMember) => boolean;
}

/**
 * The canonical spelling of an address, so that `fe80:0::1` and `fe80::1` are one member: IPv6 is compressed
 * and lower-cased (as the appliance reports it); anything else is kept as is.
 */
export function canonicalAddress(address: string): string {
  if (!address.includes(':')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

/** The ownership rule by default: a member bound by IP (its server is named after its IP) is Nitrox's. */
export function boundByIp(member: ObservedMember): boolean {
  return member.servername === member.ip;
}

/**
 * Compute the changes that make the owned members equal `desired`. A foreign member at a desired
 * `address:port` counts as present (it is neither added again nor re-weighted).
 */
export function planMembers(
  desired: readonly Backend[],
  actual: readonly ObservedMember[],
  options: MemberPlanOptions,
): MemberPlan {
  const wanted = new Map<string, Backend>();
  const canonical = desired.map((b) => ({ ...b, address: canonicalAddress(b.address) }));
  for (const b of normalizeBackendSet({ name: '', members: canonical }).members) wanted.set(backendKey(b), b);
  const owned: ObservedMember[] = [];
  const foreign: ObservedMember[] = [];
  const present = new Set<string>();
  const update: Array<{ member: ObservedMember; weight: number }> = [];
  const remove: ObservedMember[] = [];
  for (const member of actual) {
    const key = backendKey({ address: canonicalAddress(member.ip), port: member.port });
    if (!options.isOwned(member)) {
      foreign.push(member);
      present.add(key);
      continue;
    }
    owned.push(member);
    const want = wanted.get(key);
    if (want === undefined || present.has(key)) {
      // Not desired, or a duplicate of a desired address:port already held.
      remove.push(member);
      continue;
    }
    present.add(key);
    const weight = want.weight ?? options.defaultWeight;
    if (member.weight !== weight) update.push({ member, weight });
  }
  const add = [...wanted.entries()].filter(([key]) => !present.has(key)).map(([, b]) => b);
  return { add, update, remove, foreign, owned };
}
