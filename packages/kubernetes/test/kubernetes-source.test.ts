import { type BackendSet, Controller, type NitroxError, type Sink, SourceError, sinkReconciler, VirtualClock } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { KubernetesSource, type KubernetesSourceOptions } from '../src/kubernetes-source.js';
import {
  type EndpointSpec,
  endpointSlice,
  endpoints,
  type KubeSimulator,
  node,
  service,
  startKubeSimulator,
} from '../src/testing/index.js';
import { waitFor } from '@nitrox/core/testing';

let sim: KubeSimulator | undefined;
let source: KubernetesSource | undefined;
afterEach(async () => {
  await source?.stop();
  await sim?.close();
  source = undefined;
  sim = undefined;
});

async function start(options: Omit<KubernetesSourceOptions, 'kubeConfig'>, seed: (sim: KubeSimulator) => void) {
  sim = await startKubeSimulator({ bookmarkIntervalMs: 100 });
  seed(sim);
  source = new KubernetesSource({
    kubeConfig: sim.kubeConfig(),
    idleTimeoutMs: 800,
    backoff: { initialMs: 20, maxMs: 200 },
    ...options,
  });
  const errors: NitroxError[] = [];
  source.on('error', (e) => errors.push(e));
  source.start();
  await source.waitForSync();
  return { sim, source, errors };
}

const addresses = (set: BackendSet | undefined): string[] => (set?.members ?? []).map((m) => `${m.address}:${m.port}`);
const pods = (n: number, from = 1): EndpointSpec[] =>
  Array.from({ length: n }, (_, i) => ({ ip: `10.1.0.${from + i}`, nodeName: `node-${from + i}` }));

function publish(sim: KubeSimulator, api: 'endpoints' | 'endpointslices', list: EndpointSpec[]): void {
  const ports = [{ name: 'http', port: 8080 }];
  if (api === 'endpoints') {
    sim.store.apply(endpoints({ name: 'web', addresses: list, ports }));
    return;
  }
  // Split across two slices, as the EndpointSlice controller does for larger services.
  const half = Math.ceil(list.length / 2);
  sim.store.apply(endpointSlice({ name: 'web-a', service: 'web', endpoints: list.slice(0, half), ports }));
  sim.store.apply(endpointSlice({ name: 'web-b', service: 'web', endpoints: list.slice(half), ports }));
}

