/**
 * The four-patterns comparison (examples/four-patterns.ts: command, delta, interrupt, poll and Nitrox's default
 * on the real engine, over real sockets through lossy, reordering TCP proxies) as a benchmark: it prints the table
 * and writes every run's outcome to bench/results/four-patterns.json. `npm run bench -- four-patterns` runs the
 * example's defaults (3 runs, ~2 minutes); `npx tsx --conditions=@nitrox/source bench/four-patterns.ts --runs 10`
 * takes the example's flags (the table README.md and docs/concepts.md publish is `--runs 10`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeScenario, scenarioFromArgs } from '../examples/four-patterns.js';
import { compare } from '../examples/four-patterns/run.js';
import { formatTable, summarize } from '../examples/four-patterns/summary.js';

const { scenario, runs, only } = scenarioFromArgs(process.argv.slice(2));
const outcomes = await compare(scenario, only, runs);
const rows = summarize(outcomes);
console.log(`${describeScenario(scenario, runs)}\n`);
console.log(formatTable(rows));
const result = { scenario, runs, rows, outcomes: Object.fromEntries(outcomes), node: process.version, cpus: cpus().length };
const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'four-patterns.json'), `${JSON.stringify(result, null, 2)}\n`);
