/**
 * Two `nitrox run` replicas with `leaderElection: { type: etcd }` over a real etcd (the source is the Kubernetes
 * API-server simulator, the sink the NITRO simulator): only the leader writes to the NetScaler; when it shuts
 * down, the other replica takes the lock and keeps the pool converged.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdLeaseLock } from '@nitrox/etcd';
import { endpointSlice, type KubeSimulator, service, startKubeSimulator } from '@nitrox/kubernetes/testing';
import { EtcdCluster } from '@nitrox/etcd/testing';
import { type NitroSimulator, startNitroSimulator } from '@nitrox/netscaler/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exitWithin, killAll, metric, spawnCli, waitFor } from './helpers.js';

let kube: KubeSimulator;
let nitro: NitroSimulator;
let configFile: string;
let etcd: EtcdCluster;

function publish(ips: string[]): void {
  kube.store.apply(
    endpointSlice({ name: 'web-1', service: 'web', endpoints: ips.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080 }] }),
  );
}

beforeAll(async () => {
  etcd = await EtcdCluster.start();
  kube = await startKubeSimulator();
  nitro = await startNitroSimulator({ username: 'nsroot', password: 'pw-for-election' });
  kube.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
  publish(['10.2.0.1']);
  const dir = await mkdtemp(join(tmpdir(), 'nitrox-le-etcd-'));
  configFile = join(dir, 'nitrox.json');
  await writeFile(
    configFile,
    JSON.stringify({
      http: { listen: '127.0.0.1:0' },
      sources: { cluster: { type: 'kubernetes', server: kube.url } },
      sinks: { adc: { type: 'netscaler', url: nitro.url, username: 'nsroot', passwordFrom: { env: 'TEST_NS_PASSWORD' } } },
      defaults: { debounce: '10ms' },
      mappings: [{ name: 'web', source: 'cluster', app: 'default/web', sink: 'adc', pool: 'sg-web', mode: 'pod' }],
      leaderElection: { type: 'etcd', endpoints: etcd.endpoints, prefix: '/nitrox-test/', name: 'leader', leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '250ms' },
    }),
  );
});

afterAll(async () => {
  await killAll();
  await kube?.close();
  await nitro?.close();
  await etcd?.stop();
});

it('lets only the etcd lock holder write, and fails over when it stops', async () => {
  const env = { TEST_NS_PASSWORD: 'pw-for-election' };
  const a = spawnCli(['run', '--config', configFile], { ...env, HOSTNAME: 'replica-a' });
  await waitFor('replica a to converge the pool', () => nitro.state.members('sg-web').join() === '10.2.0.1:8080', 30_000);
  expect(await metric(a, 'nitrox_leader')).toBe(1);

  const b = spawnCli(['run', '--config', configFile], { ...env, HOSTNAME: 'replica-b' });
  await waitFor('replica b to sync as a follower', async () => (await metric(b, 'nitrox_source_synced{source="cluster"}')) === 1, 30_000);
  expect(await metric(b, 'nitrox_leader')).toBe(0);
  const lock = new EtcdLeaseLock({ endpoints: etcd.endpoints, key: '/nitrox-test/default/leader' });
  expect((await lock.get())?.holderIdentity).toMatch(/^replica-a-/);
  await lock.close();

  a.child.kill('SIGTERM');
  expect(await exitWithin(a)).toBe(0);
  await waitFor('replica b to take the lease', async () => (await metric(b, 'nitrox_leader')) === 1, 30_000);
  publish(['10.2.0.1', '10.2.0.2']);
  await waitFor('replica b to converge the change', () => nitro.state.members('sg-web').join() === '10.2.0.1:8080,10.2.0.2:8080', 30_000);

  b.child.kill('SIGTERM');
  expect(await exitWithin(b)).toBe(0);
}, 90_000);
