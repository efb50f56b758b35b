/**
 * The Kubernetes source of Nitrox: informers over Services, Endpoints or EndpointSlices, and (in NodePort
 * mode) Nodes, each object trimmed at ingest to what the projection needs, and a core `Projection` that keeps
 * one `BackendSet` per selected Service. The source is itself a `ListWatch<BackendSet>`, ready to feed a
 * `Controller`.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import {
  type BackendSet,
  type Clock,
  ConfigError,
  Informer,
  type InformerStats,
  type ListResult,
  type ListWatch,
  type NitroxError,
  Projection,
  type ProjectionStats,
  type RetryBackoffOptions,
  type Versioned,
  type WatchEvent,
} from '@nitrox/core';
import { EventEmitter } from 'eventemitter3';
import { type BackendMode, type DeriveOptions, deriveBackendSet } from './derive-backend-set.js';
import { KubeConnection } from './kube-connection.js';
import { KubeListWatch, kubeListWatchDefaults } from './kube-list-watch.js';
import {
  type EndpointsInfo,
  type NodeInfo,
  type ServiceInfo,
  splitList,
  trimEndpointSlice,
  trimEndpoints,
  trimNode,
  trimService,
} from './kube-model.js';
import { objectKey } from './resources.js';
import { parseSelector } from './selectors.js';

/** Options of {@link KubernetesSource}. */
export interface KubernetesSourceOptions {
  /** Cluster and credentials. Ignored when `connection` is given. */
  kubeConfig?: KubeConfig;
  /** An existing connection (shared with a lease lock, for example); the source does not close it. */
  connection?: KubeConnection;
  /** Namespace to watch; `'*'` watches every namespace. @defaultValue the kubeconfig context's, else `'default'` */
  namespace?: string;
  /** Services to follow, as `name` or `namespace/name`. With neither this nor `labelSelector`, every service. */
  services?: readonly string[];
  /** Follow the services matching this label selector (applied by the server). */
  labelSelector?: string;
  /** `pod`: endpoint IP : target port. `nodeport`: node IP : nodePort, for nodes running a ready endpoint. @defaultValue 'pod' */
  mode?: BackendMode;
  /** Which service port, by name, when a service has several. @defaultValue the first port */
  portName?: string;
  /** Read `discovery.k8s.io/v1` EndpointSlices (merged per service) or v1 Endpoints. @defaultValue 'endpointslices' */
  endpointsApi?: 'endpointslices' | 'endpoints';
  /** Node address used in `nodeport` mode. @defaultValue 'InternalIP' */
  nodeAddressType?: 'InternalIP' | 'ExternalIP';
  /** Include endpoints that are not ready (a service's `publishNotReadyAddresses` always does). @defaultValue false */
  includeNotReady?: boolean;
  /** BackendSet name of a service. @defaultValue `namespace/name` */
  nameOf?: (service: { namespace: string; name: string }) => string;
  /** Server-side watch timeout in seconds; `undefined` picks 300–600 s per watch, as client-go. */
  watchTimeoutSeconds?: number;
  /**
   * Re-open a watch silent for this long (bookmarks count). The default exceeds the longest server-side watch
   * timeout, so a healthy quiet watch is closed by the server (and re-opened) first and only a stalled one (half-open
   * TCP) reaches it; a stall is thus detected within this bound. A smaller value only re-opens quiet watches sooner.
   * @defaultValue `watchTimeoutSeconds` × 1000 + 30 s; 630 000 (600 s + 30 s) with the random timeout
   */
  idleTimeoutMs?: number;
  /** List page size. @defaultValue 500 */
  pageSize?: number;
  /** Re-emit every cached item this often (0 = off). @defaultValue 0 */
  resyncMs?: number;
  /** Reconnect backoff. @defaultValue client-go's 800 ms → 30 s over consecutive failures; a healthy watch resets it */
  backoff?: Omit<RetryBackoffOptions, 'clock' | 'random'>;
  /** Time source. @defaultValue systemClock */
  clock?: Clock;
  /** Randomness for jitter and watch timeouts. @defaultValue Math.random */
  random?: () => number;
}

