/**
 * Server-side `Table` output of the API-server simulator, for `kubectl get`'s columns: served when the `Accept`
 * header asks for `as=Table;g=meta.k8s.io` (v1 or v1beta1), for lists, single objects and watches, with the
 * columns of the API server's printers for the served kinds (Service, Endpoints, Pod, Node, Namespace,
 * EndpointSlice, Lease) and `includeObject` `None`/`Metadata` (default)/`Object`.
 */
import { QueryError } from './simulator-request.js';
import type { KubeObject } from './simulator-store.js';

type Cell = string | number;
interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer';
  readonly format?: string;
  readonly priority?: number;
  readonly cell: (object: KubeObject) => Cell;
}

const get = (object: unknown, ...path: (string | number)[]): unknown => {
  let node = object;
  for (const key of path) node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined;
  return node;
};
const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? (value as Record<string, unknown>[]) : []);
const orNone = (text: string): string => (text === '' ? '<none>' : text);

/** Age as the API server's printers write it (`duration.HumanDuration`). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  return d % 365 === 0 || y >= 8 ? `${y}y` : `${y}y${d % 365}d`;
}

const name: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name };
const age: Column = {
  name: 'Age',
  type: 'string',
  cell: (o) => {
    const created = Date.parse(String(o.metadata.creationTimestamp ?? ''));
    return Number.isNaN(created) ? '<unknown>' : humanDuration(Date.now() - created);
  },
};
const conditionTrue = (o: KubeObject, type: string): boolean =>
  list(get(o, 'status', 'conditions')).some((c) => c.type === type && c.status === 'True');
const firstThree = (items: string[]): string =>
  items.length === 0 ? '<none>' : items.length <= 3 ? items.join(',') : `${items.slice(0, 3).join(',')} + ${items.length - 3} more...`;

const columns: Readonly<Record<string, readonly Column[]>> = {
  Service: [
    name,
    { name: 'Type', type: 'string', cell: (o) => String(get(o, 'spec', 'type') ?? 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => orNone(String(get(o, 'spec', 'clusterIP') ?? '')) },
    {
      name: 'External-IP',
      type: 'string',
      cell: (o) => {
        const ips = [...list(get(o, 'status', 'loadBalancer', 'ingress')).map((i) => String(i.ip ?? i.hostname ?? '')), ...((get(o, 'spec', 'externalIPs') as string[] | undefined) ?? [])];
        if (get(o, 'spec', 'type') === 'ExternalName') return String(get(o, 'spec', 'externalName') ?? '<none>');
        return get(o, 'spec', 'type') === 'LoadBalancer' && ips.length === 0 ? '<pending>' : orNone(ips.join(','));
      },
    },
    {
      name: 'Port(s)',
      type: 'string',
      cell: (o) =>
        orNone(list(get(o, 'spec', 'ports')).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',')),
    },
    age,
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => orNone(Object.entries((get(o, 'spec', 'selector') as Record<string, string>) ?? {}).map(([k, v]) => `${k}=${v}`).join(',')) },
  ],
  Endpoints: [
    name,
    {
      name: 'Endpoints',
      type: 'string',
      cell: (o) =>
        firstThree(list(get(o, 'subsets')).flatMap((s) => list(s.addresses).flatMap((a) => list(s.ports).map((p) => `${a.ip}:${p.port}`)))),
    },
    age,
  ],
  Pod: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${list(get(o, 'status', 'containerStatuses')).filter((c) => c.ready === true).length}/${list(get(o, 'spec', 'containers')).length}`,
    },
    { name: 'Status', type: 'string', cell: (o) => String(get(o, 'status', 'phase') ?? 'Pending') },
    { name: 'Restarts', type: 'string', cell: (o) => String(list(get(o, 'status', 'containerStatuses')).reduce((n, c) => n + Number(c.restartCount ?? 0), 0)) },
    age,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => orNone(String(get(o, 'status', 'podIP') ?? '')) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => orNone(String(get(o, 'spec', 'nodeName') ?? '')) },
  ],
  Node: [
    name,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => `${conditionTrue(o, 'Ready') ? 'Ready' : 'NotReady'}${get(o, 'spec', 'unschedulable') === true ? ',SchedulingDisabled' : ''}`,
    },
    {
      name: 'Roles',
      type: 'string',
      cell: (o) => orNone(Object.keys(o.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24)).join(',')),
    },
    age,
    { name: 'Version', type: 'string', cell: (o) => String(get(o, 'status', 'nodeInfo', 'kubeletVersion') ?? '') },
    { name: 'Internal-IP', type: 'string', priority: 1, cell: (o) => orNone(list(get(o, 'status', 'addresses')).filter((a) => a.type === 'InternalIP').map((a) => String(a.address)).join(',')) },
    { name: 'External-IP', type: 'string', priority: 1, cell: (o) => orNone(list(get(o, 'status', 'addresses')).filter((a) => a.type === 'ExternalIP').map((a) => String(a.address)).join(',')) },
  ],
  Namespace: [name, { name: 'Status', type: 'string', cell: (o) => String(get(o, 'status', 'phase') ?? 'Active') }, age],
  EndpointSlice: [
    name,
    { name: 'AddressType', type: 'string', cell: (o) => String(get(o, 'addressType') ?? '') },
    { name: 'Ports', type: 'string', cell: (o) => firstThree(list(get(o, 'ports')).map((p) => String(p.port ?? '<unset>'))) },
    { name: 'Endpoints', type: 'string', cell: (o) => firstThree(list(get(o, 'endpoints')).flatMap((e) => (e.addresses as string[] | undefined) ?? [])) },
    age,
  ],
  Lease: [name, { name: 'Holder', type: 'string', cell: (o) => String(get(o, 'spec', 'holderIdentity') ?? '') }, age],
};

/** How a request asked for a Table, or `undefined` when it did not. */
export interface TableRequest {
  readonly apiVersion: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';
  readonly includeObject: 'None' | 'Metadata' | 'Object';
}

/** The Table request in an `Accept` header and query, or `undefined` (plain JSON). */
export function tableRequest(accept: string, query: URLSearchParams): TableRequest | undefined {
  for (const range of accept.split(',')) {
    const params = new Map(range.split(';').slice(1).map((p) => p.trim().split('=') as [string, string]));
    if (params.get('as') !== 'Table' || params.get('g') !== 'meta.k8s.io') continue;
    const version = params.get('v');
    if (version !== 'v1' && version !== 'v1beta1') continue;
    const include = query.get('includeObject') ?? 'Metadata';
    if (include !== 'None' && include !== 'Metadata' && include !== 'Object') throw new QueryError(`unrecognized includeObject value: "${include}"`);
    return { apiVersion: `meta.k8s.io/${version}`, includeObject: include };
  }
  return undefined;
}

/** A Table of objects of one kind (the column definitions left out when `withColumns` is false, as in watch events after the first). */
export function toTable(kind: string, objects: readonly KubeObject[], request: TableRequest, metadata: Record<string, unknown>, withColumns = true): Record<string, unknown> {
  const cols = columns[kind] ?? [name, age];
  const rows = objects.map((o) => ({
    cells: cols.map((c) => c.cell(o)),
    ...(request.includeObject === 'None'
      ? {}
      : { object: request.includeObject === 'Object' ? o : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } }),
  }));
  const columnDefinitions = cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: '', priority: c.priority ?? 0 }));
  return { kind: 'Table', apiVersion: request.apiVersion, metadata, ...(withColumns ? { columnDefinitions } : {}), rows };
}
