/**
 * A running controller with its dashboard, for the dashboard's tests: the Marathon and NITRO simulators on loopback,
 * the real runtime between them (Marathon app `/web` with 2 instances → pool `web`), and the ops server with the
 * dashboard on a free port.
 */
import { startMarathonSimulator } from '@nitrox/marathon/testing';
import { startNitroSimulator } from '@nitrox/netscaler/testing';
import { resolveConfig } from '../src/config/load-config.js';
import { DashboardState } from '../src/ops/dashboard-state.js';
import { OpsServer } from '../src/ops/http-server.js';
import { createLogger } from '../src/ops/logger.js';
import { NitroxMetrics } from '../src/ops/metrics.js';
import { secretsRedactor } from '../src/ops/redactor.js';
import { createFactories } from '../src/runtime/factories.js';
import { NitroxRuntime } from '../src/runtime/runtime.js';

/** Start the world; `close()` stops everything. */
export async function dashboardWorld(options: { heartbeatMs?: number } = {}) {
  const marathon = await startMarathonSimulator();
  const nitro = await startNitroSimulator({ username: 'nsroot', password: 'ns-pw' });
  marathon.apps.create({ id: '/web', instances: 2 });
  const config = await resolveConfig(
    {
      sources: { mesos: { type: 'marathon', url: marathon.url } },
      sinks: { adc: { type: 'netscaler', url: nitro.url, username: 'nsroot', passwordFrom: { env: 'NS_PW' } } },
      defaults: { debounce: '10ms' },
      mappings: [{ name: 'web', source: 'mesos', app: '/web', sink: 'adc', pool: 'web' }],
    },
    { env: { NS_PW: 'ns-pw' } },
  );
  const logger = createLogger({ level: 'silent' });
  const metrics = new NitroxMetrics({ defaultMetrics: false });
  const runtime = new NitroxRuntime({ config, factories: await createFactories(config, logger), logger, metrics });
  const dashboard = new DashboardState({ runtime, config, redactor: secretsRedactor(config.secrets.values()), refreshMs: 200 });
  const ops = new OpsServer({
    listen: '127.0.0.1:0',
    metrics,
    dashboard,
    readiness: () => runtime.readiness(),
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  const url = `http://${await ops.start()}`;
  return {
    marathon,
    nitro,
    runtime,
    dashboard,
    url,
    async close() {
      await runtime.stop();
      await ops.stop();
      await marathon.close();
      await nitro.close();
    },
  };
}
