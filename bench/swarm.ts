/**
 * Swarm source against a REAL 1-node Docker Swarm (testbed: dockerd in a network namespace; needs root):
 * time from `docker service scale` (Engine API) to the SwarmSource emitting the backend set with the new
 * member count, median over repeats, with events on and with polling alone (default 2 s fallback poll),
 * side by side. Alternates scale 1 → 3 (containers must start) and 3 → 1 (tasks stop). For context it also
 * reports when the Engine itself first listed every desired task as running (probed every 20 ms), and the
 * Engine API requests the source made per change. Finally a burst: scale 1 → 20 and a forced rolling update
 * of those 20 tasks (all at once), counting the events the source received and the requests it made.
 * Run: `npx tsx --conditions=@nitrox/source bench/swarm.ts [repeats]` (or `npm run bench -- swarm`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwarmSource } from '../packages/swarm/src/index.js';
import { SwarmTestbed, waitFor } from '../packages/swarm/src/testing/index.js';

const repeats = Number(process.argv[2] ?? 5);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return Math.round(s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2);
};

interface Sample {
  up: number[];
  down: number[];
  engineUp: number[];
  engineDown: number[];
  requests: number[];
}

async function engineRunning(tb: SwarmTestbed, count: number, t0: number): Promise<number> {
  return waitFor(
    async () => {
      const tasks = (await tb.manager.docker.listTasks({ filters: { service: ['bench'], 'desired-state': ['running'] } })) as {
        Status: { State: string };
      }[];
      return tasks.length === count && tasks.every((t) => t.Status.State === 'running') ? performance.now() - t0 : undefined;
    },
    { intervalMs: 20, timeoutMs: 60_000, what: `engine lists ${count} running` },
  );
}

async function measure(tb: SwarmTestbed, events: boolean): Promise<Sample> {
  const source = new SwarmSource({ connection: { socketPath: tb.manager.socketPath }, events });
  const sample: Sample = { up: [], down: [], engineUp: [], engineDown: [], requests: [] };
  source.on('error', (e) => console.log('source error:', e.message));
  if (process.env.DEBUG_SWARM) source.on('pass', (p) => console.log(Math.round(performance.now()), JSON.stringify(p), source.get('bench')?.value.members.length));
  await source.list(AbortSignal.timeout(30_000));
  if (events) await waitFor(() => (source.eventsConnected ? true : undefined));
  await waitFor(() => (source.get('bench')?.value.members.length === 1 ? true : undefined), { timeoutMs: 30_000 });
  try {
    for (let i = 0; i < repeats * 2; i++) {
      const target = i % 2 === 0 ? 3 : 1;
      const requests0 = source.stats.requests;
      let emittedAt: number | undefined;
      const onPass = (): void => {
        if (emittedAt === undefined && source.get('bench')?.value.members.length === target) emittedAt = performance.now();
      };
      source.on('pass', onPass);
      const t0 = performance.now();
      await tb.scaleService('bench', target);
      const [engineMs] = await Promise.all([
        engineRunning(tb, target, t0),
        waitFor(() => (emittedAt === undefined ? undefined : true), { intervalMs: 5, timeoutMs: 60_000, what: `set of ${target}` }),
      ]);
      source.off('pass', onPass);
      const ms = (emittedAt as number) - t0;
      (target === 3 ? sample.up : sample.down).push(Math.round(ms));
      (target === 3 ? sample.engineUp : sample.engineDown).push(Math.round(engineMs));
      // Let the follow-up reads finish before counting and before the next scale.
      await new Promise((resolve) => setTimeout(resolve, 300));
      sample.requests.push(source.stats.requests - requests0);
      console.log(`${events ? 'events ' : 'polling'} scale → ${target}: set emitted after ${Math.round(ms)} ms (engine all running ${Math.round(engineMs)} ms)`);
    }
  } finally {
    await source.stop();
  }
  return sample;
}

/** Scale to `n`, then replace every task (`--force`); events received and requests made for each step. */
async function burst(tb: SwarmTestbed, n: number): Promise<Record<string, number>> {
  const source = new SwarmSource({ connection: { socketPath: tb.manager.socketPath } });
  await source.list(AbortSignal.timeout(30_000));
  await waitFor(() => (source.eventsConnected ? true : undefined));
  await waitFor(() => (source.get('bench')?.value.members.length === 1 ? true : undefined), { timeoutMs: 30_000 });
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the on-connect read finish
  try {
    const step = async (change: () => Promise<void>, done: () => boolean) => {
      const before = source.stats;
      const t0 = performance.now();
      await change();
      await waitFor(() => (done() ? true : undefined), { timeoutMs: 120_000, intervalMs: 10, what: 'burst step' });
      const ms = performance.now() - t0;
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // count the follow-up reads too
      const after = source.stats;
      return { ms: Math.round(ms), events: after.events - before.events, requests: after.requests - before.requests };
    };
    const up = await step(
      () => tb.scaleService('bench', n),
      () => source.get('bench')?.value.members.length === n,
    );
    const oldPorts = new Set(source.get('bench')?.value.members.map((m) => m.port));
    const service = tb.manager.docker.getService('bench');
    const rolling = await step(
      async () => {
        const current = (await service.inspect()) as { Version: { Index: number }; Spec: { TaskTemplate: Record<string, unknown> } };
        const force = Number(current.Spec.TaskTemplate.ForceUpdate ?? 0) + 1;
        await service.update({ ...current.Spec, version: current.Version.Index, TaskTemplate: { ...current.Spec.TaskTemplate, ForceUpdate: force } });
      },
      () => {
        const members = source.get('bench')?.value.members ?? [];
        return members.length === n && members.every((m) => !oldPorts.has(m.port));
      },
    );
    console.log(`burst: scale 1 → ${n}: ${JSON.stringify(up)}; rolling update of ${n}: ${JSON.stringify(rolling)}`);
    await tb.scaleService('bench', 1);
    await waitFor(() => (source.get('bench')?.value.members.length === 1 ? true : undefined), { timeoutMs: 60_000 });
    return {
      tasks: n,
      scaleUpMs: up.ms,
      scaleUpEvents: up.events,
      scaleUpRequests: up.requests,
      rollingMs: rolling.ms,
      rollingEvents: rolling.events,
      rollingRequests: rolling.requests,
    };
  } finally {
    await source.stop();
  }
}