describe('KubernetesSource', () => {
  for (const api of ['endpointslices', 'endpoints'] as const) {
    it(`follows a deployment scaled 4 → 6 → 2 in pod mode (${api})`, async () => {
      const { sim, source } = await start({ services: ['web'], endpointsApi: api }, (sim) => {
        sim.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
        sim.store.apply(service({ name: 'other', ports: [{ name: 'http', port: 80 }] }));
        publish(sim, api, pods(4));
      });
      expect(addresses(source.cache.get('default/web')?.value)).toEqual(pods(4).map((p) => `${p.ip}:8080`));
      expect(source.cache.has('default/other')).toBe(false);
      publish(sim, api, pods(6));
      await waitFor(() => source.cache.get('default/web')?.value.members.length === 6, { what: 'scaled to 6' });
      publish(sim, api, pods(2));
      await waitFor(() => source.cache.get('default/web')?.value.members.length === 2, { what: 'scaled to 2' });
      expect(source.cache.get('default/web')?.value).toEqual({
        name: 'default/web',
        members: [
          { address: '10.1.0.1', port: 8080 },
          { address: '10.1.0.2', port: 8080 },
        ],
      });
      sim.store.delete('services', 'default', 'web');
      await waitFor(() => !source.cache.has('default/web'), { what: 'service deleted' });
      expect(source.stats).toMatchObject({ backendSets: 0, malformed: 0, services: { lists: 1 }, endpoints: { lists: 1 } });
    });
  }

  it('NodePort mode: 50 nodes, pods on 3 → 3 members; NotReady and excluded nodes are removed', async () => {
    const { sim, source } = await start({ services: ['web'], mode: 'nodeport' }, (sim) => {
      for (let i = 1; i <= 50; i++) sim.store.apply(node({ name: `node-${i}`, internalIP: `192.168.0.${i}`, externalIP: `203.0.113.${i}` }));
      sim.store.apply(service({ name: 'web', type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] }));
      publish(sim, 'endpointslices', [...pods(3, 7), { ip: '10.1.0.99', nodeName: 'node-20', ready: false }]);
    });
    expect(addresses(source.cache.get('default/web')?.value)).toEqual([
      '192.168.0.7:30080',
      '192.168.0.8:30080',
      '192.168.0.9:30080',
    ]);
    sim.store.apply(node({ name: 'node-8', internalIP: '192.168.0.8', ready: false }));
    await waitFor(() => source.cache.get('default/web')?.value.members.length === 2, { what: 'NotReady node removed' });
    expect(addresses(source.cache.get('default/web')?.value)).toEqual(['192.168.0.7:30080', '192.168.0.9:30080']);
    sim.store.apply(
      node({ name: 'node-9', internalIP: '192.168.0.9', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }),
    );
    await waitFor(() => source.cache.get('default/web')?.value.members.length === 1, { what: 'excluded node removed' });
    sim.store.apply(node({ name: 'node-8', internalIP: '192.168.0.8' }));
    await waitFor(() => source.cache.get('default/web')?.value.members.length === 2, { what: 'node Ready again' });
  });

  it('NodePort mode with ExternalIP', async () => {
    const { source } = await start({ services: ['web'], mode: 'nodeport', nodeAddressType: 'ExternalIP', endpointsApi: 'endpoints' }, (sim) => {
      for (let i = 1; i <= 3; i++) sim.store.apply(node({ name: `node-${i}`, internalIP: `192.168.0.${i}`, externalIP: `203.0.113.${i}` }));
      sim.store.apply(service({ name: 'web', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }));
      publish(sim, 'endpoints', pods(2));
    });
    expect(addresses(source.cache.get('default/web')?.value)).toEqual(['203.0.113.1:30080', '203.0.113.2:30080']);
  });

  it('chooses the port by name, keeps only ready endpoints, and honours publishNotReadyAddresses', async () => {
    const ports = [
      { name: 'http', port: 8080 },
      { name: 'metrics', port: 9090 },
    ];
    const list: EndpointSpec[] = [{ ip: '10.1.0.1' }, { ip: '10.1.0.2', ready: false }];
    const { sim, source } = await start({ labelSelector: 'team=a', portName: 'metrics' }, (sim) => {
      sim.store.apply(service({ name: 'api', labels: { team: 'a' }, ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9 }] }));
      sim.store.apply(service({ name: 'db', labels: { team: 'b' }, ports: [{ name: 'metrics', port: 9 }] }));
      sim.store.apply(endpointSlice({ name: 'api-1', service: 'api', endpoints: list, ports }));
      sim.store.apply(endpointSlice({ name: 'db-1', service: 'db', endpoints: list, ports }));
    });
    expect([...source.cache.keys()]).toEqual(['default/api']);
    expect(addresses(source.cache.get('default/api')?.value)).toEqual(['10.1.0.1:9090']);
    sim.store.apply(
      service({ name: 'api', labels: { team: 'a' }, publishNotReadyAddresses: true, ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9 }] }),
    );
    await waitFor(() => source.cache.get('default/api')?.value.members.length === 2, { what: 'not-ready published' });
    sim.store.apply(service({ name: 'api', labels: { team: 'x' }, ports: [{ name: 'metrics', port: 9 }] }));
    await waitFor(() => !source.cache.has('default/api'), { what: 'deselected by label' });
  });

  it('converges through a stall, a disconnect, an expiry and a malformed line, reporting the malformed line', async () => {
    const { sim, source, errors } = await start({ services: ['web'] }, (sim) => {
      sim.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
      publish(sim, 'endpointslices', pods(4));
    });
    await waitFor(() => sim.openWatches === 2);
    sim.faults.stallWatches();
    publish(sim, 'endpointslices', pods(6));
    sim.faults.expireHistory({ closeWatches: false });
    await waitFor(() => source.cache.get('default/web')?.value.members.length === 6, { what: 'after stall + expiry' });
    await waitFor(() => sim.openWatches === 2);
    sim.faults.dropWatches();
    publish(sim, 'endpointslices', pods(5));
    await waitFor(() => source.cache.get('default/web')?.value.members.length === 5, { what: 'after drop' });
    await waitFor(() => sim.openWatches === 2);
    sim.faults.corruptNextEvent();
    publish(sim, 'endpointslices', pods(3));
    await waitFor(() => source.cache.get('default/web')?.value.members.length === 3, { what: 'after malformed line' });
    expect(source.malformed).toBeGreaterThanOrEqual(1);
    expect(errors.some((e) => e.code === 'NITROX_MALFORMED_EVENT')).toBe(true);
  });

  it('re-opens a silent watch after the default idle timeout (longest watch timeout + 30 s), on virtual time', async () => {
    const clock = new VirtualClock();
    // No bookmarks: a healthy quiet watch and a stalled one look alike until the server's timeout ends the first.
    sim = await startKubeSimulator({ bookmarkIntervalMs: 0 });
    sim.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    publish(sim, 'endpointslices', pods(4));
    source = new KubernetesSource({ kubeConfig: sim.kubeConfig(), services: ['web'], clock, random: () => 0.999 });
    source.start();
    await source.waitForSync();
    const current = sim;
    await waitFor(() => current.openWatches === 2, { what: 'both watches open' });
    // The server-side timeout the watch asked for stays below the idle timeout: a healthy watch ends first.
    expect(Number(current.stats.lastWatchQuery?.timeoutSeconds)).toBe(599);
    current.faults.stallWatches();
    publish(current, 'endpointslices', pods(6));
    await clock.advance(629_999);
    const endpoints = source.informers.endpoints;
    expect(endpoints.stats.watchRestarts).toBe(0);
    expect(source.cache.get('default/web')?.value.members).toHaveLength(4);
    await clock.advance(1);
    await waitFor(() => source?.cache.get('default/web')?.value.members.length === 6, { what: 'change seen after the idle timeout' });
    expect(endpoints.stats).toMatchObject({ watchRestarts: 1, relists: 0 });
  });

  it('watches dropped every 40 s for 20 minutes are re-opened at once, on virtual time; contact is reported', async () => {
    const clock = new VirtualClock();
    sim = await startKubeSimulator({ bookmarkIntervalMs: 0 });
    sim.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    publish(sim, 'endpointslices', pods(2));
    // Default backoff, maximal jitter: before the fix the 30th drop waited up to a minute.
    source = new KubernetesSource({ kubeConfig: sim.kubeConfig(), services: ['web'], clock, random: () => 0.999 });
    const down: number[] = [];
    source.on('reconnected', (_resource, ms) => down.push(ms));
    source.on('error', () => {});
    source.start();
    await source.waitForSync();
    const current = sim;
    const live = source;
    await waitFor(() => current.openWatches === 2, { what: 'both watches open' });
    await clock.advance(2_000);
    expect(live.disconnectedSince).toBeUndefined();
    for (let drop = 1; drop <= 30; drop++) {
      await clock.advance(38_000);
      expect(current.faults.dropWatches()).toBe(2);
      const droppedAt = clock.now();
      // Re-opened without virtual time passing, or at worst within 2 s of it: never a backoff that grew.
      try {
        await waitFor(() => current.openWatches === 2, { what: `watches re-opened after drop ${drop}`, timeoutMs: 5_000 });
      } catch {
        await clock.advance(2_000);
        await waitFor(() => current.openWatches === 2, { what: `watches re-opened within 2 s of drop ${drop}`, timeoutMs: 5_000 });
      }
      expect(clock.now() - droppedAt).toBeLessThanOrEqual(2_000);
      publish(current, 'endpointslices', pods(2 + (drop % 3)));
      await waitFor(() => live.cache.get('default/web')?.value.members.length === 2 + (drop % 3), { what: `change after drop ${drop}` });
      await clock.advance(2_000 - (clock.now() - droppedAt));
      expect(live.disconnectedSince).toBeUndefined();
    }
    expect(source.informers.endpoints.stats).toMatchObject({ watchRestarts: 30, relists: 0 });
    expect(Math.max(...down.slice(1))).toBeLessThanOrEqual(2_000);
  }, 120_000);

  it('reports wrong credentials as SourceError 401 without the secret, keeps retrying, and syncs once they are accepted', async () => {
    sim = await startKubeSimulator({ token: 'the-right-token' });
    sim.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    source = new KubernetesSource({ kubeConfig: sim.kubeConfig({ token: 'a-wrong-token' }), backoff: { initialMs: 10, maxMs: 20 } });
    const errors: NitroxError[] = [];
    source.on('error', (e) => errors.push(e));
    source.start();
    await waitFor(() => errors.length >= 4, { what: 'repeated 401s' });
    expect(source.hasSynced()).toBe(false);
    for (const e of errors) {
      expect(e).toBeInstanceOf(SourceError);
      expect(e).toMatchObject({ status: 401, peerCode: 'Unauthorized' });
      expect(e.message).toMatch(/^list (services|endpointslices): HTTP 401 Unauthorized: Unauthorized \(check the token or client certificate\)$/);
      const everything = `${e.message} ${e.stack} ${JSON.stringify(e)} ${String(e.cause)}`;
      expect(everything).not.toContain('a-wrong-token');
      expect(everything).not.toContain('the-right-token');
    }
    expect(source.stats.services.errors).toBeGreaterThanOrEqual(2);
    sim.setToken('a-wrong-token'); // the server now accepts what the source sends: it recovers by itself
    await source.waitForSync();
    expect([...source.cache.keys()]).toEqual(['default/web']);
  });

  it('feeds a core Controller that keeps a sink equal to the pools', async () => {
    const { sim, source } = await start({ services: ['web'] }, (sim) => {
      sim.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
      publish(sim, 'endpointslices', pods(4));
    });
    const pools = new Map<string, string[]>();
    const sink: Sink<BackendSet> = {
      observe: async (key) => (pools.has(key) ? { name: key, members: [] } : undefined),
      apply: async (key, desired) => {
        if (desired === undefined) pools.delete(key);
        else pools.set(key, addresses(desired));
        return { added: 0, updated: 0, removed: 0, writes: 1 };
      },
    };
    const controller = new Controller({ source, reconcile: sinkReconciler(sink) });
    controller.start();
    try {
      await waitFor(() => pools.get('default/web')?.length === 4, { what: 'sink has 4 members' });
      publish(sim, 'endpointslices', pods(2));
      await waitFor(() => pools.get('default/web')?.length === 2, { what: 'sink has 2 members' });
    } finally {
      await controller.stop();
    }
  });

  it('validates options eagerly, naming the option', () => {
    const kubeConfig = { getCurrentCluster: () => ({ server: 'http://127.0.0.1:1' }), getCurrentUser: () => null, getContextObject: () => null, getCurrentContext: () => '' };
    const make = (o: Partial<KubernetesSourceOptions>) => () =>
      new KubernetesSource({ kubeConfig: kubeConfig as never, ...o });
    expect(make({ mode: 'nodes' as never })).toThrow(/mode/);
    expect(make({ services: ['other/web'] })).toThrow(/services\[0\]/);
    expect(make({ labelSelector: 'a in b' })).toThrow(/labelSelector/);
    expect(() => new KubernetesSource({})).toThrow(/kubeConfig/);
  });
});
