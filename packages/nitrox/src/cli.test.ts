import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { exitCodes } from './commands/cli-io.js';
import { version } from './version.js';

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await main(args, { stdout, stderr, env });
  return { code, out, err };
}

describe('main', () => {
  it('prints the version and the help', async () => {
    expect(await cli(['--version'])).toMatchObject({ code: 0, out: `nitrox ${version}\n` });
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: nitrox <command>');
  });

  it('answers usage errors with exit code 2', async () => {
    expect((await cli([])).code).toBe(exitCodes.usage);
    const unknown = await cli(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "deploy"');
    const badFlag = await cli(['run', '--confg', 'x']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.err).toContain('--confg');
    expect((await cli(['run', 'extra', '-c', 'x'])).err).toContain('unexpected argument "extra"');
    const level = await cli(['plan', '-c', 'x.yaml', '--log-level', 'loud']);
    expect(level.code).toBe(2);
    expect(level.err).toContain('--log-level: expected one of');
  });

  it('validates a configuration and summarizes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nitrox-cli-'));
    const file = join(dir, 'nitrox.yaml');
    await writeFile(
      file,
      [
        'sources: { mesos: { type: marathon, url: "http://marathon:8080" } }',
        'sinks: { adc: { type: netscaler, url: "https://10.0.0.1", username: nitrox, passwordFrom: { env: NS_PW } } }',
        'mappings: [{ source: mesos, app: /shop/web, sink: adc, pool: web, resync: 1m }]',
      ].join('\n'),
    );
    const ok = await cli(['validate', '-c', file], { NS_PW: 'secret-value' });
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('configuration ok: sources mesos (marathon); sinks adc (netscaler)');
    expect(ok.out).toContain('pool web');
    expect(ok.out).not.toContain('secret-value');
    const missing = await cli(['validate', '-c', file], {});
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('nitrox: invalid configuration: sinks.adc.passwordFrom.env: expected environment variable NS_PW to be set and non-empty\n');
  });

  it('lists the built-in plugins with their options and defaults', async () => {
    const { code, out } = await cli(['plugins']);
    expect(code).toBe(0);
    for (const line of [
      'source kubernetes (@nitrox/kubernetes, apiVersion 1)',
      'source marathon (@nitrox/marathon, apiVersion 1)',
      'source swarm (@nitrox/swarm, apiVersion 1)',
      'sink netscaler (@nitrox/netscaler, apiVersion 1)',
      'endpointsApi: "endpointslices" | "endpoints" = "endpointslices"',
      'tokenFrom: secret ({ env } | { file })',
      'select.labels: map of string | true',
      'mode: "nodeport" | "pod" = "nodeport"',
      'maxConcurrent: number = 4',
    ]) {
      expect(out).toContain(line);
    }
  });
});
