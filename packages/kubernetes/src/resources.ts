/**
 * The Kubernetes resources Nitrox reads and writes, with the facts needed to build their REST paths: API
 * group and version, plural, kind, and whether they live in a namespace. Shared by the REST client and the
 * simulator, so both agree on every path.
 */

/** One Kubernetes resource type. */
export interface KubeResource {
  /** API group; `''` for the core group. */
  readonly group: string;
  /** API version within the group, e.g. `v1`. */
  readonly version: string;
  /** Lower-case plural used in paths, e.g. `endpointslices`. */
  readonly plural: string;
  /** Object kind, e.g. `EndpointSlice`. */
  readonly kind: string;
  /** Whether objects live in a namespace. */
  readonly namespaced: boolean;
}

/** The resources this package knows, by plural. */
export const kubeResources = {
  services: { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  endpoints: { group: '', version: 'v1', plural: 'endpoints', kind: 'Endpoints', namespaced: true },
  pods: { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  nodes: { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  endpointslices: {
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
} as const satisfies Record<string, KubeResource>;

/** Plural name of a known resource. */
export type KubeResourceName = keyof typeof kubeResources;

/** `apiVersion` of a resource as written in objects: `v1` or `group/version`. */
export function apiVersionOf(resource: KubeResource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/**
 * The collection path of a resource, e.g. `/api/v1/namespaces/default/endpoints`, or across all namespaces
 * when `namespace` is undefined or empty.
 */
export function collectionPath(resource: KubeResource, namespace?: string): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  if (resource.namespaced && namespace) return `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
  return `${base}/${resource.plural}`;
}

/** The path of one object. */
export function objectPath(resource: KubeResource, namespace: string | undefined, name: string): string {
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
}

/** Find a known resource by its kind (e.g. `Endpoints`), or `undefined`. */
export function resourceOfKind(kind: string): KubeResource | undefined {
  return Object.values(kubeResources).find((r) => r.kind === kind);
}

/** The cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
