import { describe, expect, it } from 'vitest';
import { scenarioFromArgs } from './four-patterns.js';
import { compare, patterns, runPattern } from './four-patterns/run.js';
import { changeStream, type Outcome, type Scenario, scenarioDefaults } from './four-patterns/scenario.js';
import { formatTable, summarize } from './four-patterns/summary.js';

const firstRuns = (outcomes: Map<string, Outcome[]>): Map<string, Outcome> => new Map(Array.from(outcomes, ([p, [o]]) => [p, o as Outcome]));

/** A short run: 1.5 s of changes to 50 keys through proxies that cut, refuse and reorder. No timing is asserted. */
const short: Scenario = {
  ...scenarioDefaults,
  keys: 50,
  activeMs: 1_500,
  changeEveryMs: 10,
  settleMs: 5_000,
  holdMs: 1_000,
  latencyMs: [1, 30],
  cutChance: 0.05,
  refuseChance: 0.3, // high: keep-alive makes new connections few, and the test counts refusals
};

describe('four ways to transfer desired state, on the real engine', () => {
  it('under cuts, refusals and reordering: the default ends converged; commands are lost; the proxies really misbehave', { timeout: 120_000 }, async () => {
    const others = firstRuns(await compare(short, ['command', 'delta', 'interrupt', 'poll']));
    // The default gets a long settle: it ends early once converged, and a loaded machine must not fail the test.
    const nitrox = await runPattern('nitrox default', { ...short, settleMs: 60_000 });
    expect(nitrox.finalDivergence).toBe(0);
    expect(nitrox.convergenceMs).toBeDefined();

    const command = others.get('command');
    expect(command?.failed).toBeGreaterThan(0); // pushes were lost, and not retried
    // The default carries a fraction of the items of pushing the whole state on every change.
    expect(nitrox.items).toBeLessThan((command?.items ?? 0) / 4);

    const all = [...others.values(), nitrox];
    expect(all.reduce((n, o) => n + o.cuts, 0)).toBeGreaterThan(0);
    expect(all.reduce((n, o) => n + o.refused, 0)).toBeGreaterThan(0);
    expect(all.reduce((n, o) => n + o.overtaken, 0)).toBeGreaterThan(0);
    expect(all.every((o) => o.bytes > 0 && o.requests > 0)).toBe(true);
  });

  it('through a proxy that only delays, every pattern that keeps versions or fetches whole states ends converged', { timeout: 120_000 }, async () => {
    const clean = { ...short, settleMs: 60_000, latencyMs: [1, 5] as const, cutChance: 0, refuseChance: 0 };
    const outcomes = firstRuns(await compare(clean, ['command', 'interrupt', 'poll', 'nitrox default']));
    for (const [pattern, outcome] of outcomes) {
      expect(outcome.finalDivergence, pattern).toBe(0);
      expect(outcome.failed, pattern).toBe(0);
      expect(outcome.cuts + outcome.refused, pattern).toBe(0);
    }
  });

  it('every pattern receives the same seeded stream of changes', () => {
    expect(changeStream(short)).toEqual(changeStream(short));
    expect(changeStream({ ...short, seed: 2 })).not.toEqual(changeStream(short));
    expect(changeStream(short).some((c) => c.value === undefined)).toBe(true);
  });

  it('reads its scenario from the command line', () => {
    const { scenario, runs, only } = scenarioFromArgs(['--active', '2', '--latency', '1-9', '--cut', '0.1', '--only', 'poll', '--runs', '2']);
    expect(scenario).toMatchObject({ activeMs: 2_000, latencyMs: [1, 9], cutChance: 0.1, keys: scenarioDefaults.keys });
    expect(runs).toBe(2);
    expect(only).toEqual(['poll']);
    expect(() => scenarioFromArgs(['--cut', 'x'])).toThrow(/--cut/);
    expect(() => scenarioFromArgs(['--runs', '0'])).toThrow(/--runs/);
    expect(() => scenarioFromArgs(['--only', 'gossip'])).toThrow(/--only/);
  });

  it('sums up the runs of each pattern into one row of the table', () => {
    const run = (convergenceMs: number | undefined, finalDivergence: number): Outcome => ({
      convergenceMs, requests: 4, failed: 1, items: 10, bytes: 4096, cuts: 1, refused: 2, overtaken: 3, meanDivergence: 1.25, finalDivergence,
    });
    const rows = summarize(new Map(patterns.map((p) => [p, [run(1_000, 0), run(undefined, 3), run(3_000, 0)]])));
    expect(rows[0]).toMatchObject({ runs: 3, converged: 2, medianConvergenceMs: 1_000, requests: 4, finalDivergence: 3 });
    const table = formatTable(rows);
    for (const pattern of patterns) expect(table).toContain(pattern);
    expect(table).toContain('2/3');
    expect(table).toContain('1.00 s');
    expect(table).toContain('1/2/3');
  });
});
