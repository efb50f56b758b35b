/**
 * The ListWatch conformance kit against SwarmSource on a REAL 2-node Docker Swarm (the testbed of
 * swarm-source.real.test.ts: needs root and `node scripts/setup.mjs`). Services are created, scaled and removed
 * through the Engine; a short history makes an old revision expire.
 */
import { describeListWatchConformance } from '@nitrox/core/conformance';
import { afterAll, beforeAll } from 'vitest';
import { SwarmSource } from '../src/swarm-source.js';
import { SwarmTestbed, waitFor } from '../src/testing/index.js';

let tb: SwarmTestbed;

beforeAll(async () => {
  tb = await SwarmTestbed.start({ nodes: 2 });
}, 120_000);

afterAll(async () => {
  await tb?.stop();
}, 120_000);

describeListWatchConformance(
  'SwarmSource (real swarm)',
  {
    timeoutMs: 30_000,
    async setup() {
      const source = new SwarmSource({ connection: { socketPath: tb.manager.socketPath }, historyLimit: 3 });
      source.on('error', () => undefined);
      source.start();
      await source.waitForSync(AbortSignal.timeout(30_000));
      const created = new Set<string>();
      const membersOf = (name: string) => source.get(name)?.value.members.length ?? 0;
      return {
        listWatch: source,
        // One operation, one change: a service is created with no task (an empty set) and updated to one running
        // task. Each waits until the source shows it, so the order of changes is the order of the operations.
        async create(name) {
          created.add(name);
          await tb.createHttpService({ name, replicas: 0 });
          await waitFor(() => source.get(name) !== undefined, { timeoutMs: 30_000, what: `${name} listed` });
        },
        async update(name) {
          await tb.scaleService(name, 1);
          await waitFor(() => membersOf(name) === 1, { timeoutMs: 30_000, what: `${name} running` });
        },
        async remove(name) {
          created.delete(name);
          await tb.removeService(name);
        },
        async expire() {
          created.add('conf-filler');
          await tb.createHttpService({ name: 'conf-filler', replicas: 1 });
          for (const n of [2, 1, 2, 1]) {
            await tb.scaleService('conf-filler', n);
            await waitFor(() => membersOf('conf-filler') === n, { timeoutMs: 30_000, what: `conf-filler at ${n} tasks` });
          }
        },
        async teardown() {
          await source.stop();
          for (const name of created) await tb.removeService(name).catch(() => undefined);
        },
      };
    },
    // SwarmSource retries failures itself and reports them as `error` events.
    async reportedError() {
      const source = new SwarmSource({ connection: { socketPath: '/nonexistent/docker.sock' } });
      const error = new Promise<unknown>((resolve) => source.once('error', resolve));
      source.start();
      return { error: await error, stop: () => source.stop() };
    },
  },
  { testTimeoutMs: 180_000 },
);
