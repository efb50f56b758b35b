/**
 * The built-in plugins: the only place the host names adapter types. Each is loaded on first use, so a
 * Marathon-only configuration never loads the Kubernetes client.
 */
import type { Plugin } from '@nitrox/plugin';

/** A plugin the host ships with, loaded on demand. */
export interface BuiltinPlugin {
  readonly kind: 'source' | 'sink';
  readonly type: string;
  /** The package that exports it. */
  readonly from: string;
  load(): Promise<Plugin>;
}

/** The registration list. */
export const builtinPlugins: readonly BuiltinPlugin[] = [
  { kind: 'source', type: 'kubernetes', from: '@nitrox/kubernetes', load: async () => (await import('@nitrox/kubernetes')).kubernetesPlugin },
  { kind: 'source', type: 'marathon', from: '@nitrox/marathon', load: async () => (await import('@nitrox/marathon')).marathonPlugin },
  { kind: 'source', type: 'swarm', from: '@nitrox/swarm', load: async () => (await import('@nitrox/swarm')).swarmPlugin },
  { kind: 'sink', type: 'netscaler', from: '@nitrox/netscaler', load: async () => (await import('@nitrox/netscaler')).netscalerPlugin },
  { kind: 'sink', type: 'haproxy', from: '@nitrox/haproxy', load: async () => (await import('@nitrox/haproxy')).haproxyPlugin },
];
