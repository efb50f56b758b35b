import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@nitrox/core';
import { pluginApiVersion } from '@nitrox/plugin';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load-config.js';
import { builtinPlugins } from './builtin-plugins.js';
import { PluginRegistry } from './plugin-registry.js';

const base = {
  sources: { mesos: { type: 'marathon', url: 'http://127.0.0.1:1' } },
  sinks: { adc: { type: 'netscaler', url: 'http://127.0.0.1:1', username: 'u', passwordFrom: { env: 'P' } } },
  mappings: [{ source: 'mesos', app: '/web', sink: 'adc' }],
};

async function failure(doc: unknown, baseDir?: string): Promise<ConfigError> {
  const err = await resolveConfig(doc, { env: { P: 'p' }, ...(baseDir ? { baseDir } : {}) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

/** A plugin module written to disk, as a package author would ship it (plain ESM, no dependency). */
async function pluginFile(source: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nitrox-plugin-'));
  await writeFile(join(dir, 'plugin.mjs'), source);
  return dir;
}

const minimalSink = (apiVersion: number, type: string) => `
const schema = { safeParse: (v) => ({ success: true, data: v }), shape: {} };
export default { apiVersion: ${apiVersion}, kind: 'sink', type: '${type}', description: 'test', schema, mapping: schema,
  create: () => { throw new Error('unused'); } };
`;

describe('plugin registry', () => {
  it('registers the built-in plugins under their types and loads them on demand', async () => {
    const registry = new PluginRegistry();
    expect(registry.types('source')).toEqual(['kubernetes', 'marathon', 'swarm']);
    expect(registry.types('sink')).toEqual(['haproxy', 'netscaler']);
    const all = await registry.all();
    expect(all.map((p) => `${p.plugin.kind}:${p.plugin.type}`)).toEqual(builtinPlugins.map((b) => `${b.kind}:${b.type}`).sort());
    for (const { plugin } of all) expect(plugin.apiVersion).toBe(pluginApiVersion);
  });

  it('names a plugin package that is not installed', async () => {
    const err = await failure({ ...base, plugins: ['@acme/nitrox-f5-not-installed'] });
    expect(err.path).toBe('plugins[0]');
    expect(err.message).toContain('expected an installed plugin package "@acme/nitrox-f5-not-installed"');
  });

  it('loads a plugin from a path relative to the configuration and refuses another apiVersion', async () => {
    const dir = await pluginFile(minimalSink(pluginApiVersion, 'acme'));
    const config = await resolveConfig(
      { ...base, plugins: ['./plugin.mjs'], sinks: { ...base.sinks, other: { type: 'acme', anything: 1 } } },
      { env: { P: 'p' }, baseDir: dir },
    );
    expect(config.sinks.other?.plugin.type).toBe('acme');
    const old = await pluginFile(minimalSink(pluginApiVersion + 1, 'acme'));
    const err = await failure({ ...base, plugins: ['./plugin.mjs'] }, old);
    expect(err.path).toBe('plugins[0]');
    expect(err.message).toContain(`expected a plugin for apiVersion ${pluginApiVersion}, got apiVersion ${pluginApiVersion + 1}`);
  });

  it('refuses a plugin that would replace a built-in type', async () => {
    const dir = await pluginFile(minimalSink(pluginApiVersion, 'netscaler'));
    const err = await failure({ ...base, plugins: ['./plugin.mjs'] }, dir);
    expect(err.message).toContain('"netscaler" is already provided by @nitrox/netscaler');
  });
});
