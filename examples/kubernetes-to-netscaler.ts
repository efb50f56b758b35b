/**
 * Kubernetes → NetScaler with the library API directly: what `nitrox run` does for one mapping, in a page.
 * A `KubernetesSource` list+watches Services, EndpointSlices (and Nodes in NodePort mode) and projects one
 * `BackendSet` per service; a core `Controller` coalesces changes and applies the latest complete set to a
 * `NetScalerSink`, which changes only the difference. A resync repairs drift made by hand.
 *
 * Against your cluster (kubeconfig or in-cluster) and appliance:
 *   NS_URL=https://10.0.0.1 NS_USER=nitrox NS_PASSWORD=… NS_VSERVER=vs-web \
 *     npx tsx --conditions=@nitrox/source examples/kubernetes-to-netscaler.ts default/web
 * Without NS_URL it starts both simulators on loopback, converges once, and exits.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { Controller, sinkReconciler } from '@nitrox/core';
import { KubernetesSource } from '@nitrox/kubernetes';
import { endpointSlice, service, startKubeSimulator } from '@nitrox/kubernetes/testing';
import { NetScalerSink } from '@nitrox/netscaler';
import { startNitroSimulator } from '@nitrox/netscaler/testing';

const app = process.argv[2] ?? 'default/web';
const simulate = process.env.NS_URL === undefined;

// 1. Where the desired state comes from, and where it goes.
let kubeConfig = new KubeConfig();
let ns = { url: process.env.NS_URL ?? '', username: process.env.NS_USER ?? 'nsroot', password: process.env.NS_PASSWORD ?? '' };
let cleanup = async () => {};
if (simulate) {
  const kube = await startKubeSimulator();
  kube.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
  kube.store.apply(
    endpointSlice({ name: 'web-1', service: 'web', endpoints: [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }, { ip: '10.1.0.3' }], ports: [{ name: 'http', port: 8080 }] }),
  );
  const nitro = await startNitroSimulator({ username: 'nsroot', password: 'demo' });
  nitro.state.addLbvserver({ name: 'vs-web', servicetype: 'HTTP', ipv46: '192.0.2.1', port: 80 });
  kubeConfig = kube.kubeConfig();
  ns = { url: nitro.url, username: 'nsroot', password: 'demo' };
  cleanup = async () => {
    await kube.close();
    await nitro.close();
  };
} else {
  kubeConfig.loadFromDefault(); // $KUBECONFIG, ~/.kube/config, or the in-cluster service account
}

// 2. The source: one BackendSet per selected service (pod IP : target port), watched in the app's namespace
//    (a bare service name uses the kubeconfig context's namespace).
const namespace = app.includes('/') ? app.slice(0, app.indexOf('/')) : undefined;
const source = new KubernetesSource({ kubeConfig, ...(namespace ? { namespace } : {}), services: [app], mode: 'pod' });

// 3. The sink: one servicegroup per app, bound to the administrator's lbvserver; one NITRO session.
const sink = new NetScalerSink({ client: ns, lbvserver: process.env.NS_VSERVER ?? 'vs-web' });

// 4. The controller: latest state wins, bursts coalesced, drift repaired every 5 minutes.
let converged!: () => void;
const firstApply = new Promise<void>((resolve) => {
  converged = resolve;
});
const controller = new Controller({
  source,
  debounceMs: 100,
  resyncMs: 300_000,
  reconcile: sinkReconciler(sink, {
    onApplied: (key, result, desired) => {
      console.log(`${key}: ${desired?.value.members.length ?? 0} members (+${result.added} -${result.removed}, ${result.writes} writes)`);
      converged();
    },
  }),
});

source.start();
controller.start();

const stop = async () => {
  await controller.stop({ drain: true }); // finish in-flight applies
  await source.stop(); // stop watching
  await sink.stop(); // log out
  await cleanup();
};
if (simulate) {
  await firstApply;
  await stop();
} else {
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
