/**
 * Loading the configuration: read the file, parse YAML or JSON, validate with the zod schema, apply the
 * `defaults` section and the built-in defaults to every mapping, and read the secrets it references. Every
 * failure is a `ConfigError` whose `path` names the offending setting (`mappings[1].port`,
 * `sinks.adc.passwordFrom.env`) and whose message says what was expected.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { ConfigError } from '@nitrox/core';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import {
  defaultMappingName,
  defaultPoolName,
  type LeaderElectionConfig,
  type NitroxConfigParsed,
  nitroxConfig,
  type SinkConfig,
  type SourceConfig,
} from './config-schema.js';
import { resolveSecret, type Secret, type SecretEnvironment } from './secret.js';

/** Built-in mapping defaults, used where neither the mapping nor the `defaults` section says otherwise. */
export const mappingDefaults = {
  /** Node address : nodePort of nodes running a ready pod — what the original Nitrox did. */
  mode: 'nodeport',
  /** The servicegroup type the original Nitrox created. */
  servicegroupType: 'HTTP',
  /** Long enough to fold a rolling update's burst of endpoint changes into one apply, short enough to feel instant. */
  debounceMs: 100,
  /** Under constant churn, still apply at least once a second. */
  maxWaitMs: 1_000,
  /** Repairs hand-made drift within five minutes without loading the NetScaler. */
  resyncMs: 300_000,
  /** An empty desired set is more often a broken source than a real intent: hold the pool unless told otherwise. */
  allowEmpty: false,
} as const;

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
  /** Pool (servicegroup) name in the sink. */
  readonly pool: string;
  /** Virtual server to bind the pool to, if any. */
  readonly lbvserver: string | undefined;
  /** Service port name or number (default: the first port). */
  readonly port: number | string | undefined;
  /** Kubernetes address mode. */
  readonly mode: 'nodeport' | 'pod';
  /** Servicegroup type. */
  readonly servicegroupType: string;
  /** Debounce window. */
  readonly debounceMs: number;
  /** Maximum wait under constant churn. */
  readonly maxWaitMs: number;
  /** Resync period (0 = off). */
  readonly resyncMs: number;
  /** Whether an empty desired set may empty the pool. */
  readonly allowEmpty: boolean;
}

/** The loaded configuration: validated, defaulted, with secrets read. */
export interface ResolvedConfig {
  /** Log level. */
  readonly logLevel: NitroxConfigParsed['log']['level'];
  /** `host:port` of the metrics/health listener. */
  readonly listen: string;
  /** Source entries by name. */
  readonly sources: Readonly<Record<string, SourceConfig>>;
  /** Sink entries by name. */
  readonly sinks: Readonly<Record<string, SinkConfig>>;
  /** Secrets by configuration path (e.g. `sinks.adc.passwordFrom`). */
  readonly secrets: ReadonlyMap<string, Secret>;
  /** Mappings, resolved. */
  readonly mappings: readonly ResolvedMapping[];
  /** Leader election, when configured. */
  readonly leaderElection: LeaderElectionConfig | undefined;
  /** Directory of the configuration file (relative paths are resolved against it). */
  readonly baseDir: string;
}

/** Render a zod issue path as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Turn zod issues into one ConfigError naming the first offending path (all of them in the message). */
export function configErrorFromIssues(issues: readonly z.core.$ZodIssue[]): ConfigError {
  const lines = issues.map((issue) => {
    const path = formatPath(issue.path);
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const first = issues[0];
  const path = first ? formatPath(first.path) : '';
  const firstMessage = first?.message ?? 'invalid configuration';
  const more = lines.length > 1 ? `\n${lines.slice(1).map((l) => `  ${l}`).join('\n')}` : '';
  return new ConfigError(path, `${firstMessage}${more}`);
}

/**
 * Validate an already-parsed document and resolve it (defaults, secrets).
 *
 * @throws ConfigError naming the first offending path.
 */
export async function resolveConfig(document: unknown, environment: SecretEnvironment = {}): Promise<ResolvedConfig> {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError('', 'expected the configuration to be a mapping with sources, sinks and mappings');
  }
  const parsed = nitroxConfig.safeParse(document);
  if (!parsed.success) throw configErrorFromIssues(parsed.error.issues);
  const config = parsed.data;
  const d = config.defaults;

  const secrets = new Map<string, Secret>();
  const read = async (ref: Parameters<typeof resolveSecret>[0] | undefined, path: string) => {
    if (ref) secrets.set(path, await resolveSecret(ref, path, environment));
  };
  for (const [name, source] of Object.entries(config.sources)) {
    if (source.type === 'kubernetes') await read(source.tokenFrom, `sources.${name}.tokenFrom`);
    if (source.type === 'marathon') await read(source.passwordFrom, `sources.${name}.passwordFrom`);
  }
  for (const [name, sink] of Object.entries(config.sinks)) {
    await read(sink.usernameFrom, `sinks.${name}.usernameFrom`);
    await read(sink.passwordFrom, `sinks.${name}.passwordFrom`);
    if (sink.username === undefined && sink.usernameFrom === undefined) {
      throw new ConfigError(`sinks.${name}.username`, 'expected a username (or usernameFrom: { env } | { file })');
    }
  }

  const mappings = config.mappings.map((m): ResolvedMapping => ({
    name: m.name ?? defaultMappingName(m),
    source: m.source,
    app: m.app,
    sink: m.sink,
    pool: m.pool ?? defaultPoolName(m.app),
    lbvserver: m.lbvserver,
    port: m.port,
    mode: m.mode ?? d.mode ?? mappingDefaults.mode,
    servicegroupType: m.servicegroupType ?? d.servicegroupType ?? mappingDefaults.servicegroupType,
    debounceMs: m.debounce ?? d.debounce ?? mappingDefaults.debounceMs,
    maxWaitMs: m.maxWait ?? d.maxWait ?? mappingDefaults.maxWaitMs,
    resyncMs: m.resync ?? d.resync ?? mappingDefaults.resyncMs,
    allowEmpty: m.allowEmpty ?? d.allowEmpty ?? mappingDefaults.allowEmpty,
  }));
  mappings.forEach((m, i) => {
    if (m.maxWaitMs > 0 && m.maxWaitMs < m.debounceMs) {
      throw new ConfigError(`mappings[${i}].maxWait`, `expected at least the debounce (${m.debounceMs} ms), got ${m.maxWaitMs} ms`);
    }
  });

  return {
    logLevel: config.log.level,
    listen: config.http.listen,
    sources: config.sources,
    sinks: config.sinks,
    secrets,
    mappings,
    leaderElection: config.leaderElection,
    baseDir: environment.baseDir ?? process.cwd(),
  };
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
export async function loadConfig(file: string, environment: Omit<SecretEnvironment, 'baseDir'> = {}): Promise<ResolvedConfig> {
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
