/**
 * The trimmed model the BackendSet projection needs, and the ingest transforms that cut Services,
 * Endpoints, EndpointSlices and Nodes down to it (client-go's SetTransform). Endpoints and EndpointSlices both
 * become {@link EndpointsInfo}, so one derivation serves either API. Repeated short strings (node and port
 * names) are interned, so ten thousand endpoints on fifty nodes hold fifty node-name strings.
 */
import type { KubeObjectJson } from './kube-list-watch.js';
import { objectKey } from './resources.js';

/** One port of a Service. */
export interface ServicePortInfo {
  /** Port name; `''` when unnamed. */
  readonly name: string;
  readonly port: number;
  /** Node port, for NodePort and LoadBalancer services. */
  readonly nodePort?: number;
}

/** A Service, trimmed. */
export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** `spec.type`. */
  readonly type: string;
  readonly ports: readonly ServicePortInfo[];
  readonly publishNotReadyAddresses: boolean;
}

/**
 * One Endpoints subset or one EndpointSlice: addresses × ports. Addresses (and nodes) are kept as one
 * comma-separated string per list rather than an array of small strings, and the port list is shared between
 * objects that have the same one, because an informer holds tens of thousands of these; read the lists with
 * {@link splitList}.
 */
export interface EndpointGroup {
  /** Addresses of ready endpoints, comma-separated (`''` when none). */
  readonly ready: string;
  /** Addresses of endpoints that are not ready, comma-separated (`''` when none). */
  readonly notReady: string;
  /** Node of each ready endpoint, comma-separated, parallel to `ready` (empty item when unknown); NodePort mode only. */
  readonly readyNodes?: string;
  /** Node of each not-ready endpoint, parallel to `notReady`; NodePort mode only. */
  readonly notReadyNodes?: string;
  /** Port name (`''` when unnamed) → port number. Shared between objects: never mutate it. */
  readonly ports: readonly { readonly name: string; readonly port: number }[];
}

const noItems: readonly string[] = Object.freeze([]);
/** The items of a comma-separated list of an {@link EndpointGroup} (`''` → no items). */
export function splitList(list: string | undefined): readonly string[] {
  return list === undefined || list === '' ? noItems : list.split(',');
}

/** The endpoints of one Service from an Endpoints object or one EndpointSlice, trimmed. */
export interface EndpointsInfo {
  /** Key of the Service they belong to: `namespace/name`. */
  readonly service: string;
  readonly groups: readonly EndpointGroup[];
}

/** A Node, trimmed. */
export interface NodeInfo {
  readonly name: string;
  /** Condition Ready is True. */
  readonly ready: boolean;
  /** Labelled `node.kubernetes.io/exclude-from-external-load-balancers`. */
  readonly excluded: boolean;
  readonly internalIP?: string;
  readonly externalIP?: string;
}

/** The label that takes a node out of external load balancers. */
export const excludeFromLoadBalancersLabel = 'node.kubernetes.io/exclude-from-external-load-balancers';
/** The label that ties an EndpointSlice to its Service. */
export const serviceNameLabel = 'kubernetes.io/service-name';

const internPool = new Map<string, string>();
/** Return a shared copy of a short, often repeated string. */
function intern(s: string): string {
  const hit = internPool.get(s);
  if (hit !== undefined) return hit;
  if (internPool.size > 50_000) internPool.clear();
  internPool.set(s, s);
  return s;
}

type Json = Record<string, unknown>;
const asArray = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const asNumber = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Trim a v1 Service. */
export function trimService(object: KubeObjectJson): ServiceInfo {
  const spec = (object.spec ?? {}) as Json;
  const ports: ServicePortInfo[] = [];
  for (const p of asArray(spec.ports)) {
    const port = asNumber(p.port);
    if (port === undefined) continue;
    const nodePort = asNumber(p.nodePort);
    ports.push(nodePort === undefined ? { name: intern(asString(p.name) ?? ''), port } : { name: intern(asString(p.name) ?? ''), port, nodePort });
  }
  const info: ServiceInfo = {
    namespace: object.metadata.namespace ?? 'default',
    name: object.metadata.name,
    type: asString(spec.type) ?? 'ClusterIP',
    ports,
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
  };
  return object.metadata.labels ? { ...info, labels: object.metadata.labels } : info;
}

const portLists = new Map<string, readonly { readonly name: string; readonly port: number }[]>();

