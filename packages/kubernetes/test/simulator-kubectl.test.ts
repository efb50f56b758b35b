import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@nitrox/core/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type KubeSimulator, service, startKubeSimulator } from '../src/testing/index.js';
import { type LineProcess, requireClient, runClient, startClient } from './real-clients.js';

let sim: KubeSimulator;
let dir: string;
let kubeconfig: string;
let watcher: LineProcess | undefined;
beforeAll(async () => {
  await requireClient('kubectl');
});
beforeEach(async () => {
  sim = await startKubeSimulator({ tls: true, token: 'kubectl-token', bookmarkIntervalMs: 200 });
  dir = await mkdtemp(join(tmpdir(), 'kubectl-sim-'));
  kubeconfig = await sim.writeKubeconfig(join(dir, 'config'));
});
afterEach(async () => {
  watcher?.child.kill();
  watcher = undefined;
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

const env = (): Record<string, string> => ({ KUBECONFIG: kubeconfig, HOME: dir });
const kubectl = (...args: string[]) => runClient('kubectl', [`--cache-dir=${join(dir, 'cache')}`, ...args], env());
const ok = async (...args: string[]): Promise<string> => {
  const result = await kubectl(...args);
  expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: expect.not.stringMatching(/error/i) });
  return result.stdout;
};
const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await ok(...args, '-o', 'json')) as T;
type Svc = { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: { type?: string; ports: { port: number; targetPort: number }[] } };

const manifest = (targetPort: number, extra = ''): string => `apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web${extra}}
spec:
  type: NodePort
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: ${targetPort}}
`;

