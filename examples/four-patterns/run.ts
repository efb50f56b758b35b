/**
 * One run of one pattern on real time: a fresh orchestrator store and agent map, the pattern built between them
 * through lossy proxies, the seeded changes played at their times, the divergence sampled every 10 ms, then a
 * wait for the agent to match (ending early once it has matched for `holdMs`, or after `settleMs`).
 */
import { MemoryStore } from '@nitrox/core';
import { delta } from './delta.js';
import { harness, type StartPattern } from './harness.js';
import { nitroxDefault } from './nitrox-default.js';
import { changeStream, divergence, type Outcome, type Scenario } from './scenario.js';
import { command, interrupt, poll } from './whole-state.js';

/** The five strategies compared, in table order. */
export const patterns = ['command', 'delta', 'interrupt', 'poll', 'nitrox default'] as const;
/** One of {@link patterns}. */
export type Pattern = (typeof patterns)[number];

const starters: Record<Pattern, StartPattern> = { command, delta, interrupt, poll, 'nitrox default': nitroxDefault };

const sampleEveryMs = 10;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Run `pattern` under `scenario`. */
export async function runPattern(pattern: Pattern, scenario: Scenario): Promise<Outcome> {
  const store = new MemoryStore<number>();
  const actual = new Map<string, number>();
  const desired = new Map<string, number>();
  const setUp = harness(scenario, store, actual);
  const run = await starters[pattern](setUp.context);

  let active = true;
  let samples = 0;
  let divergenceSum = 0;
  let equalSince: number | undefined;
  const sampler = setInterval(() => {
    const d = divergence(desired, actual);
    if (active) {
      samples++;
      divergenceSum += d;
    }
    if (d === 0) equalSince ??= performance.now();
    else equalSince = undefined;
  }, sampleEveryMs);

  const start = performance.now();
  for (const change of changeStream(scenario)) {
    await delay(start + change.atMs - performance.now());
    if (change.value === undefined) {
      if (store.delete(change.key) === undefined) continue; // absent already: nothing changed
      desired.delete(change.key);
    } else {
      store.put(change.key, change.value);
      desired.set(change.key, change.value);
    }
    run.onChange();
  }
  const lastChangeAt = performance.now();
  active = false;
  while (performance.now() - lastChangeAt < scenario.settleMs) {
    if (equalSince !== undefined && performance.now() - equalSince >= scenario.holdMs) break;
    await delay(sampleEveryMs);
  }
  clearInterval(sampler);
  const finalDivergence = divergence(desired, actual);
  await run.stop();
  await setUp.close();
  const proxies = setUp.proxyStats();
  return {
    ...setUp.context.traffic,
    convergenceMs: finalDivergence === 0 && equalSince !== undefined ? Math.max(0, equalSince - lastChangeAt) : undefined,
    bytes: proxies.bytes,
    cuts: proxies.cuts,
    refused: proxies.refused,
    overtaken: proxies.overtaken,
    meanDivergence: samples === 0 ? 0 : divergenceSum / samples,
    finalDivergence,
  };
}

/**
 * Run every pattern in `which` `runs` times, one after the other (so they do not compete for the machine), run
 * `i` with seed `scenario.seed + i`; the patterns take turns within a run, so a change of the machine's load
 * falls on all of them alike.
 */
export async function compare(scenario: Scenario, which: readonly Pattern[] = patterns, runs = 1): Promise<Map<Pattern, Outcome[]>> {
  const outcomes = new Map<Pattern, Outcome[]>(which.map((p) => [p, []]));
  for (let i = 0; i < runs; i++) {
    for (const pattern of which) outcomes.get(pattern)?.push(await runPattern(pattern, { ...scenario, seed: scenario.seed + i }));
  }
  return outcomes;
}
