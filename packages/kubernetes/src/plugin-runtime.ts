/**
 * The run time of a `kubernetes` source entry (see plugin.ts): one API-server connection (kubeconfig, in-cluster service account,
 * or `server` + token) and ONE set of informers (Services, Endpoints or EndpointSlices, and Nodes when a
 * mapping uses `nodeport` mode) shared by every mapping of the entry, whatever its mode and port. The
 * `KubernetesSource` of `@nitrox/kubernetes` projects with one mode and port per source, so its own projection
 * is not used: its informers (public, built with the package's trimming, selectors and indexes) feed one core
 * `Projection` here whose keys are (mode, port, service) — one backend set per distinct pool shape, derived
 * with the package's `deriveBackendSet`.
 */
import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { type BackendSet, ConfigError, type Informer, Projection } from '@nitrox/core';
import { groupedSourceRuntime, type PluginContext, type SourceMapping, type SourceRuntime } from '@nitrox/plugin';
import { type BackendMode, deriveBackendSet } from './derive-backend-set.js';
import { defaultKubeConfigSearch } from './kube-config.js';
import { KubeConnection } from './kube-connection.js';
import type { EndpointsInfo, NodeInfo, ServiceInfo } from './kube-model.js';
import { KubernetesSource } from './kubernetes-source.js';
import type { KubernetesEntry, KubernetesMappingOptions } from './plugin-schema.js';

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
export function kubeAccess(config: KubernetesEntry, context: Pick<PluginContext, 'name' | 'path' | 'baseDir' | 'secrets'>): KubeAccess {
  const { name, path, baseDir } = context;
  const kc = new KubeConfig();
  const tokenFile = config.tokenFrom && 'file' in config.tokenFrom ? resolve(baseDir, config.tokenFrom.file) : undefined;
  if (config.server) {
    if (config.kubeconfig) throw new ConfigError(`${path}.kubeconfig`, 'expected either server or kubeconfig, not both');
    const token = tokenFile ? undefined : context.secrets.get('tokenFrom');
    kc.loadFromOptions({
      clusters: [
        {
          name,
          server: config.server,
          skipTLSVerify: config.insecureSkipTlsVerify || config.server.startsWith('http:'),
          ...(config.caFile ? { caFile: resolve(baseDir, config.caFile) } : {}),
        },
      ],
      users: [{ name, ...(token ? { token } : {}) }],
      contexts: [{ name, cluster: name, user: name, ...(config.namespace ? { namespace: config.namespace } : {}) }],
      currentContext: name,
    });
  } else {
    if (config.tokenFrom && !tokenFile) throw new ConfigError(`${path}.tokenFrom`, 'expected server with tokenFrom: { env } (with a kubeconfig, use the kubeconfig user)');
    try {
      if (config.inCluster) kc.loadFromCluster();
      else if (config.kubeconfig) kc.loadFromFile(resolve(baseDir, config.kubeconfig));
      else {
        const search = defaultKubeConfigSearch();
        if ('looked' in search) {
          throw new ConfigError(`${path}.kubeconfig`, `no kubeconfig found (looked in ${search.looked.join(', ')}): set kubeconfig, server or inCluster`);
        }
        kc.loadFromDefault();
      }
    } catch (err) {
      if (err instanceof ConfigError) throw err;
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

/** `namespace/name` of a mapping's app (a bare name takes the entry's namespace). */
export function serviceKey(app: string, defaultNamespace: string): string {
  return app.includes('/') ? app : `${defaultNamespace}/${app}`;
}

/** The projection key of a mapping's pool: its address mode, port name and service (`namespace/name`). */
export function poolShapeKey(mode: BackendMode, port: string | undefined, service: string): string {
  return `${mode}|${port ?? ''}|${service}`;
}

type Inputs = { services: Informer<ServiceInfo>; endpoints: Informer<EndpointsInfo>; nodes: Informer<NodeInfo> };

/** The connection of an entry: its cluster, token file and timeouts. */
export function kubeConnection(config: KubernetesEntry, access: KubeAccess, context: PluginContext): KubeConnection {
  return new KubeConnection({
    kubeConfig: access.kubeConfig,
    ...(access.tokenFile ? { tokenFile: access.tokenFile } : {}),
    tokenRefreshMs: config.tokenRefreshMs,
    headersTimeoutMs: config.headersTimeoutMs,
    clock: context.clock,
  });
}

type Mapping = SourceMapping<KubernetesMappingOptions>;

/** Build the runtime of one `kubernetes` source entry. */
export function kubernetesRuntime(
  config: KubernetesEntry,
  context: PluginContext,
): SourceRuntime<KubernetesMappingOptions> & { readonly connection: KubeConnection } {
  const access = kubeAccess(config, context);
  const connection = kubeConnection(config, access, context);
  const defaultNamespace = config.namespace ?? access.contextNamespace ?? 'default';
  const serviceOf = (m: Mapping) => serviceKey(m.app, defaultNamespace);
  const portOf = (m: Mapping) => m.options.port;
  const runtime = groupedSourceRuntime<KubernetesMappingOptions>(context.name, 'kubernetes', {
    // One group: every mapping of the entry shares the informers.
    groupOf: () => 'all',
    keyOf: (m) => poolShapeKey(m.options.mode, portOf(m), serviceOf(m)),
    create(mappings) {
      const shapes = new Map<string, { service: string; mode: BackendMode; port: string | undefined }>();
      const shapesOf = new Map<string, string[]>();
      for (const m of mappings) {
        const shape = { service: serviceOf(m), mode: m.options.mode, port: portOf(m) };
        const key = poolShapeKey(shape.mode, shape.port, shape.service);
        if (shapes.has(key)) continue;
        shapes.set(key, shape);
        shapesOf.set(shape.service, [...(shapesOf.get(shape.service) ?? []), key]);
      }
      const services = [...shapesOf.keys()];
      const namespaces = new Set(services.map((k) => k.split('/')[0]));
      const namespace = config.namespace ?? (namespaces.size === 1 ? ([...namespaces][0] as string) : '*');
      // nodeport mode makes the source keep node names in endpoints, index them, and watch Nodes.
      const source = new KubernetesSource({
        connection,
        namespace,
        services,
        mode: mappings.some((m) => m.options.mode === 'nodeport') ? 'nodeport' : 'pod',
        endpointsApi: config.endpointsApi,
        nodeAddressType: config.nodeAddressType,
        includeNotReady: config.includeNotReady,
        pageSize: config.pageSize,
        resyncMs: config.resyncMs,
        clock: context.clock,
        ...(config.labelSelector ? { labelSelector: config.labelSelector } : {}),
        ...(config.watchTimeoutSeconds ? { watchTimeoutSeconds: config.watchTimeoutSeconds } : {}),
        ...(config.idleTimeoutMs ? { idleTimeoutMs: config.idleTimeoutMs } : {}),
        ...(config.backoff ? { backoff: definedOnly(config.backoff) } : {}),
      });
      const informers = source.informers;
      const slices = config.endpointsApi === 'endpointslices';
      const affected = (service: string): readonly string[] => shapesOf.get(service) ?? [];
      const inputs: Partial<Inputs> = informers.nodes
        ? { services: informers.services, endpoints: informers.endpoints, nodes: informers.nodes }
        : { services: informers.services, endpoints: informers.endpoints };
      const projection = new Projection<BackendSet, Partial<Inputs>>({
        name: `kubernetes source ${context.name}`,
        inputs,
        affects: {
          services: (item) => affected(item.key),
          endpoints: (item) => affected(item.value.service),
          nodes: (item, caches) => (caches.endpoints?.byIndex('node', item.key) ?? []).flatMap((e) => affected(e.value.service)),
        },
        derive: (key, caches) => {
          const shape = shapes.get(key);
          const service = shape ? caches.services?.get(shape.service)?.value : undefined;
          if (!shape || !service) return undefined;
          const groups = slices
            ? (caches.endpoints?.byIndex('service', shape.service) ?? []).flatMap((e) => e.value.groups)
            : (caches.endpoints?.get(shape.service)?.value.groups ?? []);
          return deriveBackendSet(service, groups, (node) => caches.nodes?.get(node)?.value, {
            mode: shape.mode,
            portName: shape.port,
            nodeAddressType: config.nodeAddressType,
            includeNotReady: config.includeNotReady,
            nameOf: () => shape.service,
          });
        },
      });
      return {
        list: (signal) => projection.list(signal),
        watch: (from, signal) => projection.watch(from, signal),
        // The informers are started directly: the source's own single-shape projection is not needed.
        start: () => {
          projection.start();
          for (const informer of Object.values(informers)) informer.start();
        },
        stop: async () => {
          await Promise.all(Object.values(informers).map((i) => i.stop()));
          await projection.stop();
        },
        hasSynced: () => projection.hasSynced(),
        waitForSync: (signal) => projection.waitForSync(signal),
        // The earliest loss of contact over the shared informers (started here, so the source's getter sees them)
        // and the connection.
        disconnectedSince: () => source.disconnectedSince,
        onError: (listener) => {
          source.on('error', listener);
          projection.on('error', listener);
        },
        get: (key) => projection.cache.get(key),
        counters: () => {
          const total = { lists: 0, relists: 0, watchRestarts: 0, errors: 0, malformed: 0, events: 0 };
          for (const informer of Object.values(informers)) {
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

function definedOnly<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]-?: Exclude<T[K], undefined> };
}
