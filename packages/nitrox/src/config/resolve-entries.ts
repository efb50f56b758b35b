/**
 * The plugin stage of validation: each `sources:`/`sinks:` entry is parsed by its plugin's schema, each
 * mapping's adapter keys by the mapping schemas of its source's and sink's plugins (with the `defaults` the
 * plugin accepts merged in), and each plugin checks its mappings against its entry. Paths are exact: a value
 * that came from `defaults` is reported at `defaults.<key>`, one from a mapping at `mappings[i].<key>`.
 */
import { ConfigError } from '@nitrox/core';
import type { ObjectSchema, Plugin, SinkPlugin, SourcePlugin } from '@nitrox/plugin';
import type { PluginRegistry } from '../plugins/plugin-registry.js';
import { type ConfigIssue, issuesOf } from './config-issues.js';
import { hostMappingKeys, type NitroxConfigParsed } from './schema.js';

/** A validated entry and its plugin. */
export interface ResolvedEntry<P extends Plugin = Plugin> {
  /** Entry name. */
  readonly name: string;
  /** The entry's `type`. */
  readonly type: string;
  /** Its plugin. */
  readonly plugin: P;
  /** The entry parsed by the plugin's schema (defaults applied). */
  readonly options: Record<string, unknown>;
}

/** What the plugin stage produced. */
export interface ResolvedEntries {
  readonly sources: Record<string, ResolvedEntry<SourcePlugin>>;
  readonly sinks: Record<string, ResolvedEntry<SinkPlugin>>;
  /** Per mapping, its source and sink options (undefined where its entry is missing or invalid). */
  readonly mappingOptions: { source: Record<string, unknown> | undefined; sink: Record<string, unknown> | undefined }[];
  readonly issues: ConfigIssue[];
}

const hostKeys = new Set(Object.keys(hostMappingKeys));

function shapeKeys(schema: ObjectSchema): string[] {
  return Object.keys(schema.shape as Record<string, unknown>);
}

async function resolveSection<K extends 'source' | 'sink'>(
  kind: K,
  section: Record<string, { type: string } & Record<string, unknown>>,
  registry: PluginRegistry,
  baseDir: string,
  issues: ConfigIssue[],
): Promise<Record<string, ResolvedEntry<K extends 'source' ? SourcePlugin : SinkPlugin>>> {
  const out: Record<string, ResolvedEntry<Plugin>> = {};
  const sectionName = `${kind}s`;
  for (const [name, { type, ...rest }] of Object.entries(section)) {
    const where = `${sectionName}.${name}.type`;
    let plugin: Plugin | undefined;
    try {
      // A type no loaded plugin provides may name a package (`type: '@acme/nitrox-f5'`).
      plugin = (kind === 'source' ? await registry.get('source', type) : await registry.get('sink', type)) ?? (await registry.fromPackage(kind, type, baseDir, where));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push({ path: err.path, message: err.message.slice(err.path.length + 2) });
      continue;
    }
    if (!plugin) {
      issues.push({
        path: where,
        message: `expected a ${kind} type of a loaded plugin (${registry.types(kind).join(', ')}) or an installed plugin package, got "${type}" (name third-party packages in plugins: or as the type)`,
      });
      continue;
    }
    const parsed = plugin.schema.safeParse(rest);
    if (!parsed.success) {
      issues.push(...issuesOf(parsed.error.issues, [sectionName, name]));
      continue;
    }
    // Whatever a plugin's schema says, credentials never sit in a URL of the file (they are logged, shown, kept).
    const inline = urlsWithCredentials(rest, `${sectionName}.${name}`);
    if (inline.length > 0) {
      for (const path of inline) issues.push({ path, message: 'expected a URL without credentials: give them with a …From: { env } or { file } reference' });
      continue;
    }
    out[name] = { name, type, plugin, options: parsed.data as Record<string, unknown> };
  }
  return out as Record<string, ResolvedEntry<K extends 'source' ? SourcePlugin : SinkPlugin>>;
}

const credentialsInUrl = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*@/i;

