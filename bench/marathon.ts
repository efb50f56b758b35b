/**
 * Marathon source against the loopback simulator, with the default timings (debounce 200 ms, max wait 1 s):
 * - burst: one scale 0 → N emits ~7 events per task in one burst; counts events, fetches and time to converge;
 * - rolling: tasks killed and replaced one every 5 ms for 2 s (a paced storm); coalescing ratio events/fetch;
 * - snapshot: 1,000 apps × 5 tasks, time of the first list() (one /v2/apps?embed=apps.tasks and projection);
 * - latency: time from one scale to the pool holding the new size, p50/p95 over 30 runs;
 * - rollingRestart: a config change of an app of 100 health-checked tasks (Marathon's default upgrade: all new
 *   tasks start at once, one old task is killed per new task that turns healthy; tasks stage/start 50 ms each,
 *   first health result after 500 ms, kill grace 200 ms); events, fetches, time until the pool holds exactly the
 *   100 new tasks, and the smallest pool seen on the way (must stay at 100).
 * Run: `npx tsx --conditions=@nitrox/source bench/marathon.ts` (or `npm run bench -- marathon`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MarathonSource } from '../packages/marathon/src/index.js';
import { type MarathonSimulator, startMarathonSimulator, waitFor } from '../packages/marathon/src/testing/index.js';

const fetches = (sim: MarathonSimulator): number => sim.requests.apps + sim.requests.app + sim.requests.appTasks;

/** Wait until the stream is open and the snapshot that follows the connect has been applied (not just started). */
async function connected(sim: MarathonSimulator, source: MarathonSource): Promise<void> {
  let applied = 0;
  source.on('snapshot', () => applied++);
  await source.list(AbortSignal.timeout(30_000));
  await waitFor(() => source.stats.connects >= 1 && applied >= 2, { timeoutMs: 30_000 });
  await waitFor(() => sim.events.open >= 1);
}

async function burst(n: number): Promise<Record<string, number>> {
  const sim = await startMarathonSimulator({ heartbeatMs: 0, apps: [{ id: '/big', instances: 0 }] });
  const source = new MarathonSource({ url: sim.url });
  await connected(sim, source);
  const events0 = sim.events.published;
  const delivered0 = sim.events.delivered;
  const received0 = source.stats.events;
  const fetches0 = fetches(sim);
  const t0 = performance.now();
  sim.apps.scale('/big', n);
  await waitFor(() => source.get('/big')?.value.members.length === n, { timeoutMs: 30_000, intervalMs: 1 });
  const convergeMs = performance.now() - t0;
  const events = sim.events.published - events0;
  // Every event written to the source's stream (the subscribed types) has been received.
  await waitFor(() => source.stats.events - received0 >= sim.events.delivered - delivered0, { timeoutMs: 30_000 });
  const result = { tasks: n, events, fetches: fetches(sim) - fetches0, convergeMs: Math.round(convergeMs) };
  await source.stop();
  await sim.close();
  return result;
}

async function rolling(): Promise<Record<string, number>> {
  const sim = await startMarathonSimulator({ heartbeatMs: 0, apps: [{ id: '/web', instances: 20 }] });
  const source = new MarathonSource({ url: sim.url });
  await connected(sim, source);
  const events0 = sim.events.published;
  const fetches0 = fetches(sim);
  const end = Date.now() + 2_000;
  let kills = 0;
  while (Date.now() < end) {
    const [task] = sim.apps.taskIds('/web');
    sim.apps.killTask(task as string);
    kills++;
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 1_500)); // let the last debounce window fire
  const events = sim.events.published - events0;
  const f = fetches(sim) - fetches0;
  const res = await fetch(`${sim.url}/v2/apps/web/tasks`);
  const { tasks } = (await res.json()) as { tasks: { host: string; ports: number[] }[] };
  const want = tasks.map((t) => `${t.host}:${t.ports[0]}`).sort().join();
  const have = (source.get('/web')?.value.members ?? []).map((m) => `${m.address}:${m.port}`).sort().join();
  if (want !== have) throw new Error('rolling: the pool did not converge');
  await source.stop();
  await sim.close();
  return { kills, events, fetches: f, eventsPerFetch: Math.round(events / f) };
}

