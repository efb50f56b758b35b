import { Informer } from '@nitrox/core';
import { afterEach, expect, it } from 'vitest';
import { KubeConnection } from '../src/kube-connection.js';
import { KubeListWatch } from '../src/kube-list-watch.js';
import { trimEndpoints } from '../src/kube-model.js';
import { endpoints, type KubeSimulator, startKubeSimulator } from '../src/testing/index.js';
import { seededRandom, waitFor } from '@nitrox/core/testing';

let sim: KubeSimulator | undefined;
afterEach(async () => {
  await sim?.close();
});

it('ends equal to the server after 600 random changes mixed with drops, stalls, expiries, 5xx and corrupt lines', async () => {
  sim = await startKubeSimulator({ bookmarkIntervalMs: 50, historyLimit: 200 });
  const connection = new KubeConnection({ kubeConfig: sim.kubeConfig() });
  const informer = new Informer(
    new KubeListWatch({ connection, resource: 'endpoints', namespace: 'default', pageSize: 7, transform: (o, key) => trimEndpoints(o, false, key) }),
    { idleTimeoutMs: 400, backoff: { initialMs: 5, maxMs: 50 } },
  );
  informer.on('error', () => {});
  informer.start();
  await informer.waitForSync();
  const random = seededRandom(42);
  for (let step = 0; step < 600; step++) {
    const name = `e${Math.floor(random() * 30)}`;
    const r = random();
    if (r < 0.2 && sim.store.get('endpoints', 'default', name)) sim.store.delete('endpoints', 'default', name);
    else sim.store.apply(endpoints({ name, addresses: [{ ip: `10.0.0.${step % 250}` }], ports: [{ port: 80 }] }));
    const fault = random();
    if (fault < 0.02) sim.faults.dropWatches();
    else if (fault < 0.03) sim.faults.stallWatches();
    else if (fault < 0.04) sim.faults.expireHistory({ closeWatches: random() < 0.5 });
    else if (fault < 0.05) sim.faults.failRequests({ count: 2, status: 503 });
    else if (fault < 0.06) sim.faults.corruptNextEvent();
    // Let the simulator and the informer exchange I/O between bursts (no timing involved).
    if (step % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const expected = (): string =>
    JSON.stringify(sim?.store.list('endpoints', 'default').map(({ object }) => [`default/${object.metadata.name}`, object.metadata.resourceVersion]));
  const actual = (): string =>
    JSON.stringify([...informer.cache.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map((i) => [i.key, i.sourceVersion]));
  await waitFor(() => expected() === actual(), { timeoutMs: 20_000, what: 'cache equal to the server' });
  expect(informer.stats.relists).toBeGreaterThan(0);
  await informer.stop();
  await connection.close();
});
