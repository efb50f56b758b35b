/**
 * What one run of the four-patterns comparison is: the parameters (state size, pace of changes, faults of the
 * proxy), the seeded stream of changes every pattern receives alike, and what is measured of a pattern.
 */
import { seededRandom } from '@nitrox/core/testing';

/** Parameters of a run. */
export interface Scenario {
  /** Keys the changes pick from (`app-0` … `app-<keys-1>`). */
  keys: number;
  /** Milliseconds during which the orchestrator changes its state. */
  activeMs: number;
  /** Mean interval between two changes (uniform in 0 … 2×). */
  changeEveryMs: number;
  /** Longest wait after the last change for the agent to match. */
  settleMs: number;
  /** The agent counts as converged for good once it has matched this long (the wait then ends early). */
  holdMs: number;
  /** Latency range the proxy adds to each chunk. */
  latencyMs: readonly [number, number];
  /** Probability that a chunk breaks its connection. */
  cutChance: number;
  /** Probability that a new connection is reset at once. */
  refuseChance: number;
  /** Seed of the change stream and of the proxies' faults. */
  seed: number;
}

/** The run `npx tsx examples/four-patterns.ts` does without flags. */
export const scenarioDefaults: Scenario = {
  keys: 200,
  activeMs: 5_000,
  changeEveryMs: 20,
  settleMs: 5_000,
  holdMs: 1_500,
  latencyMs: [5, 80],
  cutChance: 0.03,
  refuseChance: 0.1,
  seed: 1,
};

/** One change of the orchestrator's state: at `atMs` after the start, set `key` to `value` or delete it. */
export interface Change {
  readonly atMs: number;
  readonly key: string;
  readonly value: number | undefined;
}

/** The seeded stream of changes: random keys, one in ten a delete, the value the change's number. */
export function changeStream(scenario: Pick<Scenario, 'keys' | 'activeMs' | 'changeEveryMs' | 'seed'>): Change[] {
  const random = seededRandom(scenario.seed);
  const changes: Change[] = [];
  for (let at = 0, n = 1; at < scenario.activeMs; at += random() * 2 * scenario.changeEveryMs, n++) {
    const key = `app-${Math.floor(random() * scenario.keys)}`;
    changes.push({ atMs: at, key, value: random() < 0.1 ? undefined : n });
  }
  return changes;
}

/** Keys on which `actual` differs from `desired`. */
export function divergence(desired: ReadonlyMap<string, number>, actual: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const [key, value] of desired) if (actual.get(key) !== value) n++;
  for (const key of actual.keys()) if (!desired.has(key)) n++;
  return n;
}

/** What the patterns count themselves. */
export interface Traffic {
  /** HTTP requests started (pushes, fetches, lists, watches, catch-up rounds). */
  requests: number;
  /** Requests that failed (reset, refused, timed out, not answered 200), or watches that ended in an error. */
  failed: number;
  /** Key/value items that reached the agent (whole states, deltas, list pages, watch events). */
  items: number;
}

/** What one pattern achieved in one run. */
export interface Outcome extends Traffic {
  /** Milliseconds from the last change until the agent matched for good; `undefined` when it did not. */
  convergenceMs: number | undefined;
  /** Bytes the proxies forwarded, both ways, HTTP headers included. */
  bytes: number;
  /** Connections broken mid-stream, connections refused, chunks overtaken, over the run's proxies. */
  cuts: number;
  refused: number;
  overtaken: number;
  /** Mean number of differing keys, sampled every 10 ms while changes flowed. */
  meanDivergence: number;
  /** Keys still differing at the end. */
  finalDivergence: number;
}
