/**
 * The plugin as a user meets it: a configuration names the package in `plugins:` and uses `type: file` (or names
 * the package as the `type:`); the
 * `nitrox` host validates the entry with the plugin's schema, lists it, and keeps a pool file equal to a
 * Marathon app (the Marathon simulator) through scaling — with no line of host code knowing this plugin.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startMarathonSimulator } from '@nitrox/marathon/testing';
import { waitFor } from '@nitrox/core/testing';
import { createFactories, createLogger, loadConfig, main, NitroxMetrics, NitroxRuntime } from 'nitrox';
import { describe, expect, it } from 'vitest';

async function cli(args: string[]) {
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
  const code = await main(args, { stdout, stderr, env: {} });
  return { code, out, err };
}

async function configFile(lines: string[]): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'nitrox-file-plugin-'));
  await mkdir(join(dir, 'pools'));
  const file = join(dir, 'nitrox.yaml');
  await writeFile(file, lines.join('\n'));
  return { dir, file };
}

describe('nitrox-plugin-file-sink loaded by configuration', () => {
  it('is validated by its own schema and listed by nitrox plugins', async () => {
    const { file } = await configFile([
      'plugins: [nitrox-plugin-file-sink]',
      'sources: { mesos: { type: marathon, url: "http://127.0.0.1:1" } }',
      'sinks: { files: { type: file, directory: pools } }',
      'mappings: [{ source: mesos, app: /web, sink: files }]',
    ]);
    const ok = await cli(['validate', '-c', file]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('sinks files (file)');
    const plugins = await cli(['plugins', '-c', file]);
    expect(plugins.out).toContain('sink file (nitrox-plugin-file-sink, apiVersion 1)');
    expect(plugins.out).toContain('indent: number = 2');

    const bad = await configFile([
      'plugins: [nitrox-plugin-file-sink]',
      'sources: { mesos: { type: marathon, url: "http://127.0.0.1:1" } }',
      'sinks: { files: { type: file, directry: pools } }',
      'mappings: [{ source: mesos, app: /web, sink: files }]',
    ]);
    const refused = await cli(['validate', '-c', bad.file]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('sinks.files');
    expect(refused.err).toContain('unknown key "directry": expected only directory, indent');
    const without = await configFile([
      'sources: { mesos: { type: marathon, url: "http://127.0.0.1:1" } }',
      'sinks: { files: { type: file, directory: pools } }',
      'mappings: [{ source: mesos, app: /web, sink: files }]',
    ]);
    // The built-in sinks are listed, the example's type is not among them.
    expect((await cli(['validate', '-c', without.file])).err).toMatch(/sinks\.files\.type: expected a sink type of a loaded plugin \([^)]*\bnetscaler\b[^)]*\)/);
    const byType = await configFile([
      'sources: { mesos: { type: marathon, url: "http://127.0.0.1:1" } }',
      'sinks: { files: { type: nitrox-plugin-file-sink, directory: pools } }',
      'mappings: [{ source: mesos, app: /web, sink: files }]',
    ]);
    const typed = await cli(['validate', '-c', byType.file]);
    expect(typed.code).toBe(0);
    expect(typed.out).toContain('sinks files (nitrox-plugin-file-sink)');
    const wrongKind = await configFile([
      'sources: { mesos: { type: nitrox-plugin-file-sink } }',
      'sinks: { files: { type: file, directory: pools } }',
      'mappings: [{ source: mesos, app: /web, sink: files }]',
    ]);
    expect((await cli(['validate', '-c', wrongKind.file])).err).toContain('sources.mesos.type: expected package "nitrox-plugin-file-sink" to export one source plugin, it exports none');
  });

  it('keeps a pool file equal to a Marathon app through scaling', async () => {
    const sim = await startMarathonSimulator({ heartbeatMs: 0 });
    const { dir, file } = await configFile([
      'plugins: [nitrox-plugin-file-sink]',
      `sources: { mesos: { type: marathon, url: "${sim.url}", debounceMs: 20, maxWaitMs: 200, snapshotIntervalMs: 0 } }`,
      'sinks: { files: { type: file, directory: pools } }',
      'defaults: { debounce: 0, maxWait: 0 }',
      'mappings: [{ source: mesos, app: /web, sink: files, pool: web }]',
    ]);
    sim.apps.create({ id: '/web', instances: 2 });
    const config = await loadConfig(file);
    const logger = createLogger({ level: 'silent' });
    const runtime = new NitroxRuntime({ config, factories: await createFactories(config, logger), logger, metrics: new NitroxMetrics({ defaultMetrics: false }) });
    const members = async () => {
      const text = await readFile(join(dir, 'pools', 'web.json'), 'utf8').catch(() => '{"members":[]}');
      return (JSON.parse(text) as { members: unknown[] }).members.length;
    };
    runtime.start();
    try {
      await waitFor(async () => (await members()) === 2, { what: 'web.json with 2 members' });
      sim.apps.scale('/web', 3);
      await waitFor(async () => (await members()) === 3, { what: 'web.json with 3 members' });
    } finally {
      await runtime.stop();
      await sim.close();
    }
  });
});