/** Defaults of {@link KubernetesSourceOptions}. */
export const kubernetesSourceDefaults = {
  namespace: 'default',
  mode: 'pod',
  endpointsApi: 'endpointslices',
  nodeAddressType: 'InternalIP',
  includeNotReady: false,
  /** The longest randomized watch timeout (600 s) plus a margin. */
  idleMarginMs: 30_000,
} as const;

/** Events of a {@link KubernetesSource}. */
export interface KubernetesSourceEvents {
  /** Every input has synced and every backend set has been derived. */
  synced: () => void;
  /** A list/watch failed (it is retried), a malformed event was skipped, or a derivation failed. */
  error: (error: NitroxError) => void;
  /** The informer of `resource` lost contact with the API server (see {@link KubernetesSource.disconnectedSince}). */
  disconnected: (resource: string, reason: Error) => void;
  /** The informer of `resource` is in contact again after `downMs`. */
  reconnected: (resource: string, downMs: number) => void;
}

/** Counters of a {@link KubernetesSource}, for metrics. */
export interface KubernetesSourceStats {
  readonly services: InformerStats;
  readonly endpoints: InformerStats;
  readonly nodes?: InformerStats;
  readonly projection: ProjectionStats;
  /** Malformed objects and lines skipped. */
  readonly malformed: number;
  /** Backend sets currently derived. */
  readonly backendSets: number;
}

type Inputs = { services: Informer<ServiceInfo>; endpoints: Informer<EndpointsInfo>; nodes: Informer<NodeInfo> };

/**
 * One `BackendSet` per selected Kubernetes Service, kept current by list+watch.
 *
 * @example
 * ```ts
 * const kc = new KubeConfig();
 * kc.loadFromDefault();
 * const source = new KubernetesSource({ kubeConfig: kc, services: ['web'], mode: 'nodeport' });
 * source.start();
 * await source.waitForSync();
 * console.log([...source.cache.values()]);
 * ```
 */
export class KubernetesSource extends EventEmitter<KubernetesSourceEvents> implements ListWatch<BackendSet> {
  /** The API-server connection. */
  readonly connection: KubeConnection;
  /** The informers feeding the projection (`nodes` only in `nodeport` mode). */
  readonly informers: { readonly services: Informer<ServiceInfo>; readonly endpoints: Informer<EndpointsInfo>; readonly nodes?: Informer<NodeInfo> };
  /** The derived backend sets. */
  readonly projection: Projection<BackendSet, Partial<Inputs>>;
  readonly #ownsConnection: boolean;
  #malformed = 0;

