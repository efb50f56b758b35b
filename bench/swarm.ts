/**
 * Swarm source against a REAL 1-node Docker Swarm (testbed: dockerd in a network namespace; needs root):
 * time from `docker service scale` (Engine API) to the SwarmSource emitting the backend set with the new
 * member count, median over repeats, with events on and with polling alone (default 2 s fallback poll),
 * side by side. Alternates scale 1 → 3 (containers must start) and 3 → 1 (tasks stop). For context it also
 * reports when the Engine itself first listed every desired task as running (probed every 20 ms), and the
 * Engine API requests the source made per change. Finally a burst: scale 1 → 20 and a forced rolling update
 * of those 20 tasks (all at once), counting the events the source received and the requests it made.
 * (The testbed has 2 nodes; the scale service is pinned to the manager, as on a 1-node swarm.)
 * Dead tasks: `kills` SIGKILLs of a task's container, alternately on the worker and on the manager, each
 * timed from when the manager's `/tasks` stops listing the task as running until the set loses the member.
 * Idle cost: Engine API requests per minute of a source with nothing changing, on the real swarm (1 service)
 * and on a recorded-shape fake Engine (test/fake-engine-server.ts) with 1, 100 and 1,000 services, with the
 * size and client-side time of one task poll.
 * Run: `npx tsx --conditions=@nitrox/source bench/swarm.ts [repeats] [kills] [idleSeconds]` (or `npm run bench -- swarm`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineClient, SwarmSource, SwarmState, type SwarmSourceOptions, type SwarmTask } from '../packages/swarm/src/index.js';
import { SwarmTestbed, waitFor } from '../packages/swarm/src/testing/index.js';
import { type KillSample, killAndMeasure, median, steady } from '../packages/swarm/test/dead-task-lag.js';
import { FakeEngineServer } from '../packages/swarm/test/fake-engine-server.js';

const repeats = Number(process.argv[2] ?? 5);
const kills = Number(process.argv[3] ?? 10);
const idleSeconds = Number(process.argv[4] ?? 30);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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

/** `kills` task kills alternating worker / manager; lag after the API per kill. */
async function deadTasks(tb: SwarmTestbed): Promise<Record<string, unknown>> {
  await tb.createHttpService({ name: 'victim', replicas: 4, restartDelayMs: 3_000 });
  const source = new SwarmSource({ connection: { socketPath: tb.manager.socketPath } });
  source.start();
  try {
    await steady(tb, source, 'victim', 4);
    const samples: KillSample[] = [];
    for (let i = 0; i < kills; i++) {
      const sample = await killAndMeasure(tb, source, 'victim', tb.nodes[i % 2 === 0 ? 1 : 0] as (typeof tb.nodes)[number], 4);
      console.log(`kill on ${sample.node}: API dropped it after ${sample.apiMs} ms, the pool after ${sample.poolMs} ms (lag ${sample.lagMs} ms, ${sample.noticedBy})`);
      samples.push(sample);
    }
    const lags = (node?: string) => samples.filter((x) => node === undefined || x.node === node).map((x) => x.lagMs);
    const noticedBy: Record<string, number> = {};
    for (const x of samples) noticedBy[x.noticedBy] = (noticedBy[x.noticedBy] ?? 0) + 1;
    // Idle cost on the real swarm: one service, nothing changing.
    await pause(3_000);
    const before = source.stats.requests;
    await pause(idleSeconds * 1_000);
    const idleRequestsPerMin = Math.round(((source.stats.requests - before) * 60) / idleSeconds);
    return {
      kills,
      lagAfterApiMs: { p50: median(lags()), max: Math.max(...lags()) },
      worker: { p50: median(lags('node2')), max: Math.max(...lags('node2')) },
      manager: { p50: median(lags('node1')), max: Math.max(...lags('node1')) },
      apiDropMedianMs: median(samples.map((x) => x.apiMs)),
      noticedBy,
      realIdleRequestsPerMin: idleRequestsPerMin,
      samples,
    };
  } finally {
    await source.stop();
    await tb.removeService('victim');
  }
}

