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
 * Build (lazily, once per entry) the source and sink runtimes of `config`. Only the adapter packages the
 * configuration uses are loaded, so a Marathon-only setup never loads the Kubernetes client.
 */
export async function createFactories(config: ResolvedConfig, logger: Logger): Promise<AdapterFactories> {
  const types = new Set([...Object.values(config.sources), ...Object.values(config.sinks)].map((e) => e.type));
  const kubernetesRuntime = types.has('kubernetes') ? (await import('./kubernetes-runtime.js')).kubernetesRuntime : undefined;
  const marathonRuntime = types.has('marathon') ? (await import('./marathon-runtime.js')).marathonRuntime : undefined;
  const swarmRuntime = types.has('swarm') ? (await import('./swarm-runtime.js')).swarmRuntime : undefined;
  const netscalerRuntime = types.has('netscaler') ? (await import('./netscaler-runtime.js')).netscalerRuntime : undefined;
  const sources = new Map<string, SourceRuntime>();
  const sinks = new Map<string, SinkRuntime>();
  const index = (m: { name: string }) => config.mappings.findIndex((x) => x.name === m.name);
  const buildSource = (name: string, entry: SourceConfig): SourceRuntime => {
    switch (entry.type) {
      case 'kubernetes':
        return (kubernetesRuntime as NonNullable<typeof kubernetesRuntime>)(name, entry, config.secrets, config.baseDir, index);
      case 'marathon':
        return (marathonRuntime as NonNullable<typeof marathonRuntime>)(name, entry, config.secrets, config.baseDir);
      case 'swarm':
        return (swarmRuntime as NonNullable<typeof swarmRuntime>)(name, entry);
    }
  };
  return {
    source(name) {
      const existing = sources.get(name);
      if (existing) return existing;
      const entry = config.sources[name];
      if (!entry) throw new ConfigError(`sources.${name}`, 'expected a declared source');
      const runtime = buildSource(name, entry);
      sources.set(name, runtime);
      return runtime;
    },
    sink(name) {
      let runtime = sinks.get(name);
      if (runtime) return runtime;
      const entry = config.sinks[name];
      if (!entry) throw new ConfigError(`sinks.${name}`, 'expected a declared sink');
      runtime = (netscalerRuntime as NonNullable<typeof netscalerRuntime>)(name, entry, config.secrets, logger, config.baseDir);
      sinks.set(name, runtime);
      return runtime;
    },
  };
}

/**
 * The Kubernetes Lease lock for `leaderElection`, on the cluster of the named kubernetes source (same
 * credentials, its own connection).
 */
export async function createLeaseLock(config: ResolvedConfig, le: LeaderElectionConfig): Promise<LeaseLock> {
  const entry = config.sources[le.source];
  if (entry?.type !== 'kubernetes') throw new ConfigError('leaderElection.source', 'expected the name of a kubernetes source');
  const { kubeAccess } = await import('./kubernetes-runtime.js');
  const { KubeConnection, KubernetesLeaseLock } = await import('@nitrox/kubernetes');
  const access = kubeAccess(le.source, entry, config.secrets, config.baseDir);
  const connection = new KubeConnection({ kubeConfig: access.kubeConfig, ...(access.tokenFile ? { tokenFile: access.tokenFile } : {}) });
  return new KubernetesLeaseLock({ connection, namespace: le.namespace, name: le.name });
}
