/**
 * The adapter factories of a loaded configuration: each `sources:` entry becomes its adapter's runtime
 * (kubernetes, marathon, swarm), each `sinks:` entry its sink runtime (netscaler), built once and shared by
 * every mapping that names it. Building does no network I/O; it may read local files the configuration names
 * (kubeconfig, CA), so that a bad path fails at start-up with a ConfigError naming the setting.
 */
import { ConfigError, type LeaseLock } from '@nitrox/core';
import type { Logger } from 'pino';
import type { AdapterFactories, SinkRuntime, SourceRuntime } from './adapters.js';
import type { LeaderElectionConfig, SourceConfig } from './config-schema.js';
import type { ResolvedConfig } from './load-config.js';

/**
 * Build the source and sink runtimes of every entry a mapping names, once each. Only the adapter packages the
 * configuration uses are loaded, so a Marathon-only setup never loads the Kubernetes client. Local files the
 * entries name (kubeconfig, CA) are read here, so a bad path fails at start-up with a ConfigError.
 */
export async function createFactories(config: ResolvedConfig, logger: Logger): Promise<AdapterFactories> {
  const sourceNames = new Set(config.mappings.map((m) => m.source));
  const sinkNames = new Set(config.mappings.map((m) => m.sink));
  const types = new Set([
    ...[...sourceNames].map((n) => config.sources[n]?.type),
    ...[...sinkNames].map((n) => config.sinks[n]?.type),
  ]);
  const kubernetesRuntime = types.has('kubernetes') ? (await import('./kubernetes-runtime.js')).kubernetesRuntime : undefined;
  const marathonRuntime = types.has('marathon') ? (await import('./marathon-runtime.js')).marathonRuntime : undefined;
  const swarmRuntime = types.has('swarm') ? (await import('./swarm-runtime.js')).swarmRuntime : undefined;
  const netscalerRuntime = types.has('netscaler') ? (await import('./netscaler-runtime.js')).netscalerRuntime : undefined;
  const buildSource = (name: string, entry: SourceConfig): SourceRuntime => {
    switch (entry.type) {
      case 'kubernetes':
        return (kubernetesRuntime as NonNullable<typeof kubernetesRuntime>)(name, entry, config.secrets, config.baseDir);
      case 'marathon':
        return (marathonRuntime as NonNullable<typeof marathonRuntime>)(name, entry, config.secrets, config.baseDir);
      case 'swarm':
        return (swarmRuntime as NonNullable<typeof swarmRuntime>)(name, entry);
    }
  };
  const sources = new Map<string, SourceRuntime>();
  for (const name of sourceNames) {
    const entry = config.sources[name];
    if (!entry) throw new ConfigError(`sources.${name}`, 'expected a declared source');
    sources.set(name, buildSource(name, entry));
  }
  const sinks = new Map<string, SinkRuntime>();
  for (const name of sinkNames) {
    const entry = config.sinks[name];
    if (!entry) throw new ConfigError(`sinks.${name}`, 'expected a declared sink');
    sinks.set(name, (netscalerRuntime as NonNullable<typeof netscalerRuntime>)(name, entry, config.secrets, logger, config.baseDir));
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

/** A Lease lock for leader election, and a way to release the connection it uses. */
export interface OwnedLeaseLock {
  /** The lock to elect over. */
  readonly lock: LeaseLock;
  /** Close the Kubernetes connection the lock uses; call after the runtime has stopped. */
  close(): Promise<void>;
}

/**
 * Build the Kubernetes Lease lock for `leaderElection`, over its own connection to the named source's cluster.
 *
 * @throws {@link ConfigError} when `leaderElection.source` does not name a kubernetes source.
 */
export async function createLeaseLock(config: ResolvedConfig, le: LeaderElectionConfig): Promise<OwnedLeaseLock> {
  const entry = config.sources[le.source];
  if (entry?.type !== 'kubernetes') throw new ConfigError('leaderElection.source', 'expected the name of a kubernetes source');
  const { kubeAccess } = await import('./kubernetes-runtime.js');
  const { KubeConnection, KubernetesLeaseLock } = await import('@nitrox/kubernetes');
  const access = kubeAccess(le.source, entry, config.secrets, config.baseDir);
  const connection = new KubeConnection({ kubeConfig: access.kubeConfig, ...(access.tokenFile ? { tokenFile: access.tokenFile } : {}) });
  return {
    lock: new KubernetesLeaseLock({ connection, namespace: le.namespace, name: le.name }),
    close: () => connection.close(),
  };
}
