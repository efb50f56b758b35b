import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KubeSimulator, node, pod, service, startKubeSimulator } from '../src/testing/index.js';

let sim: KubeSimulator;
beforeEach(async () => {
  sim = await startKubeSimulator({ bookmarkIntervalMs: 50 });
});
afterEach(async () => {
  await sim.close();
});

type List = { metadata: { resourceVersion: string; continue?: string }; items: { metadata: { name: string } }[] };
const services = (): string => `${sim.url}/api/v1/namespaces/default/services`;
const names = (list: List): string[] => list.items.map((i) => i.metadata.name);
const getJson = async <T>(url: string, init?: RequestInit): Promise<{ status: number; body: T; type: string | null }> => {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as T, type: res.headers.get('content-type') };
};

async function firstLine(url: string): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    if (buffer.includes('\n')) break;
  }
  controller.abort();
  return JSON.parse(buffer.slice(0, buffer.indexOf('\n'))) as Record<string, unknown>;
}

describe('API-server simulator: the API as real clients use it', () => {
  it('reads booleans as apimachinery does: watch=True and allowWatchBookmarks=True start a watch with bookmarks', async () => {
    sim.store.apply(service({ name: 'a', ports: [{ port: 80 }] }));
    const rv = sim.store.revision;
    const line = await firstLine(`${services()}?watch=True&allowWatchBookmarks=True&resourceVersion=${rv}`);
    expect(line).toMatchObject({ type: 'BOOKMARK', object: { metadata: { resourceVersion: rv } } });
    for (const off of ['0', 'false', 'False', 'FALSE']) {
      const { body } = await getJson<List>(`${services()}?watch=${off}`);
      expect(names(body)).toEqual(['a']); // a list, not a watch
    }
    expect(await firstLine(`${services()}?watch=&resourceVersion=0`)).toMatchObject({ type: 'ADDED' });
    const bad = await getJson<{ reason: string }>(`${services()}?watch=1&timeoutSeconds=soon`);
    expect([bad.status, bad.body.reason]).toEqual([400, 'BadRequest']);
    const badLimit = await getJson<{ reason: string }>(`${services()}?limit=x`);
    expect(badLimit.status).toBe(400);
  });

  it('answers an expired continue token with 410 and an inconsistent token that lists the rest at the latest revision', async () => {
    for (const name of ['a', 'b', 'c', 'd']) sim.store.apply(service({ name, ports: [{ port: 80 }] }));
    const first = await getJson<List>(`${services()}?limit=2`);
    expect(names(first.body)).toEqual(['a', 'b']);
    sim.store.apply(service({ name: 'e', ports: [{ port: 80 }] }));
    sim.faults.expireContinueTokens();
    const expired = await getJson<{ code: number; reason: string; message: string; metadata: { continue?: string } }>(
      `${services()}?limit=2&continue=${first.body.metadata.continue}`,
    );
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(expired.body.message).toMatch(/inconsistent list/);
    const rest = await getJson<List & { metadata: { remainingItemCount?: number } }>(`${services()}?limit=10&continue=${expired.body.metadata.continue}`);
    expect(names(rest.body)).toEqual(['c', 'd', 'e']);
    expect(rest.body.metadata.resourceVersion).toBe(sim.store.revision);
    expect((await getJson(`${services()}?continue=garbage`)).status).toBe(400);
  });

  it('serves discovery: /version, legacy documents, aggregated discovery on request, and the OpenAPI v3 index', async () => {
    expect((await getJson<{ major: string; minor: string }>(`${sim.url}/version`)).body).toMatchObject({ major: '1', minor: '32' });
    expect((await getJson(`${sim.url}/api`)).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const core = (await getJson<{ resources: { name: string; namespaced: boolean; verbs: string[] }[] }>(`${sim.url}/api/v1`)).body;
    expect(core.resources.map((r) => r.name).sort()).toEqual(['endpoints', 'namespaces', 'nodes', 'pods', 'services']);
    expect(core.resources.find((r) => r.name === 'nodes')).toMatchObject({ namespaced: false, verbs: expect.arrayContaining(['patch', 'watch']) });
    const groups = (await getJson<{ groups: { name: string }[] }>(`${sim.url}/apis`)).body;
    expect(groups.groups.map((g) => g.name)).toEqual(['discovery.k8s.io', 'coordination.k8s.io']);
    expect((await getJson(`${sim.url}/apis/discovery.k8s.io/v1`)).body).toMatchObject({ groupVersion: 'discovery.k8s.io/v1', resources: [{ name: 'endpointslices', kind: 'EndpointSlice' }] });
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const aggregated = await getJson<{ kind: string; items: { versions: { resources: { resource: string; scope: string }[] }[] }[] }>(`${sim.url}/apis`, { headers: { accept } });
    expect(aggregated.type).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(aggregated.body.kind).toBe('APIGroupDiscoveryList');
    expect(aggregated.body.items[0]?.versions[0]?.resources[0]).toMatchObject({ resource: 'endpointslices', scope: 'Namespaced' });
    const index = (await getJson<{ paths: Record<string, { serverRelativeURL: string }> }>(`${sim.url}/openapi/v3`)).body;
    const doc = (await getJson<{ paths: Record<string, { patch: { parameters: { name: string }[] } }> }>(`${sim.url}${index.paths['api/v1']?.serverRelativeURL}`)).body;
    expect(doc.paths['/api/v1/namespaces/{namespace}/services/{name}']?.patch.parameters.map((p) => p.name)).toContain('fieldValidation');
    const v2 = await fetch(`${sim.url}/openapi/v2`, { headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    expect([v2.status, v2.headers.get('content-type')]).toEqual([200, 'application/octet-stream']);
    const v2Text = Buffer.from(await v2.arrayBuffer()).toString('latin1');
    expect(v2Text.startsWith('\n\x032.0')).toBe(true); // field 1 (swagger) = "2.0"
    expect(v2Text).toContain('/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{name}');
    expect(v2Text).toContain('x-kubernetes-group-version-kind');
    expect(v2Text).toContain('fieldValidation');
    expect((await fetch(`${sim.url}/openapi/v2`)).status).toBe(404); // protobuf only
  });

  it('creates with generateName, UUID uids and second-precision timestamps; deletes with preconditions (409) and Status details', async () => {
    const created = await getJson<{ metadata: { name: string; uid: string; creationTimestamp: string; resourceVersion: string } }>(services(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { generateName: 'web-' }, spec: { ports: [{ port: 80 }] } }),
    });
    expect(created.status).toBe(201);
    const { name, uid, creationTimestamp, resourceVersion } = created.body.metadata;
    expect(name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const del = (preconditions: object) =>
      getJson<{ reason: string; message: string; details: object }>(`${services()}/${name}`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions }) });
    const wrongUid = await del({ uid: 'nope' });
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.body).toMatchObject({ reason: 'Conflict', details: { name, kind: 'services' } });
    expect(wrongUid.body.message).toMatch(/Precondition failed: UID in precondition: nope/);
    expect((await del({ resourceVersion: '1' })).status).toBe(409);
    expect((await del({ uid, resourceVersion })).status).toBe(200);
    const missing = await getJson(`${services()}/${name}`);
    expect(missing).toMatchObject({ status: 404, body: { kind: 'Status', reason: 'NotFound', message: `services "${name}" not found`, details: { name, kind: 'services' } } });
    const slice = await getJson(`${sim.url}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/x`);
    expect(slice.body).toMatchObject({ message: 'endpointslices.discovery.k8s.io "x" not found', details: { group: 'discovery.k8s.io', kind: 'endpointslices' } });
  });

  it('serves Namespace objects and rejects a body in another namespace than the path', async () => {
    const list = await getJson<List>(`${sim.url}/api/v1/namespaces`);
    expect(names(list.body)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const created = await getJson<{ status: { phase: string } }>(`${sim.url}/api/v1/namespaces`, { method: 'POST', body: JSON.stringify({ metadata: { name: 'shop' } }), headers: { 'content-type': 'application/json' } });
    expect([created.status, created.body.status.phase]).toEqual([201, 'Active']);
    const wrong = await fetch(services(), { method: 'POST', body: JSON.stringify(service({ name: 'x', namespace: 'shop', ports: [{ port: 80 }] })), headers: { 'content-type': 'application/json' } });
    expect(wrong.status).toBe(400);
  });

  it('PATCHes in the four content types and answers 415 to others', async () => {
    sim.store.apply(service({ name: 'web', labels: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }] }));
    const patch = (type: string, body: unknown, query = '', name = 'web') =>
      getJson<{ metadata: { labels: Record<string, string> }; spec: { ports: { port: number; targetPort: number }[] } }>(`${services()}/${name}${query}`, { method: 'PATCH', headers: { 'content-type': type }, body: JSON.stringify(body) });
    const smp = await patch('application/strategic-merge-patch+json', { spec: { ports: [{ port: 443, targetPort: 9443 }] } });
    expect(smp.body.spec.ports.map((p) => p.targetPort)).toEqual([8080, 9443]);
    const merge = await patch('application/merge-patch+json', { metadata: { labels: { tier: 'front' } } });
    expect(merge.body.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    const json = await patch('application/json-patch+json', [{ op: 'remove', path: '/metadata/labels/app' }]);
    expect(json.body.metadata.labels).toEqual({ tier: 'front' });
    const failed = await patch('application/json-patch+json', [{ op: 'test', path: '/spec/type', value: 'LoadBalancer' }]);
    expect(failed.status).toBe(422);
    const apply = await patch('application/apply-patch+yaml', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels: { applied: 'yes' } } }, '?fieldManager=test');
    expect(apply.body.metadata.labels).toEqual({ tier: 'front', applied: 'yes' });
    expect((await patch('application/apply-patch+yaml', { metadata: { name: 'web' } })).status).toBe(400); // fieldManager required
    const created = await patch('application/apply-patch+yaml', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' } }, '?fieldManager=test', 'api');
    expect(created.status).toBe(201);
    const stale = await patch('application/merge-patch+json', { metadata: { resourceVersion: '1', labels: { x: 'y' } } });
    expect(stale.status).toBe(409);
    expect((await patch('application/vnd.kubernetes.protobuf', {})).status).toBe(415);
    expect((await patch('application/merge-patch+json', {}, '')).status).toBe(200);
    expect((await patch('application/merge-patch+json', {}, '', 'nope')).status).toBe(404);
  });

  it('filters by field selectors per type, in lists and watches; an unknown field or a bad label selector is 400', async () => {
    sim.store.apply(service({ name: 'np', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    sim.store.apply(service({ name: 'cip', ports: [{ port: 80 }] }));
    sim.store.apply(pod({ name: 'p1', nodeName: 'n1', ip: '10.1.0.1' }));
    sim.store.apply(pod({ name: 'p2', nodeName: 'n2', ip: '10.1.0.2' }));
    sim.store.apply(node({ name: 'n1', internalIP: '192.168.0.1' }));
    sim.store.apply({ ...node({ name: 'n2', internalIP: '192.168.0.2' }), spec: { unschedulable: true } });
    expect(names((await getJson<List>(`${services()}?fieldSelector=spec.type%3DNodePort`)).body)).toEqual(['np']);
    expect(names((await getJson<List>(`${services()}?fieldSelector=spec.type!%3DNodePort,metadata.name%3Dcip`)).body)).toEqual(['cip']);
    expect(names((await getJson<List>(`${sim.url}/api/v1/pods?fieldSelector=spec.nodeName%3Dn2`)).body)).toEqual(['p2']);
    expect(names((await getJson<List>(`${sim.url}/api/v1/pods?fieldSelector=status.phase%3DRunning`)).body)).toEqual(['p1', 'p2']);
    expect(names((await getJson<List>(`${sim.url}/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse`)).body)).toEqual(['n1']);
    const watched = await firstLine(`${sim.url}/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dn2`);
    expect(watched).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'p2' } } });
    const unknown = await getJson<{ reason: string; message: string }>(`${services()}?fieldSelector=spec.nodeName%3Dn1`);
    expect([unknown.status, unknown.body.reason, unknown.body.message]).toEqual([400, 'BadRequest', 'field label not supported: spec.nodeName']);
    expect((await fetch(`${services()}?watch=1&fieldSelector=nonsense`)).status).toBe(400);
    expect((await fetch(`${services()}?labelSelector=a%20in%20(b`)).status).toBe(400);
  });

  it('answers server-side Tables for lists, single objects and watches when the Accept header asks for them', async () => {
    sim.store.apply(service({ name: 'np', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    type Table = { kind: string; apiVersion: string; columnDefinitions?: { name: string; priority: number }[]; rows: { cells: unknown[]; object?: { kind: string } }[] };
    const table = (await getJson<Table>(services(), { headers: { accept } })).body;
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.columnDefinitions?.map((c) => c.name)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    expect(table.rows[0]?.cells.slice(0, 5)).toEqual(['np', 'NodePort', '<none>', '<none>', '80:30080/TCP']);
    expect(table.rows[0]?.object?.kind).toBe('PartialObjectMetadata');
    const bare = (await getJson<Table>(`${services()}/np?includeObject=None`, { headers: { accept } })).body;
    expect([bare.rows.length, bare.rows[0]?.object]).toEqual([1, undefined]);
    const watched = await firstLine(`${services()}?includeObject=Object&watch=1`);
    expect(watched).toMatchObject({ type: 'ADDED', object: { kind: 'Service' } }); // no Accept: plain objects
    const controller = new AbortController();
    const res = await fetch(`${services()}?watch=1`, { headers: { accept }, signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    sim.store.apply(service({ name: 'cip', ports: [{ port: 81 }] }));
    while (text.split('\n').length < 3) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const [first, second] = text.split('\n').map((l) => (l ? (JSON.parse(l) as { object: Table }) : undefined));
    expect(first?.object.columnDefinitions).toHaveLength(7);
    expect(second?.object).toMatchObject({ kind: 'Table', rows: [{ cells: ['cip', 'ClusterIP', '<none>', '<none>', '81/TCP', expect.any(String), 'app=cip'] }] });
    expect(second?.object.columnDefinitions).toBeUndefined();
  });

  it('computes writes with dryRun=All without storing them', async () => {
    const post = (query: string) =>
      getJson<{ metadata: { name: string; uid?: string; resourceVersion?: string } }>(`${services()}${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(service({ name: 'dry', ports: [{ port: 80 }] })),
      });
    const revision = sim.store.revision;
    const created = await post('?dryRun=All');
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({ name: 'dry', uid: expect.any(String) });
    expect(created.body.metadata.resourceVersion).toBeUndefined();
    expect([sim.store.get('services', 'default', 'dry'), sim.store.revision]).toEqual([undefined, revision]);
    expect((await post('?dryRun=Some')).status).toBe(400);
    await post('');
    const stored = sim.store.get('services', 'default', 'dry');
    const patched = await getJson<{ metadata: { labels: Record<string, string> } }>(`${services()}/dry?dryRun=All`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { x: 'y' } } }),
    });
    expect(patched.body.metadata.labels).toMatchObject({ x: 'y' });
    expect((await fetch(`${services()}/dry?dryRun=All`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.store.get('services', 'default', 'dry')).toBe(stored);
  });

  it('deletes collections by selector, and empties a deleted namespace', async () => {
    sim.store.apply(service({ name: 'a', labels: { tier: 'web' }, ports: [{ port: 80 }] }));
    sim.store.apply(service({ name: 'b', labels: { tier: 'db' }, ports: [{ port: 80 }] }));
    sim.store.apply(service({ name: 'c', namespace: 'shop', labels: { tier: 'web' }, ports: [{ port: 80 }] }));
    const deleted = await getJson<List & { kind: string }>(`${services()}?labelSelector=tier%3Dweb`, { method: 'DELETE' });
    expect([deleted.status, deleted.body.kind, names(deleted.body)]).toEqual([200, 'ServiceList', ['a']]);
    expect(sim.store.list('services').map((e) => e.object.metadata.name)).toEqual(['b', 'c']);
    sim.store.create('namespaces', { metadata: { name: 'shop' } });
    expect((await fetch(`${sim.url}/api/v1/namespaces/shop`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.store.list('services').map((e) => e.object.metadata.name)).toEqual(['b']);
  });

  it('server-side apply removes what the same manager applied before and left out now, and keeps other writers\' fields', async () => {
    type Svc = { metadata: { labels?: Record<string, string> }; spec: { ports: { name: string; port: number }[] } };
    const apply = (body: object, manager = 'tool') =>
      getJson<Svc>(`${services()}/web?fieldManager=${manager}`, { method: 'PATCH', headers: { 'content-type': 'application/apply-patch+yaml' }, body: JSON.stringify(body) });
    const manifest = (labels: Record<string, string>, ports: { name: string; port: number }[]) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels }, spec: { ports } });
    expect((await apply(manifest({ a: '1', b: '2' }, [{ name: 'http', port: 80 }, { name: 'https', port: 443 }]))).status).toBe(201);
    await getJson(`${services()}/web`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { labels: { other: 'x' } } }) });
    const second = await apply(manifest({ a: '1' }, [{ name: 'http', port: 80 }]));
    expect(second.body.metadata.labels).toEqual({ a: '1', other: 'x' });
    expect(second.body.spec.ports.map((p) => p.port)).toEqual([80]);
    const byOther = await apply(manifest({ c: '3' }, [{ name: 'http', port: 80 }]), 'someone-else');
    expect(byOther.body.metadata.labels).toEqual({ a: '1', other: 'x', c: '3' });
  });
});
