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
import { kubernetesRuntime } from './kubernetes-runtime.js';
import type { ResolvedConfig } from './load-config.js';
import { marathonRuntime } from './marathon-runtime.js';
import { netscalerRuntime } from './netscaler-runtime.js';

/** Build (lazily, once per entry) the source and sink runtimes of `config`. */
export function createFactories(config: ResolvedConfig, logger: Logger): AdapterFactories {
  const sources = new Map<string, SourceRuntime>();
  const sinks = new Map<string, SinkRuntime>();
  const index = (m: { name: string }) => config.mappings.findIndex((x) => x.name === m.name);
  const buildSource = (name: string, entry: SourceConfig): SourceRuntime => {
    switch (entry.type) {
      case 'kubernetes':
        return kubernetesRuntime(name, entry, config.secrets, config.baseDir, index);
      case 'marathon':
        return marathonRuntime(name, entry, config.secrets, config.baseDir);
      case 'swarm':
        throw new ConfigError(`sources.${name}.type`, 'swarm sources are not available in this build yet');
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
      runtime = netscalerRuntime(name, entry, config.secrets, logger, config.baseDir);
      sinks.set(name, runtime);
      return runtime;
    },
  };
}

/** The Kubernetes Lease lock for `leaderElection`, over the named kubernetes source's cluster. */
export function createLeaseLock(config: ResolvedConfig, le: LeaderElectionConfig): LeaseLock {
  const entry = config.sources[le.source];
  if (entry?.type !== 'kubernetes') throw new ConfigError('leaderElection.source', 'expected the name of a kubernetes source');
  throw new ConfigError('leaderElection', 'expected @nitrox/kubernetes to provide a Lease lock (not available in this build)');
}