describe('kubectl against the simulator, over TLS (generated CA) with a token or a client certificate', () => {
  it('creates, applies, replaces, patches, labels, annotates, selects and deletes', async () => {
    const file = join(dir, 'svc.yaml');
    await writeFile(file, manifest(8443));
    expect(await ok('create', '-f', file)).toMatch(/service\/web created/);
    await writeFile(file, manifest(9443));
    expect(await ok('apply', '-f', file)).toMatch(/service\/web configured/);
    let web = await json<Svc>('get', 'service', 'web');
    expect(web.spec.ports.map((p) => p.targetPort)).toEqual([8080, 9443]);
    expect(web.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain('9443');
    await ok('label', 'svc', 'web', 'tier=front');
    await ok('annotate', 'svc', 'web', 'note=hello');
    await ok('patch', 'svc', 'web', '-p', '{"spec":{"ports":[{"port":80,"targetPort":7070}]}}');
    await ok('patch', 'svc', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}');
    await ok('patch', 'svc', 'web', '--type=json', '-p', '[{"op":"remove","path":"/metadata/labels/app"}]');
    web = await json<Svc>('get', 'svc', 'web');
    expect(web.metadata.labels).toEqual({ tier: 'front', merged: 'yes' });
    expect(web.metadata.annotations?.note).toBe('hello');
    expect(web.spec.ports.map((p) => p.targetPort)).toEqual([7070, 9443]);
    await writeFile(file, manifest(6443, ', replaced: "yes"'));
    await ok('replace', '-f', file);
    expect((await json<Svc>('get', 'svc', 'web')).metadata.labels).toEqual({ app: 'web', replaced: 'yes' });
    expect(await ok('apply', '--server-side', '-f', file)).toMatch(/serverside-applied/);
    // Server-side Table output: kubectl prints the API server's columns.
    // Server-side Table output: kubectl prints the API server's columns (the cluster IP and node ports were
    // allocated at create and kept through apply/replace/patch, as the API server does).
    expect(await ok('get', 'svc', 'web')).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nweb\s+NodePort\s+10\.96\.0\.1\s+<none>\s+80:30000\/TCP,443:30001\/TCP\s+\d+s\n$/);

    sim.store.apply(service({ name: 'other', ports: [{ port: 80 }] }));
    expect(await ok('get', 'svc', '-l', 'replaced=yes', '-o', 'name')).toBe('service/web\n');
    expect(await ok('get', 'svc', '--field-selector', 'spec.type=NodePort', '-o', 'name')).toBe('service/web\n');
    const bad = await kubectl('get', 'svc', '--field-selector', 'spec.nodeName=x');
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/BadRequest.*field label not supported: spec\.nodeName/)]);
    // kubectl's typed clients POST protobuf (create namespace, create service): decoded for these kinds.
    expect(await ok('create', 'namespace', 'shop')).toMatch(/namespace\/shop created/);
    expect(await ok('create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--tcp=443:https', '-n', 'shop')).toMatch(/service\/np created/);
    type Port = { name: string; port: number; nodePort: number; targetPort: number | string };
    const np = await json<{ spec: { type: string; selector: Record<string, string>; ports: Port[] } }>('get', 'svc', 'np', '-n', 'shop');
    expect(np.spec).toMatchObject({ type: 'NodePort', selector: { app: 'np' } });
    expect(np.spec.ports.map((p) => [p.name, p.port, p.targetPort, p.nodePort])).toEqual([['80-8080', 80, 8080, 30002], ['443-https', 443, 'https', 30003]]);
    expect(sim.store.get('namespaces', undefined, 'shop')).toMatchObject({ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    expect(await ok('get', 'namespaces', '-o', 'name')).toContain('namespace/kube-system');
    expect(await ok('delete', 'svc', 'web')).toMatch(/service "web" deleted/);
    expect(await ok('get', 'svc', '-o', 'name')).toBe('service/other\n');
  });

  it('lists in chunks and watches (-w) until an expiry, after which a new get relists', async () => {
    for (let i = 0; i < 7; i++) sim.store.apply(service({ name: `s${i}`, ports: [{ port: 80 }] }));
    const chunked = await kubectl('get', 'svc', '--chunk-size=3', '-o', 'name', '-v=6');
    expect(chunked.stdout.trim().split('\n')).toHaveLength(7);
    expect(chunked.stderr.match(/GET \S+\/services\?(continue=\S+&)?limit=3 200/g)).toHaveLength(3);

    watcher = startClient('kubectl', [`--cache-dir=${join(dir, 'cache')}`, 'get', 'svc', '-w'], env());
    await waitFor(() => watcher?.lines.length === 8 && sim.openWatches === 1, { what: 'kubectl get -w lists and watches', timeoutMs: 30_000 });
    expect(sim.stats.lastWatchQuery).toMatchObject({ watch: 'true', resourceVersion: sim.store.revision });
    sim.store.apply(service({ name: 'late', ports: [{ port: 80 }] }));
    await waitFor(() => watcher?.lines.some((l) => l.startsWith('late ')), { what: 'kubectl -w prints the new service' });
    sim.faults.expireHistory();
    await watcher.exited;
    // kubectl get -w prints the in-stream ERROR (a Status) and ends, as against a real API server.
    expect(watcher.lines.at(-1)).toMatch(/^Failure\s+Expired\s+too old resource version: \d+ \(\d+\)$/);
    sim.store.delete('services', 'default', 's0');
    expect((await ok('get', 'svc', '-o', 'name')).trim().split('\n')).toHaveLength(7);
  });

  it('authenticates with the client certificate, and refuses a wrong token', async () => {
    const certConfig = await sim.writeKubeconfig(join(dir, 'cert'), { auth: 'client-cert' });
    const byCert = await runClient('kubectl', [`--cache-dir=${join(dir, 'cache')}`, 'get', 'ns', 'default', '-o', 'name'], { KUBECONFIG: certConfig, HOME: dir });
    expect(byCert).toMatchObject({ code: 0, stdout: 'namespace/default\n' });
    const wrong = await sim.writeKubeconfig(join(dir, 'wrong'), { token: 'nope' });
    const refused = await runClient('kubectl', [`--cache-dir=${join(dir, 'cache2')}`, 'get', 'ns'], { KUBECONFIG: wrong, HOME: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Unauthorized|must be logged in/);
    expect(sim.stats.unauthorized).toBeGreaterThan(0);
  });
});
