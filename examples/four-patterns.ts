/**
 * The four ways to hand desired state to an agent — command, delta, interrupt, poll — and Nitrox's default, run
 * on the real engine over real sockets, one after the other, each through the same kind of lossy, reordering TCP
 * proxy (examples/lossy-proxy.ts) with the same seeded stream of changes. The default is an unchanged
 * `HttpListWatch` + `Informer` + `Controller` against a `serveListWatch` server; the other four are built from
 * the core's `LatestValue`, `diff`, `debounce` and `Poller` (examples/four-patterns/). For each it prints the time
 * to converge after the last change, the requests made and failed, the items and bytes carried, the mean
 * divergence while changes flowed and the divergence left at the end.
 *
 * Run: `npx tsx --conditions=@nitrox/source examples/four-patterns.ts [--keys 200] [--active 5] [--every 20]
 * [--settle 5] [--latency 5-80] [--cut 0.03] [--refuse 0.1] [--seed 1] [--runs 3] [--only "nitrox default"] [--json]`
 * (seconds for --active and --settle, milliseconds for --every and --latency; run i uses seed + i).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { compare, type Pattern, patterns } from './four-patterns/run.js';
import { type Scenario, scenarioDefaults } from './four-patterns/scenario.js';
import { formatTable, summarize } from './four-patterns/summary.js';

/** The scenario of the command line. */
export function scenarioFromArgs(args: string[]): { scenario: Scenario; runs: number; only: Pattern[]; json: boolean } {
  const d = scenarioDefaults;
  const { values } = parseArgs({
    args,
    options: {
      keys: { type: 'string', default: String(d.keys) },
      active: { type: 'string', default: String(d.activeMs / 1000) },
      every: { type: 'string', default: String(d.changeEveryMs) },
      settle: { type: 'string', default: String(d.settleMs / 1000) },
      latency: { type: 'string', default: d.latencyMs.join('-') },
      cut: { type: 'string', default: String(d.cutChance) },
      refuse: { type: 'string', default: String(d.refuseChance) },
      seed: { type: 'string', default: String(d.seed) },
      runs: { type: 'string', default: '3' },
      only: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
  });
  const number = (flag: keyof typeof values, text: string): number => {
    const n = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag}: not a non-negative number: ${text}`);
    return n;
  };
  const [lo = '', hi = lo] = values.latency.split('-');
  const scenario: Scenario = {
    ...d,
    keys: number('keys', values.keys),
    activeMs: number('active', values.active) * 1000,
    changeEveryMs: number('every', values.every),
    settleMs: number('settle', values.settle) * 1000,
    latencyMs: [number('latency', lo), number('latency', hi)],
    cutChance: number('cut', values.cut),
    refuseChance: number('refuse', values.refuse),
    seed: number('seed', values.seed),
  };
  const only = (values.only ?? []).map((name) => {
    if (!patterns.includes(name as Pattern)) throw new Error(`--only: one of ${patterns.join(', ')}`);
    return name as Pattern;
  });
  const runs = number('runs', values.runs);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs: not a positive integer: ${values.runs}`);
  return { scenario, runs, only: only.length === 0 ? [...patterns] : only, json: values.json };
}

/** One line saying what was run. */
export function describeScenario(s: Scenario, runs: number): string {
  return (
    `${s.keys} keys, a change every ~${s.changeEveryMs} ms for ${s.activeMs / 1000} s, then up to ${s.settleMs / 1000} s to settle; ` +
    `proxy: ${s.latencyMs[0]}–${s.latencyMs[1]} ms per chunk, ${s.cutChance * 100}% of chunks cut their connection, ` +
    `${s.refuseChance * 100}% of connections refused; ${runs} run(s) from seed ${s.seed}`
  );
}

async function main(): Promise<void> {
  const { scenario, runs, only, json } = scenarioFromArgs(process.argv.slice(2));
  const outcomes = await compare(scenario, only, runs);
  const rows = summarize(outcomes);
  if (json) {
    console.log(JSON.stringify({ scenario, runs, rows, outcomes: Object.fromEntries(outcomes) }, null, 2));
    return;
  }
  console.log(`${describeScenario(scenario, runs)}\n(node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'})\n`);
  console.log(formatTable(rows));
  console.log('\nitems, bytes, requests and faults are per run; final divergence is summed over the runs.');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