  /** @throws {@link ConfigError} naming the offending option. Does no I/O. */
  constructor(options: KubernetesSourceOptions) {
    super();
    const mode = options.mode ?? kubernetesSourceDefaults.mode;
    if (mode !== 'pod' && mode !== 'nodeport') throw new ConfigError('mode', `must be "pod" or "nodeport", got ${JSON.stringify(mode)}`);
    const endpointsApi = options.endpointsApi ?? kubernetesSourceDefaults.endpointsApi;
    if (endpointsApi !== 'endpointslices' && endpointsApi !== 'endpoints') {
      throw new ConfigError('endpointsApi', `must be "endpointslices" or "endpoints", got ${JSON.stringify(endpointsApi)}`);
    }
    const nodeAddressType = options.nodeAddressType ?? kubernetesSourceDefaults.nodeAddressType;
    if (nodeAddressType !== 'InternalIP' && nodeAddressType !== 'ExternalIP') {
      throw new ConfigError('nodeAddressType', `must be "InternalIP" or "ExternalIP", got ${JSON.stringify(nodeAddressType)}`);
    }
    if (options.connection) {
      this.connection = options.connection;
      this.#ownsConnection = false;
    } else if (options.kubeConfig) {
      this.connection = new KubeConnection({ kubeConfig: options.kubeConfig, ...(options.clock ? { clock: options.clock } : {}) });
      this.#ownsConnection = true;
    } else throw new ConfigError('kubeConfig', 'either kubeConfig or connection is required');

    const namespace = options.namespace ?? options.kubeConfig?.getContextObject(options.kubeConfig.getCurrentContext())?.namespace ?? kubernetesSourceDefaults.namespace;
    const allNamespaces = namespace === '*';
    const listNamespace = allNamespaces ? undefined : namespace;
    const selected = this.#selection(options, namespace, allNamespaces);
    if (options.watchTimeoutSeconds !== undefined && (!Number.isInteger(options.watchTimeoutSeconds) || options.watchTimeoutSeconds < 1)) {
      throw new ConfigError('watchTimeoutSeconds', 'must be an integer >= 1');
    }
    const idleTimeoutMs =
      options.idleTimeoutMs ??
      (options.watchTimeoutSeconds ?? kubeListWatchDefaults.maxTimeoutSeconds) * 1000 + kubernetesSourceDefaults.idleMarginMs;
    const keepNodes = mode === 'nodeport';
    const onMalformed = (error: NitroxError): void => {
      this.#malformed++;
      this.emit('error', error);
    };
    const common = {
      connection: this.connection,
      onMalformed,
      ...(options.watchTimeoutSeconds === undefined ? {} : { timeoutSeconds: options.watchTimeoutSeconds }),
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    };
    const informerOptions = {
      idleTimeoutMs,
      ...(options.resyncMs === undefined ? {} : { resyncMs: options.resyncMs }),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.random === undefined ? {} : { random: options.random }),
    };
    const services = new Informer<ServiceInfo>(
      new KubeListWatch({
        ...common,
        resource: 'services',
        namespace: listNamespace,
        ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
        transform: trimService,
      }),
      { ...informerOptions, name: 'kubernetes services' },
    );
    const slices = endpointsApi === 'endpointslices';
    const sliceSelector = slices && options.services?.length
      ? `kubernetes.io/service-name in (${[...new Set(options.services.map((s) => s.slice(s.indexOf('/') + 1)))].join(',')})`
      : undefined;
    const endpointIndexes: Record<string, (item: Versioned<EndpointsInfo>) => readonly string[]> = {};
    if (slices) endpointIndexes.service = (item) => [item.value.service];
    if (keepNodes) {
      endpointIndexes.node = (item) => {
        const nodes = new Set<string>();
        for (const g of item.value.groups) {
          for (const n of splitList(g.readyNodes)) if (n !== '') nodes.add(n);
          for (const n of splitList(g.notReadyNodes)) if (n !== '') nodes.add(n);
        }
        return [...nodes];
      };
    }
    const endpoints = new Informer<EndpointsInfo>(
      new KubeListWatch({
        ...common,
        resource: endpointsApi,
        namespace: listNamespace,
        ...(sliceSelector ? { labelSelector: sliceSelector } : {}),
        transform: slices ? (o) => trimEndpointSlice(o, keepNodes) : (o, key) => trimEndpoints(o, keepNodes, key),
      }),
      { ...informerOptions, name: `kubernetes ${endpointsApi}`, indexes: endpointIndexes },
    );
    const nodes = keepNodes
      ? new Informer<NodeInfo>(new KubeListWatch({ ...common, resource: 'nodes', transform: trimNode }), {
          ...informerOptions,
          name: 'kubernetes nodes',
        })
      : undefined;
    this.informers = nodes ? { services, endpoints, nodes } : { services, endpoints };
    for (const informer of [services, endpoints, nodes]) informer?.on('error', (e) => this.emit('error', e));

