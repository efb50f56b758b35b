/**
 * The comparison's rows: each pattern's outcomes over the runs (seeds) summed or averaged, and the text table the
 * example prints (and the docs publish).
 */
import type { Pattern } from './run.js';
import type { Outcome } from './scenario.js';

/** One row: a pattern over its runs. */
export interface Row {
  pattern: Pattern;
  runs: number;
  /** Runs that ended with the agent equal to the orchestrator. */
  converged: number;
  /** Median, over the runs that converged, of the time from the last change until the agent matched for good. */
  medianConvergenceMs: number | undefined;
  /** Per-run means of the traffic and of the proxies' faults. */
  requests: number;
  failed: number;
  items: number;
  bytes: number;
  cuts: number;
  refused: number;
  overtaken: number;
  /** Mean, over the runs, of the mean divergence while changes flowed. */
  meanDivergence: number;
  /** Keys left differing at the end, summed over the runs. */
  finalDivergence: number;
}

/** Summarise each pattern's outcomes. */
export function summarize(outcomes: ReadonlyMap<Pattern, readonly Outcome[]>): Row[] {
  return Array.from(outcomes, ([pattern, runs]) => {
    const mean = (f: (o: Outcome) => number): number => runs.reduce((s, o) => s + f(o), 0) / Math.max(1, runs.length);
    const times = runs
      .map((o) => o.convergenceMs)
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b);
    return {
      pattern,
      runs: runs.length,
      converged: times.length,
      medianConvergenceMs: times.length === 0 ? undefined : times[Math.floor((times.length - 1) / 2)],
      requests: mean((o) => o.requests),
      failed: mean((o) => o.failed),
      items: mean((o) => o.items),
      bytes: mean((o) => o.bytes),
      cuts: mean((o) => o.cuts),
      refused: mean((o) => o.refused),
      overtaken: mean((o) => o.overtaken),
      meanDivergence: mean((o) => o.meanDivergence),
      finalDivergence: runs.reduce((s, o) => s + o.finalDivergence, 0),
    };
  });
}

/** The rows as a text table (traffic and faults per run). */
export function formatTable(rows: readonly Row[]): string {
  const header = ['pattern', 'converged', 'median conv.', 'requests (failed)', 'items', 'bytes', 'cut/refused/reordered', 'mean diverg.', 'final diverg. Σ'];
  const n = (x: number): string => x.toFixed(0);
  const cells = rows.map((r) => [
    r.pattern,
    `${r.converged}/${r.runs}`,
    r.medianConvergenceMs === undefined ? 'never' : `${(r.medianConvergenceMs / 1000).toFixed(2)} s`,
    `${n(r.requests)} (${n(r.failed)})`,
    n(r.items),
    `${n(r.bytes / 1024)} KiB`,
    `${n(r.cuts)}/${n(r.refused)}/${n(r.overtaken)}`,
    r.meanDivergence.toFixed(1),
    String(r.finalDivergence),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (row: string[]): string =>
    row
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
