import { describe, expect, it } from 'vitest';
import { compare, simulate } from './four-patterns.js';

const base = { keys: 100, activeMs: 10_000, changeEveryMs: 20, settleMs: 40_000, loss: 0.05, latencyMs: [5, 80] as const };

describe('four ways to transfer desired state', () => {
  const rows = Object.fromEntries(compare(base, 4).map((r) => [r.pattern, r]));

  it('the combined default converges in every run, with nothing left over', () => {
    expect(rows['nitrox default']?.converged).toBe(4);
    expect(rows['nitrox default']?.finalDivergence).toBe(0);
  });

  it('bare deltas diverge for good under loss', () => {
    expect(rows.delta?.finalDivergence).toBeGreaterThan(0);
  });

  it('the default carries far fewer items than sending the whole state on every change', () => {
    expect(rows['nitrox default']?.items).toBeLessThan((rows.command?.items ?? 0) / 10);
  });

  it('the default diverges less while changes flow than polling or interrupts', () => {
    const d = rows['nitrox default']?.meanDivergence ?? Number.POSITIVE_INFINITY;
    expect(d).toBeLessThan(rows.poll?.meanDivergence ?? 0);
    expect(d).toBeLessThan(rows.interrupt?.meanDivergence ?? 0);
  });

  it('is deterministic for a seed', () => {
    expect(simulate('interrupt', { ...base, seed: 7 })).toEqual(simulate('interrupt', { ...base, seed: 7 }));
  });

  it('with a perfect network every pattern ends converged', () => {
    for (const row of compare({ ...base, loss: 0, latencyMs: [10, 10] }, 1)) {
      expect(row.finalDivergence, row.pattern).toBe(0);
    }
  });
});
