/**
 * Runs every benchmark under bench/ one after another, each in its own Node process (so one cannot skew
 * another's heap or JIT), and writes bench/results/summary.json with each benchmark's JSON result.
 * Pass names to run a subset: `npm run bench -- diff work-queue`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });

const wanted = process.argv.slice(2);
const names = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

const summary: Record<string, unknown> = {};
let failed = 0;
for (const name of names) {
  console.log(`\n=== bench ${name}`);
  const result = spawnSync(process.execPath, ['--expose-gc', '--conditions=@nitrox/source', '--import', 'tsx', join(here, `${name}.ts`)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const file = join(resultsDir, `${name}.json`);
  if (result.status !== 0) {
    failed++;
    summary[name] = { error: `exited with ${result.status ?? result.signal}` };
  } else if (existsSync(file)) {
    summary[name] = JSON.parse(readFileSync(file, 'utf8'));
  }
}
summary.node = process.version;
summary.date = new Date().toISOString();
writeFileSync(join(resultsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`\nresults: ${join(resultsDir, 'summary.json')}`);
process.exit(failed === 0 ? 0 : 1);
