/**
 * The difference between the servers HAProxy holds and a desired `BackendSet`, as a plan of Runtime API
 * changes. Pure: the sink reads the state, this decides, the sink writes. Only owned servers are considered
 * (dynamic mode: the name starts with the prefix; slot mode: the `server-template` slots of that prefix); a
 * server in maintenance is not a member (it is leaving, or a free slot) but is revived in place when desired.
 */
import { type Backend, backendKey } from '@nitrox/core';
import { adminFlags, inMaintenance, type ServerState } from './server-state.js';

/** How members are represented in the backend. */
export type MemberMode = 'dynamic' | 'slots';

/** A server that must change state or weight in place. */
export interface InPlaceChange {
  readonly server: string;
  /** New weight, when it differs. */
  readonly weight?: number;
  /** Whether it must be made ready (it is in maintenance or draining). */
  readonly ready: boolean;
}

/** What to change so that the owned servers equal the desired set. */
export interface MemberPlan {
  /** Members to create: a new dynamic server, or a free slot set to this address (`slot` names it). */
  readonly add: readonly { readonly member: Backend; readonly weight: number; readonly slot?: ServerState }[];
  /** Existing servers to change in place. */
  readonly change: readonly InPlaceChange[];
  /** Servers to take out (drain, maintenance and, in dynamic mode, delete). */
  readonly remove: readonly ServerState[];
  /** Desired members left out because no free slot remained (slot mode). */
  readonly unplaced: readonly Backend[];
}

/** Inputs of {@link planMembers} besides the states. */
export interface PlanOptions {
  readonly mode: MemberMode;
  /** Name prefix of owned servers (dynamic) or of the template's slots (slots). */
  readonly prefix: string;
  /** Weight of a member that names none. */
  readonly defaultWeight: number;
}

/** Whether the sink owns `server`. */
export function owned(server: ServerState, prefix: string): boolean {
  return server.name.startsWith(prefix);
}

/** Dynamic-mode name of a member: prefix, address (`:` of IPv6 kept, HAProxy allows it) and port. */
export function serverName(prefix: string, member: Pick<Backend, 'address' | 'port'>): string {
  return `${prefix}${member.address}-${member.port}`;
}

/** The plan that turns the owned servers in `observed` into `desired`. */
export function planMembers(observed: readonly ServerState[], desired: readonly Backend[], options: PlanOptions): MemberPlan {
  const want = new Map<string, Backend>();
  for (const m of desired) want.set(backendKey(m), m);
  const mine = observed.filter((s) => owned(s, options.prefix));
  const live = new Map<string, ServerState>();
  const remove: ServerState[] = [];
  const spare: ServerState[] = [];
  // Live servers first, so a key held by a live server and a maintenance one keeps the live one.
  const ordered = [...mine].sort((a, b) => Number(inMaintenance(a)) - Number(inMaintenance(b)));
  for (const s of ordered) {
    const key = backendKey(s);
    if (!want.has(key) || live.has(key)) {
      if (!inMaintenance(s)) remove.push(s);
      else if (options.mode === 'dynamic') remove.push(s);
      else spare.push(s);
      continue;
    }
    live.set(key, s);
  }
  const change: InPlaceChange[] = [];
  const add: { member: Backend; weight: number; slot?: ServerState }[] = [];
  const unplaced: Backend[] = [];
  for (const [key, member] of want) {
    const weight = member.weight ?? options.defaultWeight;
    const s = live.get(key);
    if (s) {
      const ready = inMaintenance(s) || (s.adminState & adminFlags.forcedDrain) !== 0;
      if (ready || s.weight !== weight) change.push({ server: s.name, ready, ...(s.weight !== weight ? { weight } : {}) });
      continue;
    }
    if (options.mode === 'dynamic') {
      add.push({ member, weight });
      continue;
    }
    const slot = spare.shift();
    if (slot) add.push({ member, weight, slot });
    else unplaced.push(member);
  }
  return { add, change, remove, unplaced };
}
