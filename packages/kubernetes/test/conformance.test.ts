/**
 * The ListWatch conformance kit against the Kubernetes adapter's KubeListWatch, over HTTP to the API-server
 * simulator: Services are created, labelled and deleted through the simulator's store, and its compaction
 * answers a watch from an old resourceVersion with 410 Expired; it sends a bookmark every 100 ms on a quiet watch.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { describeListWatchConformance } from '@nitrox/core/conformance';
import { KubeConnection } from '../src/kube-connection.js';
import { KubeListWatch } from '../src/kube-list-watch.js';
import { service, startKubeSimulator } from '../src/testing/index.js';

function unreachableConnection(): KubeConnection {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'gone', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'gone' }],
    contexts: [{ name: 'gone', cluster: 'gone', user: 'gone' }],
    currentContext: 'gone',
  });
  return new KubeConnection({ kubeConfig });
}

describeListWatchConformance('KubeListWatch (services, API-server simulator)', {
  async setup() {
    const sim = await startKubeSimulator({ bookmarkIntervalMs: 100 });
    const connection = new KubeConnection({ kubeConfig: sim.kubeConfig() });
    const svc = (name: string, generation: string) => service({ name, labels: { generation }, ports: [{ name: 'http', port: 80 }] });
    return {
      listWatch: new KubeListWatch({ connection, resource: 'services', namespace: 'default', timeoutSeconds: 30 }),
      create: async (name) => void sim.store.apply(svc(name, '1')),
      update: async (name) => void sim.store.apply(svc(name, '2')),
      remove: async (name) => void sim.store.delete('services', 'default', name),
      expire: async () => {
        sim.store.apply(svc('conf-filler', '1'));
        sim.faults.expireHistory();
      },
      keyOf: (name) => `default/${name}`,
      async teardown() {
        await connection.close();
        await sim.close();
      },
    };
  },
  failing: () => new KubeListWatch({ connection: unreachableConnection(), resource: 'services', namespace: 'default' }),
  bookmarks: true,
});
