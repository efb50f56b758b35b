/**
 * Loading the configuration: read the file, parse YAML or JSON, validate the host's part with its zod schema,
 * load the plugins it names, let each entry's plugin validate the entry and the mappings' adapter keys, apply
 * the `defaults` section and the built-in defaults, and read every secret the entries reference. Every failure
 * is a `ConfigError` whose `path` names the offending setting (`mappings[1].port`, `defaults.maxWait`,
 * `sinks.adc.passwordFrom.env`) and whose message says what was expected.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { ConfigError } from '@nitrox/core';
import { secretRefsOf, type SinkPlugin, type SourcePlugin } from '@nitrox/plugin';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { PluginRegistry } from '../plugins/plugin-registry.js';
import { type ConfigIssue, configErrorOf, issuesOf } from './config-issues.js';
import { type ResolvedEntry, resolveEntries } from './resolve-entries.js';
import { defaultMappingName, defaultPoolName, type LeaderElectionConfig, mappingDefaults, type NitroxConfigParsed, nitroxConfig } from './schema.js';

export { mappingDefaults };
import { resolveSecret, type Secret, type SecretEnvironment } from './secret.js';

/** A mapping with every option resolved. */
export interface ResolvedMapping {
  /** Name used in logs and metric labels. */
  readonly name: string;
  /** Source entry name. */
  readonly source: string;
  /** Application key in the source. */
  readonly app: string;
  /** Sink entry name. */
  readonly sink: string;
  /** Pool name in the sink. */
  readonly pool: string;
  /** Debounce window. */
  readonly debounceMs: number;
  /** Maximum wait under constant churn. */
  readonly maxWaitMs: number;
  /** Resync period (0 = off). */
  readonly resyncMs: number;
  /** Whether an empty desired set may empty the pool. */
  readonly allowEmpty: boolean;
  /** The mapping's options for its source's plugin (its mapping schema's output). */
  readonly sourceOptions: Record<string, unknown>;
  /** The mapping's options for its sink's plugin. */
  readonly sinkOptions: Record<string, unknown>;
}

/** The loaded configuration: validated, defaulted, with secrets read. */
export interface ResolvedConfig {
  /** Log level. */
  readonly logLevel: NitroxConfigParsed['log']['level'];
  /** `host:port` of the metrics/health listener. */
  readonly listen: string;
  /** `/readyz` turns false when a source has been out of contact longer than this. */
  readonly sourceGraceMs: number;
  /** The plugins known to this configuration (built-ins and `plugins:`). */
  readonly plugins: PluginRegistry;
  /** Source entries by name, parsed by their plugins. */
  readonly sources: Readonly<Record<string, ResolvedEntry<SourcePlugin>>>;
  /** Sink entries by name, parsed by their plugins. */
  readonly sinks: Readonly<Record<string, ResolvedEntry<SinkPlugin>>>;
  /** Secrets by configuration path (e.g. `sinks.adc.passwordFrom`). */
  readonly secrets: ReadonlyMap<string, Secret>;
  /** Mappings, resolved. */
  readonly mappings: readonly ResolvedMapping[];
  /** Leader election, when configured. */
  readonly leaderElection: LeaderElectionConfig | undefined;
  /** Directory of the configuration file (relative paths are resolved against it). */
  readonly baseDir: string;
}

/** Where a value of a mapping came from: the mapping, `defaults`, or the built-in default. */
function origin(mapping: Record<string, unknown>, defaults: Record<string, unknown>, key: string, index: number): string | undefined {
  if (mapping[key] !== undefined) return `mappings[${index}].${key}`;
  if (defaults[key] !== undefined) return `defaults.${key}`;
  return undefined;
}

/** Host checks across mappings: unique pools and names, maxWait ≥ debounce (reported where each value was set). */
function checkMappings(config: NitroxConfigParsed, mappings: readonly ResolvedMapping[], issues: ConfigIssue[]): void {
  const pools = new Map<string, number>();
  const names = new Map<string, number>();
  mappings.forEach((m, i) => {
    const poolKey = `${m.sink}/${m.pool}`;
    const first = pools.get(poolKey);
    if (first !== undefined) issues.push({ path: `mappings[${i}].pool`, message: `expected a pool no other mapping owns: mappings[${first}] already feeds ${poolKey}` });
    else pools.set(poolKey, i);
    if (names.has(m.name)) issues.push({ path: `mappings[${i}].name`, message: `expected a unique mapping name, "${m.name}" is used twice` });
    names.set(m.name, i);
    if (m.maxWaitMs > 0 && m.maxWaitMs < m.debounceMs) {
      const raw = config.mappings[i] as Record<string, unknown>;
      const defaults = config.defaults as Record<string, unknown>;
      const path = origin(raw, defaults, 'maxWait', i) ?? origin(raw, defaults, 'debounce', i) ?? `mappings[${i}].maxWait`;
      issues.push({ path, message: `expected maxWait at least the debounce (${m.debounceMs} ms), got ${m.maxWaitMs} ms` });
    }
  });
}

/** Options of {@link resolveConfig}. */
export interface ResolveOptions extends SecretEnvironment {
  /** Plugins to start from. @defaultValue the built-in plugins */
  registry?: PluginRegistry;
}