/** Idle requests per minute and the cost of one task poll against a fake Engine with `services` services. */
async function idleCost(services: number, options: SwarmSourceOptions = {}): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'nitrox-bench-engine-'));
  const socketPath = join(dir, 'engine.sock');
  const engine = await FakeEngineServer.start(socketPath, services);
  const source = new SwarmSource({ connection: { socketPath }, ...options });
  try {
    await source.list(AbortSignal.timeout(60_000));
    await waitFor(() => (source.eventsConnected ? true : undefined));
    await pause(2_000);
    const before = engine.requests;
    const tasksBefore = engine.counts.tasks?.requests ?? 0;
    const bytesBefore = engine.counts.tasks?.bytes ?? 0;
    await pause(idleSeconds * 1_000);
    const taskPolls = (engine.counts.tasks?.requests ?? 0) - tasksBefore;
    // One task poll, client side: request + JSON parse, then the digest comparison in the state.
    const client = new EngineClient({ socketPath });
    const state = new SwarmState();
    const all = await client.tasks(AbortSignal.timeout(30_000));
    const ids = [...new Set(all.map((t) => t.ServiceID as string))];
    state.replaceAll(ids.map((ID) => ({ ID, Version: { Index: 1 } })), all, []);
    const fetchMs: number[] = [];
    const digestMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const tasks: SwarmTask[] = await client.tasks(AbortSignal.timeout(30_000));
      const t1 = performance.now();
      state.replaceTasks(ids, tasks);
      fetchMs.push(t1 - t0);
      digestMs.push(performance.now() - t1);
    }
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      services: services,
      tasks: all.length,
      idleRequestsPerMin: Math.round(((engine.requests - before) * 60) / idleSeconds),
      taskPollsPerMin: Math.round((taskPolls * 60) / idleSeconds),
      taskPollBytes: taskPolls > 0 ? Math.round(((engine.counts.tasks?.bytes ?? 0) - bytesBefore) / taskPolls) : 0,
      taskPollFetchMsMedian: round(median(fetchMs.map((x) => x * 10)) / 10),
      taskPollDigestMsMedian: round(median(digestMs.map((x) => x * 10)) / 10),
    };
  } finally {
    await source.stop();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const tb = await SwarmTestbed.start({ nodes: 2 });
let deadTask: Record<string, unknown>;
let withEvents: Sample;
let pollingOnly: Sample;
let burst20: Record<string, number>;
try {
  await tb.createHttpService({ name: 'bench', replicas: 1, constraints: ['node.role==manager'] });
  withEvents = await measure(tb, true);
  pollingOnly = await measure(tb, false);
  burst20 = await burst(tb, 20);
  await tb.removeService('bench');
  deadTask = await deadTasks(tb);
} finally {
  await tb.stop();
}
{
  const idle: Record<string, unknown>[] = [];
  for (const n of [1, 100, 1_000]) {
    const row = await idleCost(n);
    console.log(`idle, ${n} services (all selected: unfiltered task poll): ${JSON.stringify(row)}`);
    idle.push({ ...row, select: 'all' });
  }
  // A selector makes the task poll name every selected service ID in its filter.
  const filtered = await idleCost(1_000, { select: { labels: {} } });
  console.log(`idle, 1000 services selected by label (filtered task poll): ${JSON.stringify(filtered)}`);
  idle.push({ ...filtered, select: 'labels' });
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
    swarm: '2-node dockerd 20.10 testbed, service pinned to the manager, with --init, scale 1 → 3 (up) and 3 → 1 (down)',
    defaults: { debounceMs: 50, maxWaitMs: 500, settlePollMs: 250, fallbackPollMs: 2_000, pollIntervalMs: 15_000 },
    events: summarize(withEvents),
    pollingOnly: summarize(pollingOnly),
    burst: burst20,
    deadTask: { swarm: '2 nodes, 4 host-mode tasks, restart delay 3 s', taskPollMs: 500, ...deadTask },
    idle,
  };
  console.table({
    'events on': { up: result.events.scaleUpMedianMs, down: result.events.scaleDownMedianMs, req: result.events.requestsPerChangeMedian },
    'polling only': { up: result.pollingOnly.scaleUpMedianMs, down: result.pollingOnly.scaleDownMedianMs, req: result.pollingOnly.requestsPerChangeMedian },
  });
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'swarm.json'), `${JSON.stringify(result, null, 2)}\n`);
}
