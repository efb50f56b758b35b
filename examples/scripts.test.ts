import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tsx = (script: string) =>
  run(process.execPath, ['--conditions=@nitrox/source', '--import', 'tsx', script], { cwd: __dirname, timeout: 60_000 });

describe('example scripts run as a user runs them', () => {
  it('quick-start (the README example) reconciles', async () => {
    const { stdout } = await tsx('quick-start.ts');
    expect(stdout).toContain('web → 3 replicas');
  });

  it('the README shows the same code as quick-start.ts', () => {
    const readme = readFileSync(`${__dirname}/../README.md`, 'utf8');
    const source = readFileSync(`${__dirname}/quick-start.ts`, 'utf8');
    const body = source.slice(source.indexOf("import { Controller"), source.indexOf('\n// Not in the README')).trim();
    expect(readme).toContain(body);
  });

  it('core-converge converges through bursts, drift and deletion', async () => {
    const { stdout } = await tsx('core-converge.ts');
    for (const step of ['initial pools', 'burst', 'drift repaired', 'deletion']) expect(stdout).toContain(`✔ ${step}`);
    expect(stdout).toMatch(/done: \d+ reconciles/);
  });

  it('kubernetes-to-netscaler runs between the two simulators when no appliance is named', async () => {
    const { stdout } = await tsx('kubernetes-to-netscaler.ts');
    expect(stdout).toMatch(/default\/web: 3 members/);
  });
});