/** Paths of every string under `value` that is a URL with a user or password in it. */
function urlsWithCredentials(value: unknown, path: string): string[] {
  if (typeof value === 'string') return credentialsInUrl.test(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => urlsWithCredentials(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => urlsWithCredentials(v, `${path}.${k}`));
  return [];
}

function pick(from: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
}

/** Parse a mapping's options for one plugin: mapping keys over the defaults the plugin accepts. */
function mappingOptionsFor(
  plugin: Plugin,
  mapping: Record<string, unknown>,
  defaults: Record<string, unknown>,
  index: number,
  issues: ConfigIssue[],
): Record<string, unknown> | undefined {
  const keys = shapeKeys(plugin.mapping);
  const own = pick(mapping, keys);
  const parsed = plugin.mapping.safeParse({ ...pick(defaults, keys), ...own });
  if (parsed.success) return parsed.data as Record<string, unknown>;
  for (const issue of parsed.error.issues) {
    const key = issue.path[0];
    const fromDefaults = typeof key === 'string' && !(key in own) && key in defaults;
    issues.push(...issuesOf([issue], fromDefaults ? ['defaults'] : ['mappings', index]));
  }
  return undefined;
}

/** Run the plugin stage over the host-validated configuration. */
export async function resolveEntries(config: NitroxConfigParsed, registry: PluginRegistry, baseDir: string): Promise<ResolvedEntries> {
  const issues: ConfigIssue[] = [];
  const sources = await resolveSection('source', config.sources, registry, baseDir, issues);
  const sinks = await resolveSection('sink', config.sinks, registry, baseDir, issues);
  const defaults = config.defaults as Record<string, unknown>;

  // A `defaults` key must belong to the host or to a plugin in use.
  const plugins = [...Object.values(sources), ...Object.values(sinks)].map((e) => e.plugin);
  const pluginKeys = new Set(plugins.flatMap((p) => shapeKeys(p.mapping)));
  for (const key of Object.keys(defaults)) {
    if (hostKeys.has(key) || pluginKeys.has(key)) continue;
    issues.push({ path: `defaults.${key}`, message: `unknown key "${key}": expected only debounce, maxWait, resync, allowEmpty or an option of a plugin in use (${[...pluginKeys].join(', ') || 'none'})` });
  }

  const mappingOptions = config.mappings.map((m, i) => {
    const source = sources[m.source];
    const sink = sinks[m.sink];
    if (!(m.source in config.sources)) issues.push({ path: `mappings[${i}].source`, message: `expected one of the sources (${Object.keys(config.sources).join(', ') || 'none declared'}), got "${m.source}"` });
    if (!(m.sink in config.sinks)) issues.push({ path: `mappings[${i}].sink`, message: `expected one of the sinks (${Object.keys(config.sinks).join(', ') || 'none declared'}), got "${m.sink}"` });
    const mapping = m as Record<string, unknown>;
    const sourceKeys = source ? shapeKeys(source.plugin.mapping) : [];
    const sinkKeys = sink ? shapeKeys(sink.plugin.mapping) : [];
    for (const key of Object.keys(mapping)) {
      if (hostKeys.has(key) || sourceKeys.includes(key) || sinkKeys.includes(key) || !source || !sink) continue;
      issues.push({
        path: `mappings[${i}].${key}`,
        message: `unknown key "${key}": a ${source.type} source takes ${sourceKeys.join(', ') || 'no mapping option'}, a ${sink.type} sink takes ${sinkKeys.join(', ') || 'no mapping option'}`,
      });
    }
    const sourceOptions = source ? mappingOptionsFor(source.plugin, mapping, defaults, i, issues) : undefined;
    const sinkOptions = sink ? mappingOptionsFor(sink.plugin, mapping, defaults, i, issues) : undefined;
    if (source && sourceOptions && source.plugin.checkMapping) {
      for (const issue of source.plugin.checkMapping(source.options, { app: m.app, options: sourceOptions })) {
        issues.push({ path: `mappings[${i}].${issue.key}`, message: issue.message });
      }
    }
    return { source: sourceOptions, sink: sinkOptions };
  });
  return { sources, sinks, mappingOptions, issues: dedupe(issues) };
}

/** An invalid `defaults` value is reported once, not once per mapping that inherits it. */
function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const id = `${i.path}\n${i.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