/**
 * Validate an already-parsed document and resolve it (plugins, defaults, secrets).
 *
 * @throws ConfigError naming the first offending path (all of them in the message).
 */
export async function resolveConfig(document: unknown, options: ResolveOptions = {}): Promise<ResolvedConfig> {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError('', 'expected the configuration to be a mapping with sources, sinks and mappings');
  }
  const parsed = nitroxConfig.safeParse(document);
  if (!parsed.success) throw configErrorOf(issuesOf(parsed.error.issues));
  const config = parsed.data;
  const baseDir = options.baseDir ?? process.cwd();
  const registry = options.registry ?? new PluginRegistry();
  for (const [i, spec] of config.plugins.entries()) await registry.load(spec, baseDir, `plugins[${i}]`);

  const entries = await resolveEntries(config, registry, baseDir);
  const issues = [...entries.issues];
  const d = config.defaults;
  const mappings = config.mappings.map((m, i): ResolvedMapping => ({
    name: m.name ?? defaultMappingName(m),
    source: m.source,
    app: m.app,
    sink: m.sink,
    pool: m.pool ?? defaultPoolName(m.app),
    debounceMs: m.debounce ?? d.debounce ?? mappingDefaults.debounceMs,
    maxWaitMs: m.maxWait ?? d.maxWait ?? mappingDefaults.maxWaitMs,
    resyncMs: m.resync ?? d.resync ?? mappingDefaults.resyncMs,
    allowEmpty: m.allowEmpty ?? d.allowEmpty ?? mappingDefaults.allowEmpty,
    sourceOptions: entries.mappingOptions[i]?.source ?? {},
    sinkOptions: entries.mappingOptions[i]?.sink ?? {},
  }));
  checkMappings(config, mappings, issues);
  const le = config.leaderElection;
  if (le?.type === 'source') {
    const source = entries.sources[le.source ?? ''];
    if (!source?.plugin.leaseLock) {
      issues.push({ path: 'leaderElection.source', message: `expected the name of a source whose plugin offers a lease (${await leaseTypes(registry)}), got "${le.source}"` });
    }
  }
  if (issues.length > 0) throw configErrorOf(issues);

  const secrets = new Map<string, Secret>();
  for (const [section, resolved] of [['sources', entries.sources], ['sinks', entries.sinks]] as const) {
    for (const [name, entry] of Object.entries(resolved)) {
      for (const [at, ref] of secretRefsOf(entry.options)) {
        const path = `${section}.${name}.${at}`;
        secrets.set(path, await resolveSecret(ref, path, { ...options, baseDir }));
      }
    }
  }
  checkEntries(entries.sources, secrets, baseDir);
  return {
    logLevel: config.log.level,
    listen: config.http.listen,
    sourceGraceMs: config.readiness.sourceGrace,
    plugins: registry,
    sources: entries.sources,
    sinks: entries.sinks,
    secrets,
    mappings,
    leaderElection: le,
    baseDir,
  };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Run the plugins' own checks of their entries against this machine (files they read), after the secrets. */
function checkEntries(sources: Readonly<Record<string, ResolvedEntry<SourcePlugin>>>, secrets: ReadonlyMap<string, Secret>, baseDir: string): void {
  const issues: ConfigIssue[] = [];
  for (const [name, entry] of Object.entries(sources)) {
    if (!entry.plugin.checkEntry) continue;
    const path = `sources.${name}`;
    try {
      entry.plugin.checkEntry(entry.options, { name, path, logger: quiet, baseDir, secrets: { get: (at) => secrets.get(`${path}.${at}`)?.reveal() } });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push({ path: err.path, message: err.message.slice(err.path.length + 2) });
    }
  }
  if (issues.length > 0) throw configErrorOf(issues);
}

async function leaseTypes(registry: PluginRegistry): Promise<string> {
  const types: string[] = [];
  for (const type of registry.types('source')) if ((await registry.get('source', type))?.leaseLock) types.push(type);
  return types.join(', ') || 'none loaded';
}

/** Parse configuration text: JSON when `format` is json (or the text starts with `{`), YAML otherwise. */
export function parseConfigText(text: string, format: 'json' | 'yaml' | 'auto' = 'auto'): unknown {
  const json = format === 'json' || (format === 'auto' && text.trimStart().startsWith('{'));
  try {
    return json ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (cause) {
    if (cause instanceof YAMLParseError) {
      const pos = cause.linePos?.[0];
      throw new ConfigError('', `expected valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}: ${cause.message.split('\n')[0]}`);
    }
    throw new ConfigError('', `expected valid JSON: ${(cause as Error).message}`);
  }
}

/**
 * Load a configuration file (YAML, or JSON by `.json` extension), validate it and read its secrets.
 * Relative secret file paths resolve against the file's directory.
 *
 * @throws ConfigError naming the offending path.
 */
export async function loadConfig(file: string, environment: Omit<ResolveOptions, 'baseDir'> = {}): Promise<ResolvedConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('', `expected a readable configuration file at ${path} (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  const ext = extname(path).toLowerCase();
  const document = parseConfigText(text, ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : 'auto');
  return resolveConfig(document, { ...environment, baseDir: dirname(path) });
}
