/**
 * One `kubernetes` source entry feeding mappings of different shapes — the same service in `pod` mode on one
 * port and in `nodeport` mode on another, and a second service — through the real factories and the API-server
 * and NITRO simulators: every pool converges to its own projection while the source holds exactly one watch per
 * resource (Services, EndpointSlices, Nodes), and a node change moves only the NodePort pool.
 */
import { endpointSlice, node, service, startKubeSimulator } from '@nitrox/kubernetes/testing';
import { startNitroSimulator } from '@nitrox/netscaler/testing';
import { expect, it } from 'vitest';
import { createFactories } from '../src/runtime/factories.js';
import { resolveConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/ops/logger.js';
import { NitroxMetrics } from '../src/ops/metrics.js';
import { NitroxRuntime } from '../src/runtime/runtime.js';
import { waitFor } from './helpers.js';

it('shares one set of informers among mappings of different modes and ports', async () => {
  const kube = await startKubeSimulator();
  const nitro = await startNitroSimulator({ username: 'nsroot', password: 'ns-pw' });
  let runtime: NitroxRuntime | undefined;
  try {
    for (const i of [1, 2]) kube.store.apply(node({ name: `n${i}`, internalIP: `10.0.0.${i}` }));
    kube.store.apply(
      service({
        name: 'web',
        type: 'NodePort',
        ports: [
          { name: 'http', port: 80, targetPort: 8080, nodePort: 30080 },
          { name: 'admin', port: 81, targetPort: 9090, nodePort: 30081 },
        ],
      }),
    );
    kube.store.apply(service({ name: 'api', ports: [{ name: 'grpc', port: 90, targetPort: 9000 }] }));
    kube.store.apply(
      endpointSlice({
        name: 'web-1',
        service: 'web',
        endpoints: [{ ip: '10.1.0.1', nodeName: 'n1' }, { ip: '10.1.0.2', nodeName: 'n2' }],
        ports: [{ name: 'http', port: 8080 }, { name: 'admin', port: 9090 }],
      }),
    );
    kube.store.apply(endpointSlice({ name: 'api-1', service: 'api', endpoints: [{ ip: '10.2.0.1', nodeName: 'n1' }], ports: [{ name: 'grpc', port: 9000 }] }));

    const config = await resolveConfig(
      {
        sources: { cluster: { type: 'kubernetes', server: kube.url } },
        sinks: { adc: { type: 'netscaler', url: nitro.url, username: 'nsroot', passwordFrom: { env: 'NS_PW' } } },
        defaults: { debounce: '10ms' },
        mappings: [
          { source: 'cluster', app: 'default/web', sink: 'adc', pool: 'web-pods', mode: 'pod', port: 'http' },
          { source: 'cluster', app: 'default/web', sink: 'adc', pool: 'web-admin', mode: 'nodeport', port: 'admin' },
          { source: 'cluster', app: 'default/api', sink: 'adc', pool: 'api', mode: 'pod' },
        ],
      },
      { env: { NS_PW: 'ns-pw' } },
    );
    const logger = createLogger({ level: 'silent' });
    runtime = new NitroxRuntime({ config, factories: await createFactories(config, logger), logger, metrics: new NitroxMetrics({ defaultMetrics: false }) });
    runtime.start();
    await waitFor('every pool', () =>
      nitro.state.members('web-pods').join() === '10.1.0.1:8080,10.1.0.2:8080' &&
      nitro.state.members('web-admin').join() === '10.0.0.1:30081,10.0.0.2:30081' &&
      nitro.state.members('api').join() === '10.2.0.1:9000',
    );
    expect(runtime.readiness().ready).toBe(true);
    await waitFor('the watches to open', () => kube.openWatches === 3);
    expect(kube.stats.lists).toBe(3);
    expect(kube.stats.watches).toBe(3);

    kube.store.apply(node({ name: 'n2', internalIP: '10.0.0.2', ready: false }));
    await waitFor('the NodePort pool to drop n2', () => nitro.state.members('web-admin').join() === '10.0.0.1:30081');
    expect(nitro.state.members('web-pods')).toEqual(['10.1.0.1:8080', '10.1.0.2:8080']);
    expect(kube.stats.lists).toBe(3);
  } finally {
    await runtime?.stop();
    await kube.close();
    await nitro.close();
  }
}, 60_000);
