#!/usr/bin/env node
// Checks every built package as a consumer would see it: publint (package.json and files) and
// @arethetypeswrong/cli (types resolve under ESM and CJS). Run after `npm run build`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

let failed = false;
for (const dir of readdirSync('packages')) {
  const cwd = `packages/${dir}`;
  for (const [cmd, args] of [
    ['publint', ['--strict']],
    ['attw', ['--pack', '.', '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm']],
  ]) {
    const r = spawnSync('npx', ['--no-install', cmd, ...args], { cwd, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`lint: ${cmd} failed for ${cwd}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
