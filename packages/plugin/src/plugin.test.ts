import { ConfigError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkPlugin, defineSinkPlugin, defineSourcePlugin, pluginApiVersion } from './plugin.js';
import { entrySchema } from './schema.js';

const sink = defineSinkPlugin({
  type: 'acme',
  description: 'an example',
  schema: entrySchema({ url: z.string() }),
  mapping: entrySchema({}),
  create: () => ({ name: 'x', pool: () => ({ observe: async () => undefined, apply: async () => ({ added: 0, updated: 0, removed: 0, writes: 0 }) }), requests: () => ({ ok: 0, error: 0 }), close: async () => {} }),
});

describe('plugin contract', () => {
  it('records the contract version and kind a plugin is built against', () => {
    expect(sink).toMatchObject({ apiVersion: pluginApiVersion, kind: 'sink', type: 'acme' });
    const source = defineSourcePlugin({ ...sink, create: () => Promise.reject(new Error('unused')) });
    expect(source.kind).toBe('source');
  });

  it('accepts a plugin of this apiVersion and refuses another major, naming where it came from', () => {
    expect(checkPlugin(sink, 'plugins[0]')).toBe(sink);
    const old = { ...sink, apiVersion: pluginApiVersion + 1 };
    expect(() => checkPlugin(old, 'plugins[0]')).toThrow(ConfigError);
    expect(() => checkPlugin(old, 'plugins[0]')).toThrow(/plugins\[0\]: expected a plugin for apiVersion 1, got apiVersion 2/);
  });

  it('refuses objects that break the shape of the contract', () => {
    expect(() => checkPlugin(undefined, 'x')).toThrow(/expected a plugin object/);
    expect(() => checkPlugin({ ...sink, kind: 'filter' }, 'x')).toThrow(/expected kind "source" or "sink"/);
    expect(() => checkPlugin({ ...sink, type: 'Bad Type' }, 'x')).toThrow(/expected a type of lowercase/);
    expect(() => checkPlugin({ ...sink, schema: {} }, 'x')).toThrow(/zod object schemas/);
    expect(() => checkPlugin({ ...sink, create: undefined }, 'x')).toThrow(/create\(entry, context\)/);
  });
});
