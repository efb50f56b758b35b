/**
 * The `nitrox` command as npm links it (`bin/nitrox.js`): in a clone with no build it runs the source, passing the
 * arguments and the exit code through, and `npm ci` links it as `node_modules/.bin/nitrox` so `npx nitrox` works.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '..', '..');
const bin = join(pkg, 'bin', 'nitrox.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('the nitrox bin entry', () => {
  it('is linked by npm as node_modules/.bin/nitrox', () => {
    const link = join(root, 'node_modules', '.bin', 'nitrox');
    expect(existsSync(link)).toBe(true);
    expect(realpathSync(link)).toBe(realpathSync(bin));
  });

  it('runs the command (the source when there is no build) and passes arguments and exit codes through', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nitrox <command>/);
    const missing = run('validate', '--config', join(root, 'no-such-file.yaml'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no-such-file.yaml');
  }, 90_000);
});