    const nameOf = options.nameOf ?? ((s: { namespace: string; name: string }) => objectKey(s.namespace, s.name));
    const derive: DeriveOptions = {
      mode,
      portName: options.portName,
      nodeAddressType,
      includeNotReady: options.includeNotReady ?? kubernetesSourceDefaults.includeNotReady,
      nameOf: (s) => nameOf({ namespace: s.namespace, name: s.name }),
    };
    const inputs: Partial<Inputs> = nodes ? { services, endpoints, nodes } : { services, endpoints };
    this.projection = new Projection<BackendSet, Partial<Inputs>>({
      name: 'kubernetes backend sets',
      inputs,
      affects: {
        services: (item) => [item.key],
        endpoints: (item) => [item.value.service],
        nodes: (item, caches) => {
          const keys = new Set<string>();
          for (const e of caches.endpoints?.byIndex('node', item.key) ?? []) keys.add(e.value.service);
          return keys;
        },
      },
      derive: (key, caches) => {
        const service = caches.services?.get(key)?.value;
        if (service === undefined || !selected(service)) return undefined;
        const groups = slices
          ? (caches.endpoints?.byIndex('service', key) ?? []).flatMap((e) => e.value.groups)
          : (caches.endpoints?.get(key)?.value.groups ?? []);
        return deriveBackendSet(service, groups, (name) => caches.nodes?.get(name)?.value, derive);
      },
    });
    this.projection.on('error', (e) => this.emit('error', e));
    this.projection.on('synced', () => this.emit('synced'));
    for (const [resource, informer] of Object.entries(this.informers) as [string, Informer<unknown>][]) {
      informer.on('disconnected', (reason) => this.emit('disconnected', resource, reason));
      informer.on('reconnected', (downMs) => this.emit('reconnected', resource, downMs));
    }
  }

  /**
   * Since when (clock time) the source has been out of contact with the API server — the earliest moment any of
   * its informers lost contact (no answered list, no healthy watch) or its connection stopped being answered
   * ({@link KubeConnection.unansweredSince}: an informer takes a watch open for a second as healthy even while its
   * request still waits for headers a partitioned server never sends) — or `undefined` while all are in contact.
   * The `disconnected`/`reconnected` events follow the informers only.
   */
  get disconnectedSince(): number | undefined {
    let since: number | undefined = this.connection.unansweredSince;
    for (const informer of Object.values(this.informers) as Informer<unknown>[]) {
      const s = informer.disconnectedSince;
      if (s !== undefined && (since === undefined || s < since)) since = s;
    }
    return since;
  }

  /** The derived backend sets, by service key (`namespace/name`). */
  get cache(): Projection<BackendSet>['cache'] {
    return this.projection.cache;
  }

  /** Malformed objects and lines skipped so far. */
  get malformed(): number {
    return this.#malformed;
  }

  /** A snapshot of the counters of every informer and of the projection. */
  get stats(): KubernetesSourceStats {
    const { services, endpoints, nodes } = this.informers;
    return {
      services: services.stats,
      endpoints: endpoints.stats,
      ...(nodes ? { nodes: nodes.stats } : {}),
      projection: this.projection.stats,
      malformed: this.#malformed,
      backendSets: this.projection.cache.size,
    };
  }

  /** Start the informers and the projection. */
  start(): void {
    this.projection.start();
    for (const informer of Object.values(this.informers)) informer.start();
  }

  /** Stop everything and close the connection when the source created it. */
  async stop(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.stop()));
    await this.projection.stop();
    if (this.#ownsConnection) await this.connection.close();
  }

  /** Whether every input has synced and every backend set has been derived. */
  hasSynced(): boolean {
    return this.projection.hasSynced();
  }

  /** Resolve once synced. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.projection.waitForSync(signal);
  }

  list(signal: AbortSignal): Promise<ListResult<BackendSet>> {
    return this.projection.list(signal);
  }

  watch(fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent<BackendSet>> {
    return this.projection.watch(fromRevision, signal);
  }

  #selection(options: KubernetesSourceOptions, namespace: string, allNamespaces: boolean): (s: ServiceInfo) => boolean {
    const labels = parseSelector(options.labelSelector, 'labelSelector');
    if (options.services === undefined || options.services.length === 0) return (s) => labels(s.labels);
    const keys = new Set<string>();
    options.services.forEach((entry, i) => {
      const slash = entry.indexOf('/');
      const ns = slash >= 0 ? entry.slice(0, slash) : namespace;
      const name = slash >= 0 ? entry.slice(slash + 1) : entry;
      if (name === '' || ns === '' || (ns === '*' && slash < 0)) {
        throw new ConfigError(`services[${i}]`, 'must be "name" or "namespace/name" (with namespace "*", always "namespace/name")');
      }
      if (!allNamespaces && ns !== namespace) {
        throw new ConfigError(`services[${i}]`, `is in namespace "${ns}" but the source watches "${namespace}" (set namespace: "*")`);
      }
      keys.add(objectKey(ns, name));
    });
    return (s) => keys.has(objectKey(s.namespace, s.name)) && labels(s.labels);
  }
}
