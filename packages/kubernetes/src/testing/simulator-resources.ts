/**
 * The resources the API-server simulator serves: the ones Nitrox reads and writes plus `Namespace`, with what
 * discovery publishes about them (singular name, short names, verbs), as the real API server lists them.
 */
import { type KubeResource, kubeResources } from '../resources.js';

/** A served resource with its discovery facts. */
export interface ServedResource extends KubeResource {
  readonly singular: string;
  readonly shortNames: readonly string[];
}

const extra = {
  services: { singular: 'service', shortNames: ['svc'] },
  endpoints: { singular: 'endpoints', shortNames: ['ep'] },
  pods: { singular: 'pod', shortNames: ['po'] },
  nodes: { singular: 'node', shortNames: ['no'] },
  endpointslices: { singular: 'endpointslice', shortNames: [] },
  leases: { singular: 'lease', shortNames: [] },
} as const;

/** Every served resource, by plural. */
export const servedResources: Readonly<Record<string, ServedResource>> = {
  ...Object.fromEntries(Object.entries(kubeResources).map(([plural, r]) => [plural, { ...r, ...extra[plural as keyof typeof extra] }])),
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, singular: 'namespace', shortNames: ['ns'] },
};

/** Verbs of every served resource (all of them support the full set). */
export const servedVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

/** A served resource by plural, or `undefined`. */
export function servedResource(plural: string): ServedResource | undefined {
  return Object.hasOwn(servedResources, plural) ? servedResources[plural] : undefined;
}

/** A served resource by kind, or `undefined`. */
export function servedResourceOfKind(kind: string): ServedResource | undefined {
  return Object.values(servedResources).find((r) => r.kind === kind);
}

/** The served API groups with their version (the core group is `''`), in discovery order. */
export function servedGroups(): { group: string; version: string; resources: ServedResource[] }[] {
  const groups = new Map<string, { group: string; version: string; resources: ServedResource[] }>();
  for (const r of Object.values(servedResources)) {
    const entry = groups.get(r.group) ?? { group: r.group, version: r.version, resources: [] };
    entry.resources.push(r);
    groups.set(r.group, entry);
  }
  return [...groups.values()];
}
