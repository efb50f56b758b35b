/**
 * A `sources:` entry of type `kubernetes`: one API-server connection (kubeconfig, in-cluster service account,
 * or `server` + token) shared by one `KubernetesSource` per distinct (mode, port) among the entry's mappings.
 * `@nitrox/kubernetes` takes the address mode and port per source, so mappings that agree on both share one
 * set of informers; a cluster mapped in both `pod` and `nodeport` mode watches twice over one connection.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '@nitrox/core';
import { KubeConnection, KubernetesSource } from '@nitrox/kubernetes';
import type { SourceRuntime } from './adapters.js';
import type { KubernetesSourceConfig } from './config-schema.js';
import { groupedSourceRuntime } from './grouped-source.js';
import type { ResolvedMapping } from './load-config.js';
import type { Secret } from './secret.js';

/** How to reach the cluster of one entry. */
export interface KubeAccess {
  readonly kubeConfig: KubeConfig;
  /** Token file re-read for rotation, when the entry says `tokenFrom: { file }`. */
  readonly tokenFile: string | undefined;
  /** Namespace of the current context, if it names one. */
  readonly contextNamespace: string | undefined;
}

/**
 * Build the `KubeConfig` of an entry: `server` (+ `tokenFrom`), else the `kubeconfig` file (+ `context`), else
 * client-node's default search ($KUBECONFIG, ~/.kube/config, in-cluster service account).
 */
export function kubeAccess(name: string, config: KubernetesSourceConfig, secrets: ReadonlyMap<string, Secret>, baseDir: string): KubeAccess {
  const path = `sources.${name}`;
  const kc = new KubeConfig();
  const tokenFile = config.tokenFrom && 'file' in config.tokenFrom ? resolvePath(baseDir, config.tokenFrom.file) : undefined;
  if (config.server) {
    if (config.kubeconfig) throw new ConfigError(`${path}.kubeconfig`, 'expected either server or kubeconfig, not both');
    const token = tokenFile ? undefined : secrets.get(`${path}.tokenFrom`)?.reveal();
    kc.loadFromOptions({
      clusters: [
        {
          name,
          server: config.server,
          skipTLSVerify: config.insecureSkipTlsVerify || config.server.startsWith('http:'),
          ...(config.caFile ? { caFile: resolvePath(baseDir, config.caFile) } : {}),
        },
      ],
      users: [{ name, ...(token ? { token } : {}) }],
      contexts: [{ name, cluster: name, user: name, ...(config.namespace ? { namespace: config.namespace } : {}) }],
      currentContext: name,
    });
  } else {
    if (config.tokenFrom && !tokenFile) throw new ConfigError(`${path}.tokenFrom`, 'expected server with tokenFrom: { env } (with a kubeconfig, use the kubeconfig user)');
    try {
      if (config.kubeconfig) kc.loadFromFile(resolvePath(baseDir, config.kubeconfig));
      else kc.loadFromDefault();
    } catch (err) {
      throw new ConfigError(`${path}.kubeconfig`, `expected a readable kubeconfig (${(err as Error).message.split('\n')[0]})`);
    }
    if (config.context) {
      if (!kc.getContextObject(config.context)) throw new ConfigError(`${path}.context`, `expected a context of the kubeconfig, got "${config.context}"`);
      kc.setCurrentContext(config.context);
    }
    if (!kc.getCurrentCluster()) throw new ConfigError(`${path}.kubeconfig`, 'expected a kubeconfig with a current cluster (or run in a cluster)');
  }
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return { kubeConfig: kc, tokenFile, contextNamespace };
}

function resolvePath(baseDir: string, file: string): string {
  return file.startsWith('/') ? file : `${baseDir}/${file}`;
}

/** `namespace/name` of a mapping's app (a bare name takes the entry's namespace). */
export function serviceKey(app: string, defaultNamespace: string): string {
  return app.includes('/') ? app : `${defaultNamespace}/${app}`;
}

/** Build the runtime of one `kubernetes` source entry. */
export function kubernetesRuntime(
  name: string,
  config: KubernetesSourceConfig,
  secrets: ReadonlyMap<string, Secret>,
  baseDir: string,
): SourceRuntime & { readonly connection: KubeConnection } {
  const access = kubeAccess(name, config, secrets, baseDir);
  const connection = new KubeConnection({ kubeConfig: access.kubeConfig, ...(access.tokenFile ? { tokenFile: access.tokenFile } : {}) });
  const defaultNamespace = config.namespace ?? access.contextNamespace ?? 'default';
  const keyOf = (m: ResolvedMapping) => serviceKey(m.app, defaultNamespace);
  const runtime = groupedSourceRuntime(name, 'kubernetes', {
    groupOf: (m) => `${m.mode}|${m.port ?? ''}`,
    keyOf,
    create(mappings, keys) {
      const first = mappings[0] as ResolvedMapping;
      const namespaces = new Set([...keys].map((k) => k.split('/')[0]));
      const namespace = config.namespace ?? (namespaces.size === 1 ? ([...namespaces][0] as string) : '*');
      const source = new KubernetesSource({
        connection,
        namespace,
        services: [...keys],
        mode: first.mode,
        ...(typeof first.port === 'string' ? { portName: first.port } : {}),
        endpointsApi: config.endpoints,
      });
      return {
        list: (signal) => source.list(signal),
        watch: (from, signal) => source.watch(from, signal),
        start: () => source.start(),
        stop: () => source.stop(),
        hasSynced: () => source.hasSynced(),
        waitForSync: (signal) => source.waitForSync(signal),
        onError: (listener) => source.on('error', listener),
        get: (key) => source.cache.get(key),
        counters: () => {
          const total = { lists: 0, relists: 0, watchRestarts: 0, errors: 0, malformed: 0, events: 0 };
          for (const informer of Object.values(source.informers)) {
            const s = informer.stats;
            total.lists += s.lists;
            total.relists += s.relists;
            total.watchRestarts += s.watchRestarts;
            total.errors += s.errors;
            total.malformed += s.malformed;
            total.events += s.events;
          }
          total.malformed = Math.max(total.malformed, source.malformed);
          return total;
        },
      };
    },
  });
  return {
    ...runtime,
    connection,
    async stop() {
      await runtime.stop();
      await connection.close();
    },
  };
}
