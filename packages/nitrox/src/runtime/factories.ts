/**
 * Building the run-time objects of a loaded configuration through the plugins: each `sources:` entry a
 * mapping names becomes its plugin's source runtime, each `sinks:` entry its sink runtime, built once and
 * shared by every mapping that names it. The host gives each factory a context (scoped logger, the entry's
 * secrets, base directory, clock, shutdown signal) and knows nothing else about the adapter.
 */
import { ConfigError, type Clock, systemClock } from '@nitrox/core';
import type { OwnedLeaseLock, PluginContext, SinkRuntime, SourceRuntime } from '@nitrox/plugin';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/load-config.js';
import type { LeaderElectionConfig } from '../config/schema.js';
import { etcdLeaseLock } from './etcd-lease.js';

/** Builds the runtimes of a configuration (injectable so tests and the demo can supply their own). */
export interface AdapterFactories {
  source(name: string): SourceRuntime;
  sink(name: string): SinkRuntime;
}

/** Options of {@link createFactories}. */
export interface FactoryOptions {
  /** Time source given to the plugins. @defaultValue systemClock */
  readonly clock?: Clock;
  /** Aborted when the host shuts down. @defaultValue never */
  readonly signal?: AbortSignal;
}

/** The context a plugin's factory receives for the entry at `section.name`. */
export function pluginContext(config: ResolvedConfig, section: 'sources' | 'sinks', name: string, logger: Logger, options: FactoryOptions = {}): PluginContext {
  const path = `${section}.${name}`;
  return {
    name,
    path,
    logger: logger.child({ [section === 'sources' ? 'source' : 'sink']: name }),
    secrets: { get: (at) => config.secrets.get(`${path}.${at}`)?.reveal() },
    baseDir: config.baseDir,
    clock: options.clock ?? systemClock,
    signal: options.signal ?? new AbortController().signal,
  };
}

/**
 * Build the source and sink runtimes of every entry a mapping names, once each. Building does no network I/O; a
 * plugin may read local files its entry names (kubeconfig, CA), so a bad path fails at start-up with a ConfigError.
 */
export async function createFactories(config: ResolvedConfig, logger: Logger, options: FactoryOptions = {}): Promise<AdapterFactories> {
  const sources = new Map<string, SourceRuntime>();
  const sinks = new Map<string, SinkRuntime>();
  for (const name of new Set(config.mappings.map((m) => m.source))) {
    const entry = config.sources[name];
    if (!entry) throw new ConfigError(`sources.${name}`, 'expected a declared source');
    sources.set(name, (await entry.plugin.create(entry.options, pluginContext(config, 'sources', name, logger, options))) as SourceRuntime);
  }
  for (const name of new Set(config.mappings.map((m) => m.sink))) {
    const entry = config.sinks[name];
    if (!entry) throw new ConfigError(`sinks.${name}`, 'expected a declared sink');
    sinks.set(name, (await entry.plugin.create(entry.options, pluginContext(config, 'sinks', name, logger, options))) as SinkRuntime);
  }
  return {
    source(name) {
      const runtime = sources.get(name);
      if (!runtime) throw new ConfigError(`sources.${name}`, 'expected a source that a mapping names');
      return runtime;
    },
    sink(name) {
      const runtime = sinks.get(name);
      if (!runtime) throw new ConfigError(`sinks.${name}`, 'expected a sink that a mapping names');
      return runtime;
    },
  };
}

/**
 * Build the lease lock for `leaderElection`: in etcd (`type: etcd`), or from the plugin of the named source, over
 * its own connection.
 *
 * @throws {@link ConfigError} when the source's plugin offers no lease.
 */
export async function createLeaseLock(config: ResolvedConfig, le: LeaderElectionConfig, logger: Logger): Promise<OwnedLeaseLock> {
  if (le.type === 'etcd') return etcdLeaseLock(le);
  const source = le.source ?? '';
  const entry = config.sources[source];
  if (!entry?.plugin.leaseLock) throw new ConfigError('leaderElection.source', 'expected the name of a source whose plugin offers a lease');
  return entry.plugin.leaseLock(entry.options, pluginContext(config, 'sources', source, logger), { namespace: le.namespace, name: le.name });
}
