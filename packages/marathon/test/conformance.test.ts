/**
 * The ListWatch conformance kit against MarathonSource over HTTP to the Marathon simulator: apps are created,
 * scaled and destroyed through the simulator, and a short history makes an old revision expire.
 */
import { describeListWatchConformance } from '@nitrox/core/conformance';
import { waitFor } from '@nitrox/core/testing';
import { MarathonSource } from '../src/index.js';
import { startMarathonSimulator } from '../src/testing/index.js';
import { fast } from './helpers.js';

describeListWatchConformance('MarathonSource (Marathon simulator)', {
  async setup() {
    const sim = await startMarathonSimulator({ heartbeatMs: 0 });
    const source = new MarathonSource({ url: sim.url, ...fast, historyLimit: 3 });
    source.on('error', () => undefined);
    source.start();
    await source.waitForSync(AbortSignal.timeout(10_000));
    const membersOf = (id: string) => source.get(id)?.value.members.length ?? 0;
    return {
      listWatch: source,
      create: async (name) => sim.apps.create({ id: `/${name}`, instances: 1 }),
      update: async (name) => sim.apps.scale(`/${name}`, 2),
      remove: async (name) => sim.apps.destroy(`/${name}`),
      async expire() {
        sim.apps.create({ id: '/conf-filler', instances: 1 });
        for (let n = 1; n <= 5; n++) {
          sim.apps.scale('/conf-filler', n);
          await waitFor(() => membersOf('/conf-filler') === n, { timeoutMs: 10_000, what: `filler at ${n} tasks` });
        }
      },
      keyOf: (name) => `/${name}`,
      async teardown() {
        await source.stop();
        await sim.close();
      },
    };
  },
  // MarathonSource retries failures itself and reports them as `error` events.
  async reportedError() {
    const source = new MarathonSource({ url: 'http://127.0.0.1:1', ...fast });
    const error = new Promise<unknown>((resolve) => source.once('error', resolve));
    source.start();
    return { error: await error, stop: () => source.stop() };
  },
});
