/**
 * Grace for nodes whose state the manager does not know. After a manager's dockerd restarts it reports the
 * other nodes as `unknown` for several seconds (2–7 s seen on the test bed) while their tasks keep serving:
 * `unknown` is not `down`. A node that was `ready` when last seen, and is `unknown` now, keeps counting as its
 * last ready self (its current availability still applies) until the manager says something definite
 * (`ready`, `down`, `disconnected`) or `graceMs` has passed since it was first seen `unknown`.
 */
import type { SwarmNode } from './engine-types.js';

/** Node states with grace, by ID, and the effective node map the projection sees. */
export class NodeGrace {
  readonly #graceMs: number;
  readonly #lastReady = new Map<string, SwarmNode>();
  readonly #unknownSince = new Map<string, number>();
  #nodes: ReadonlyMap<string, SwarmNode> = new Map();

  /** @param graceMs - how long an `unknown` node keeps its members; 0 = no grace. */
  constructor(graceMs: number) {
    this.#graceMs = graceMs;
  }

  /** Record a node list read at `now`. */
  update(nodes: ReadonlyMap<string, SwarmNode>, now: number): void {
    this.#nodes = nodes;
    for (const [id, node] of nodes) {
      const state = node.Status?.State;
      if (state === 'ready') {
        this.#lastReady.set(id, node);
        this.#unknownSince.delete(id);
      } else if (state === 'unknown') {
        if (!this.#unknownSince.has(id)) this.#unknownSince.set(id, now);
      } else {
        this.#lastReady.delete(id);
        this.#unknownSince.delete(id);
      }
    }
    for (const id of [...this.#lastReady.keys()]) if (!nodes.has(id)) this.#lastReady.delete(id);
    for (const id of [...this.#unknownSince.keys()]) if (!nodes.has(id)) this.#unknownSince.delete(id);
  }

  /** Nodes as the projection should see them at `now`: an `unknown` node in its grace period counts as ready. */
  effective(now: number): ReadonlyMap<string, SwarmNode> {
    if (this.#unknownSince.size === 0 || this.#graceMs === 0) return this.#nodes;
    const out = new Map(this.#nodes);
    for (const [id, since] of this.#unknownSince) {
      const last = this.#lastReady.get(id);
      const node = this.#nodes.get(id);
      if (last === undefined || node === undefined || now - since >= this.#graceMs) continue;
      out.set(id, { ...node, Status: { ...last.Status, State: 'ready' }, ...(node.ManagerStatus ?? last.ManagerStatus ? { ManagerStatus: node.ManagerStatus ?? last.ManagerStatus } : {}) });
    }
    return out;
  }

  /** Clock time at which the next grace period ends (every set must be derived again then), if any is running. */
  nextExpiry(now: number): number | undefined {
    let next: number | undefined;
    for (const [id, since] of this.#unknownSince) {
      const end = since + this.#graceMs;
      if (this.#graceMs > 0 && end > now && this.#lastReady.has(id) && (next === undefined || end < next)) next = end;
    }
    return next;
  }
}