const tb = await SwarmTestbed.start({ nodes: 1 });
try {
  await tb.createHttpService({ name: 'bench', replicas: 1 });
  const withEvents = await measure(tb, true);
  const pollingOnly = await measure(tb, false);
  const burst20 = await burst(tb, 20);
  const summarize = (s: Sample) => ({
    scaleUpMedianMs: median(s.up),
    scaleDownMedianMs: median(s.down),
    engineAllRunningUpMedianMs: median(s.engineUp),
    requestsPerChangeMedian: median(s.requests),
    scaleUpMs: s.up,
    scaleDownMs: s.down,
  });
  const result = {
    repeats,
    swarm: '1 node, dockerd 20.10 testbed, service with --init, scale 1 → 3 (up) and 3 → 1 (down)',
    defaults: { debounceMs: 50, maxWaitMs: 500, settlePollMs: 250, fallbackPollMs: 2_000, pollIntervalMs: 15_000 },
    events: summarize(withEvents),
    pollingOnly: summarize(pollingOnly),
    burst: burst20,
  };
  console.table({
    'events on': { up: result.events.scaleUpMedianMs, down: result.events.scaleDownMedianMs, req: result.events.requestsPerChangeMedian },
    'polling only': { up: result.pollingOnly.scaleUpMedianMs, down: result.pollingOnly.scaleDownMedianMs, req: result.pollingOnly.requestsPerChangeMedian },
  });
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'swarm.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await tb.stop();
}