async function snapshot(apps: number, tasks: number): Promise<Record<string, number>> {
  const sim = await startMarathonSimulator({
    heartbeatMs: 0,
    apps: Array.from({ length: apps }, (_, i) => ({ id: `/g${i % 20}/app${i}`, instances: tasks })),
  });
  const source = new MarathonSource({ url: sim.url, events: false, snapshotIntervalMs: 0 });
  const t0 = performance.now();
  const { items } = await source.list(AbortSignal.timeout(60_000));
  const listMs = performance.now() - t0;
  const members = items.reduce((n, i) => n + i.value.members.length, 0);
  await source.stop();
  await sim.close();
  return { apps, members, firstListMs: Math.round(listMs) };
}

async function latency(runs: number): Promise<Record<string, number>> {
  const sim = await startMarathonSimulator({ heartbeatMs: 0, apps: [{ id: '/web', instances: 1 }] });
  const source = new MarathonSource({ url: sim.url });
  await connected(sim, source);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const n = i % 2 === 0 ? 3 : 1;
    const t0 = performance.now();
    sim.apps.scale('/web', n);
    await waitFor(() => source.get('/web')?.value.members.length === n, { timeoutMs: 10_000, intervalMs: 1 });
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number);
  await source.stop();
  await sim.close();
  return { runs, p50Ms: at(0.5), p95Ms: at(0.95), debounceMs: 200 };
}

async function rollingRestart(n: number): Promise<Record<string, number>> {
  const sim = await startMarathonSimulator({
    heartbeatMs: 0,
    timing: { startMs: 50, healthMs: 500, killGraceMs: 200 },
    apps: [{ id: '/web', instances: n, healthChecks: true }],
  });
  await waitFor(() => sim.apps.deployments() === 0, { timeoutMs: 30_000 });
  const source = new MarathonSource({ url: sim.url });
  await connected(sim, source);
  const key = (m: { address: string; port: number }): string => `${m.address}:${m.port}`;
  const before = new Set((source.get('/web')?.value.members ?? []).map(key));
  const { revision } = await source.list(AbortSignal.timeout(30_000));
  const stop = new AbortController();
  let minPool = before.size;
  let poolChanges = 0;
  const watching = (async () => {
    try {
      for await (const e of source.watch(revision, stop.signal)) {
        if (e.type === 'bookmark') continue;
        poolChanges++;
        minPool = Math.min(minPool, e.type === 'deleted' ? 0 : e.item.value.members.length);
      }
    } catch {
      // stopped
    }
  })();
  const events0 = sim.events.published;
  const fetches0 = fetches(sim);
  const t0 = performance.now();
  sim.apps.setLabels('/web', { HAPROXY_GROUP: 'external' });
  await waitFor(
    () => {
      const now = (source.get('/web')?.value.members ?? []).map(key);
      return now.length === n && now.every((m) => !before.has(m));
    },
    { timeoutMs: 60_000, intervalMs: 1 },
  );
  const finalPoolMs = performance.now() - t0;
  await waitFor(() => sim.apps.deployments() === 0, { timeoutMs: 30_000 });
  const deploymentMs = performance.now() - t0;
  stop.abort();
  await watching;
  const result = {
    tasks: n,
    events: sim.events.published - events0,
    fetches: fetches(sim) - fetches0,
    poolChanges,
    minPool,
    finalPoolMs: Math.round(finalPoolMs),
    deploymentMs: Math.round(deploymentMs),
  };
  await source.stop();
  await sim.close();
  return result;
}

const result = {
  burst100: await burst(100),
  burst500: await burst(500),
  rolling: await rolling(),
  snapshot: await snapshot(1_000, 5),
  latency: await latency(30),
  rollingRestart100: await rollingRestart(100),
};
console.log(JSON.stringify(result, null, 2));
const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'marathon.json'), `${JSON.stringify(result, null, 2)}\n`);
