/**
 * Discovery of the API-server simulator, as kubectl and client-go read it before any resource command:
 * `/version`, the legacy documents (`/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`),
 * aggregated discovery (`apidiscovery.k8s.io/v2`, served when the `Accept` header asks for it, as kubectl 1.30+
 * does), and an OpenAPI v3 index with one document per group-version that declares, for each resource, the PATCH
 * operation with its `fieldValidation` parameter. With that, kubectl's `--validate=strict` (the default) relies on
 * server-side field validation instead of downloading schemas; the simulator accepts `fieldValidation` and does
 * not check fields. `/openapi/v2` (protobuf only, for kubectl before 1.29) carries the same facts.
 */
import { openApiV2Document, openApiV2ProtobufType } from './simulator-openapi-v2.js';
import { type ServedResource, servedGroups, servedVerbs } from './simulator-resources.js';

/** The Kubernetes version the simulator claims in `/version` (kubectl warns beyond ±1 minor). */
const simulatedVersion = { major: '1', minor: '32', gitVersion: 'v1.32.0' } as const;

/** An answer of a discovery path: status, content type and JSON body. */
export interface DiscoveryAnswer {
  readonly contentType: string;
  readonly body: unknown;
}

const aggregatedType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function apiResource(r: ServedResource): Record<string, unknown> {
  return {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: [...servedVerbs],
    ...(r.shortNames.length > 0 ? { shortNames: [...r.shortNames] } : {}),
  };
}

function resourceList(group: string, version: string, resources: ServedResource[]): Record<string, unknown> {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: resources.map(apiResource) };
}

function apiGroup(group: string, version: string): Record<string, unknown> {
  const gv = { groupVersion: `${group}/${version}`, version };
  return { name: group, versions: [gv], preferredVersion: gv };
}

function aggregated(groups: ReturnType<typeof servedGroups>): Record<string, unknown> {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map(({ group, version, resources }) => ({
      metadata: group ? { name: group } : {},
      versions: [
        {
          version,
          freshness: 'Current',
          resources: resources.map((r) => ({
            resource: r.plural,
            responseKind: { group: r.group, version: r.version, kind: r.kind },
            scope: r.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: r.singular,
            verbs: [...servedVerbs],
            ...(r.shortNames.length > 0 ? { shortNames: [...r.shortNames] } : {}),
          })),
        },
      ],
    })),
  };
}

function openApiIndex(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { group, version } of servedGroups()) {
    const key = group ? `apis/${group}/${version}` : `api/${version}`;
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${simulatedVersion.gitVersion}` };
  }
  return { paths };
}

function openApiDocument(resources: ServedResource[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const r of resources) {
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const path = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}/{name}` : `${base}/${r.plural}/{name}`;
    paths[path] = {
      patch: {
        operationId: `patch${r.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
        parameters: [
          { name: 'dryRun', in: 'query', schema: { type: 'string' } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string' } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string' } },
          { name: 'force', in: 'query', schema: { type: 'boolean' } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: simulatedVersion.gitVersion }, paths, components: { schemas: {} } };
}

/**
 * The discovery answer for a path, or `undefined` when the path is not a discovery path.
 *
 * @param accept - the request's `Accept` header (aggregated discovery when it asks for `APIGroupDiscoveryList`).
 */
export function discovery(pathname: string, accept: string): DiscoveryAnswer | undefined {
  const json = (body: unknown): DiscoveryAnswer => ({ contentType: 'application/json', body });
  const groups = servedGroups();
  const wantsAggregated = /g=apidiscovery\.k8s\.io;\s*v=v2;\s*as=APIGroupDiscoveryList/.test(accept.replace(/\s+/g, ''));
  const path = pathname.replace(/\/+$/, '');
  if (path === '/version') {
    return json({ ...simulatedVersion, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' });
  }
  if (path === '/api') {
    if (wantsAggregated) return { contentType: aggregatedType, body: aggregated(groups.filter((g) => g.group === '')) };
    return json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
  }
  if (path === '/apis') {
    const named = groups.filter((g) => g.group !== '');
    if (wantsAggregated) return { contentType: aggregatedType, body: aggregated(named) };
    return json({ kind: 'APIGroupList', apiVersion: 'v1', groups: named.map((g) => apiGroup(g.group, g.version)) });
  }
  if (path === '/openapi/v3') return json(openApiIndex());
  if (path === '/openapi/v2' && accept.includes(openApiV2ProtobufType)) {
    // The API server labels this body application/octet-stream (the requested type does not parse as a media type).
    return { contentType: 'application/octet-stream', body: Buffer.from(openApiV2Document(simulatedVersion.gitVersion)) };
  }
  for (const { group, version, resources } of groups) {
    const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
    if (path === base) return json(resourceList(group, version, resources));
    if (path === `/openapi/v3${base}`) return json(openApiDocument(resources));
    if (group && path === `/apis/${group}`) return json({ kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, version) });
  }
  return undefined;
}
