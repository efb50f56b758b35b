/**
 * The kubernetes plugin as the nitrox host drives it: an entry parsed by the plugin's schema, the token through
 * the context, a runtime whose views serve each mapping's pool shape, and the mapping check. Against the
 * API-server simulator requiring a bearer token; `labelSelector` and `nodeAddressType` reach the library.
 */
import { systemClock } from '@nitrox/core';
import { waitFor } from '@nitrox/core/testing';
import type { PluginContext } from '@nitrox/plugin';
import { expect, it } from 'vitest';
import { kubernetesPlugin } from '../src/index.js';
import { endpointSlice, node, service, startKubeSimulator } from '../src/testing/index.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function context(secrets: Record<string, string>): PluginContext {
  return { name: 'cluster', path: 'sources.cluster', logger: silent, secrets: { get: (p) => secrets[p] }, baseDir: '/', clock: systemClock, signal: new AbortController().signal };
}

it('reaches the library options from a file: server and token, label selector, node address type', async () => {
  const kube = await startKubeSimulator({ token: 'kube-token' });
  kube.store.apply(node({ name: 'n1', internalIP: '10.0.0.1', externalIP: '203.0.113.1' }));
  kube.store.apply(service({ name: 'web', labels: { expose: 'yes' }, type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] }));
  kube.store.apply(service({ name: 'hidden', type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30081 }] }));
  for (const name of ['web', 'hidden']) {
    kube.store.apply(endpointSlice({ name: `${name}-1`, service: name, endpoints: [{ ip: '10.1.0.1', nodeName: 'n1' }], ports: [{ name: 'http', port: 8080 }] }));
  }
  const entry = kubernetesPlugin.schema.parse({ server: kube.url, tokenFrom: { env: 'KUBE_TOKEN' }, labelSelector: 'expose=yes', nodeAddressType: 'ExternalIP' });
  expect(entry).toMatchObject({ endpointsApi: 'endpointslices', pageSize: 500, tokenRefreshMs: 60_000 });
  const runtime = await kubernetesPlugin.create(entry, context({ tokenFrom: 'kube-token' }));
  const web = { name: 'web', app: 'default/web', pool: 'web', options: kubernetesPlugin.mapping.parse({ port: 'http' }) };
  const hidden = { name: 'hidden', app: 'hidden', pool: 'hidden', options: kubernetesPlugin.mapping.parse({}) };
  expect(web.options.mode).toBe('nodeport');
  runtime.view(web);
  runtime.view(hidden);
  runtime.start();
  try {
    await runtime.waitForSync(AbortSignal.timeout(10_000));
    const pool = await waitFor(() => runtime.desired(web), { what: 'the web pool' });
    expect(pool).toEqual({ name: 'web', members: [{ address: '203.0.113.1', port: 30080 }] });
    expect(runtime.desired(hidden)).toBeUndefined();
  } finally {
    await runtime.stop();
    await kube.close();
  }
});

it('checks a mapping against the entry and refuses inline secrets and credentials in URLs', () => {
  const entry = kubernetesPlugin.schema.parse({ namespace: 'shop' });
  const options = kubernetesPlugin.mapping.parse({});
  expect(kubernetesPlugin.checkMapping?.(entry, { app: 'other/web', options })).toEqual([
    { key: 'app', message: 'expected a service in namespace "shop" (the source is restricted to it), got "other/web"' },
  ]);
  expect(kubernetesPlugin.checkMapping?.(entry, { app: 'shop/web', options })).toEqual([]);
  expect(kubernetesPlugin.schema.safeParse({ server: 'https://admin:pw@k8s:6443' }).error?.issues[0]?.path).toEqual(['server']);
  expect(kubernetesPlugin.schema.safeParse({ server: 'https://k8s:6443', token: 'abc' }).error?.issues[0]?.path).toEqual(['token']);
  expect(kubernetesPlugin.mapping.safeParse({ port: 8080 }).error?.issues[0]?.message).toContain('name of the service port');
});

it('reports since when it has been out of contact with the API server, and its return', async () => {
  const kube = await startKubeSimulator();
  kube.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
  const entry = kubernetesPlugin.schema.parse({ server: kube.url, backoff: { initialMs: 20, maxMs: 50 } });
  const runtime = await kubernetesPlugin.create(entry, context({}));
  runtime.view({ name: 'web', app: 'default/web', pool: 'web', options: kubernetesPlugin.mapping.parse({ mode: 'pod' }) });
  expect(runtime.disconnectedSince?.()).toBeUndefined();
  const started = systemClock.now();
  runtime.start();
  try {
    expect(runtime.disconnectedSince?.()).toBeGreaterThanOrEqual(started);
    await runtime.waitForSync(AbortSignal.timeout(10_000));
    await waitFor(() => runtime.disconnectedSince?.() === undefined, { what: 'contact after the first lists' });
    kube.faults.failRequests({ count: 6, status: 503 });
    const cut = systemClock.now();
    kube.faults.dropWatches();
    const since = await waitFor(() => runtime.disconnectedSince?.(), { what: 'the loss of contact' });
    expect(since).toBeGreaterThanOrEqual(cut);
    await waitFor(() => runtime.disconnectedSince?.() === undefined, { what: 'contact again once the API server answers' });
  } finally {
    await runtime.stop();
    await kube.close();
  }
});

it('stays out of contact while a partitioned API server accepts connections but never answers', async () => {
  const kube = await startKubeSimulator();
  kube.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
  const entry = kubernetesPlugin.schema.parse({ server: kube.url, headersTimeoutMs: 1_500, backoff: { initialMs: 100, maxMs: 200 } });
  const runtime = await kubernetesPlugin.create(entry, context({}));
  runtime.view({ name: 'web', app: 'default/web', pool: 'web', options: kubernetesPlugin.mapping.parse({ mode: 'pod' }) });
  runtime.start();
  try {
    await runtime.waitForSync(AbortSignal.timeout(10_000));
    await waitFor(() => runtime.disconnectedSince?.() === undefined, { what: 'contact after the first lists' });
    kube.faults.latencyMs = 120_000; // requests are accepted and never answered
    const cut = systemClock.now();
    kube.faults.dropWatches();
    // Several re-watch attempts (each open past a second, then timed out) must not reset the outage.
    const since = await waitFor(
      () => {
        const s = runtime.disconnectedSince?.();
        return s !== undefined && systemClock.now() - s > 5_000 ? s : undefined;
      },
      { timeoutMs: 20_000, what: 'an outage that keeps growing' },
    );
    expect(since - cut).toBeLessThan(1_000);
  } finally {
    await runtime.stop();
    kube.faults.latencyMs = 0;
    await kube.close();
  }
}, 30_000);