/** The port list of a group, shared between every group with the same ports. */
function groupPorts(value: unknown): readonly { readonly name: string; readonly port: number }[] {
  let signature = '';
  const ports: { name: string; port: number }[] = [];
  for (const p of asArray(value)) {
    const port = asNumber(p.port);
    if (port === undefined) continue;
    const name = asString(p.name) ?? '';
    ports.push({ name, port });
    signature += `${name}\u0000${port}\u0000`;
  }
  const shared = portLists.get(signature);
  if (shared !== undefined) return shared;
  if (portLists.size > 10_000) portLists.clear();
  const frozen = Object.freeze(ports.map((p) => Object.freeze({ name: intern(p.name), port: p.port })));
  portLists.set(signature, frozen);
  return frozen;
}

/** Collects the addresses (and nodes) of one group. */
class GroupBuilder {
  readonly ready: string[] = [];
  readonly notReady: string[] = [];
  readonly readyNodes: string[] = [];
  readonly notReadyNodes: string[] = [];
  constructor(private readonly keepNodes: boolean) {}

  add(address: string, ready: boolean, node: string | undefined): void {
    (ready ? this.ready : this.notReady).push(address);
    if (this.keepNodes) (ready ? this.readyNodes : this.notReadyNodes).push(node ?? '');
  }

  build(ports: EndpointGroup['ports']): EndpointGroup {
    // join() yields one flat string (no per-item headers, no concatenation tree).
    const ready = this.ready.join(',');
    const notReady = this.notReady.join(',');
    if (!this.keepNodes) return { ready, notReady, ports };
    return { ready, notReady, readyNodes: this.readyNodes.join(','), notReadyNodes: this.notReadyNodes.join(','), ports };
  }
}

/**
 * Trim a v1 Endpoints object. `keepNodes` keeps each address's node name (needed in NodePort mode only);
 * `key` (`namespace/name`, as the list-watch computed it) is reused as the service key.
 */
export function trimEndpoints(object: KubeObjectJson, keepNodes: boolean, key?: string): EndpointsInfo {
  const subsets = asArray(object.subsets);
  const groups: EndpointGroup[] = new Array(subsets.length);
  let n = 0;
  for (const subset of subsets) {
    const builder = new GroupBuilder(keepNodes);
    for (const [list, ready] of [
      [subset.addresses, true],
      [subset.notReadyAddresses, false],
    ] as const) {
      for (const a of asArray(list)) {
        const ip = asString(a.ip);
        if (ip !== undefined && !ip.includes(',')) builder.add(ip, ready, asString(a.nodeName));
      }
    }
    groups[n++] = builder.build(groupPorts(subset.ports));
  }
  groups.length = n;
  return { service: key ?? objectKey(object.metadata.namespace ?? 'default', object.metadata.name), groups };
}

/**
 * Trim a discovery.k8s.io/v1 EndpointSlice (FQDN slices carry no usable addresses and yield none).
 * Missing `ready` means ready, as the API documents.
 */
export function trimEndpointSlice(object: KubeObjectJson, keepNodes: boolean): EndpointsInfo {
  const service = object.metadata.labels?.[serviceNameLabel] ?? object.metadata.name;
  const builder = new GroupBuilder(keepNodes);
  if (object.addressType !== 'FQDN') {
    for (const e of asArray(object.endpoints)) {
      const conditions = (e.conditions ?? {}) as Json;
      const ready = conditions.ready !== false;
      const node = asString(e.nodeName);
      for (const address of asArray(e.addresses) as unknown[]) {
        if (typeof address === 'string' && !address.includes(',')) builder.add(address, ready, node);
      }
    }
  }
  return {
    service: [object.metadata.namespace ?? 'default', service].join('/'),
    groups: [builder.build(groupPorts(object.ports))],
  };
}

/** Trim a v1 Node. */
export function trimNode(object: KubeObjectJson): NodeInfo {
  const status = (object.status ?? {}) as Json;
  const ready = asArray(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
  let internalIP: string | undefined;
  let externalIP: string | undefined;
  for (const a of asArray(status.addresses)) {
    if (a.type === 'InternalIP') internalIP ??= asString(a.address);
    else if (a.type === 'ExternalIP') externalIP ??= asString(a.address);
  }
  return {
    name: object.metadata.name,
    ready,
    excluded: object.metadata.labels?.[excludeFromLoadBalancersLabel] !== undefined,
    ...(internalIP === undefined ? {} : { internalIP }),
    ...(externalIP === undefined ? {} : { externalIP }),
  };
}
