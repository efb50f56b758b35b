/**
 * The runtime with a Marathon source (the real adapter, through the configuration and the factories) and the
 * NetScaler sink, against both simulators over loopback HTTP: the pool follows a scale-up and a scale-down.
 */
import { startMarathonSimulator } from '@nitrox/marathon/testing';
import { startNitroSimulator } from '@nitrox/netscaler/testing';
import { expect, it } from 'vitest';
import { createFactories } from '../src/runtime/factories.js';
import { resolveConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/ops/logger.js';
import { NitroxMetrics } from '../src/ops/metrics.js';
import { NitroxRuntime } from '../src/runtime/runtime.js';
import { waitFor } from './helpers.js';

it('keeps a pool equal to a Marathon app through scaling', async () => {
  const marathon = await startMarathonSimulator({ auth: { username: 'ops', password: 'marathon-pw' } });
  const nitro = await startNitroSimulator({ username: 'nsroot', password: 'ns-pw' });
  try {
    marathon.apps.create({ id: '/shop/web', instances: 3, ports: ['http'] });
    const config = await resolveConfig(
      {
        sources: { mesos: { type: 'marathon', url: marathon.url, username: 'ops', passwordFrom: { env: 'MARATHON_PW' } } },
        sinks: { adc: { type: 'netscaler', url: nitro.url, username: 'nsroot', passwordFrom: { env: 'NS_PW' } } },
        defaults: { debounce: '10ms' },
        mappings: [{ source: 'mesos', app: 'shop/web', sink: 'adc', port: 'http', servicegroupType: 'TCP' }],
      },
      { env: { MARATHON_PW: 'marathon-pw', NS_PW: 'ns-pw' } },
    );
    expect(config.mappings[0]?.pool).toBe('shop-web');
    const logger = createLogger({ level: 'silent' });
    const metrics = new NitroxMetrics({ defaultMetrics: false });
    const runtime = new NitroxRuntime({ config, factories: await createFactories(config, logger), logger, metrics });
    runtime.start();
    await waitFor('3 members', () => nitro.state.members('shop-web').length === 3);
    expect(nitro.state.servicegroups.get('shop-web')?.servicetype).toBe('TCP');
    marathon.apps.scale('/shop/web', 5);
    await waitFor('5 members', () => nitro.state.members('shop-web').length === 5);
    marathon.apps.scale('/shop/web', 2);
    await waitFor('2 members', () => nitro.state.members('shop-web').length === 2);
    expect(runtime.readiness().ready).toBe(true);
    expect(await metrics.render()).toMatch(/nitrox_lists_total\{source="mesos"\} [1-9]/);
    await runtime.stop();
  } finally {
    await marathon.close();
    await nitro.close();
  }
});
