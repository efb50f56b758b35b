/**
 * The nitrox controller end to end: NitroxRuntime (the same code `nitrox run` runs) between the Kubernetes
 * API-server simulator and the NITRO simulator, over loopback HTTP. Measures the initial sync of many pools,
 * the latency and NITRO cost of single changes, and how a burst of changes to one service is coalesced.
 *
 * Run: `npx tsx --conditions=@nitrox/source bench/nitrox.ts` (SERVICES=40 PODS=20 CHANGES=30 BURST=100).
 * Writes bench/results/nitrox.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { endpointSlice, service, startKubeSimulator } from '@nitrox/kubernetes/testing';
import { startNitroSimulator } from '@nitrox/netscaler/testing';
import { createFactories, createLogger, NitroxMetrics, NitroxRuntime, resolveConfig } from 'nitrox';

const services = Number(process.env.SERVICES ?? 40);
const pods = Number(process.env.PODS ?? 20);
const changes = Number(process.env.CHANGES ?? 30);
const burst = Number(process.env.BURST ?? 100);

const kube = await startKubeSimulator();
const nitro = await startNitroSimulator({ username: 'nsroot', password: 'bench' });
const ips = new Map<string, string[]>();
const publish = (name: string, list: string[]) => {
  ips.set(name, list);
  kube.store.apply(
    endpointSlice({ name: `${name}-1`, service: name, endpoints: list.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080 }] }),
  );
};
for (let s = 0; s < services; s++) {
  const name = `svc${s}`;
  kube.store.apply(service({ name, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
  publish(name, Array.from({ length: pods }, (_, p) => `10.${Math.floor(s / 200)}.${s % 200}.${p + 1}`));
}

const config = await resolveConfig(
  {
    sources: { cluster: { type: 'kubernetes', server: kube.url } },
    sinks: { adc: { type: 'netscaler', url: nitro.url, username: 'nsroot', passwordFrom: { env: 'PW' } } },
    defaults: { mode: 'pod', debounce: '20ms', maxWait: '200ms', resync: 0 },
    mappings: Array.from({ length: services }, (_, s) => ({ name: `svc${s}`, source: 'cluster', app: `default/svc${s}`, sink: 'adc', pool: `svc${s}`, port: 'http' })),
  },
  { env: { PW: 'bench' } },
);
const logger = createLogger({ level: 'silent' });
const runtime = new NitroxRuntime({ config, factories: await createFactories(config, logger), logger, metrics: new NitroxMetrics() });

const expected = (name: string) =>
  (ips.get(name) ?? [])
    .map((ip) => `${ip}:8080`)
    .sort()
    .join();
const converged = (name: string) => nitro.state.members(name).join() === expected(name);
async function waitUntil(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('did not converge');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const round = (x: number) => Math.round(x * 10) / 10;

// 1. Initial sync: every pool from nothing.
let t0 = performance.now();
runtime.start();
await waitUntil(() => [...ips.keys()].every(converged));
const initial = {
  pools: services,
  membersPerPool: pods,
  ms: round(performance.now() - t0),
  nitroRequests: nitro.requestLog.entries.length,
  nitroWrites: nitro.requestLog.writes().length,
};
console.log(`initial sync of ${services} pools × ${pods} members: ${initial.ms} ms, ${initial.nitroRequests} NITRO requests`);

// 2. Single changes, one at a time: one pod added to a random service.
const latencies: number[] = [];
const calls: number[] = [];
let next = 0;
for (let i = 0; i < changes; i++) {
  const name = `svc${(i * 7) % services}`;
  const before = nitro.requestLog.entries.length;
  t0 = performance.now();
  publish(name, [...(ips.get(name) ?? []), `10.250.${Math.floor(next / 250)}.${(next++ % 250) + 1}`]);
  await waitUntil(() => converged(name));
  latencies.push(performance.now() - t0);
  calls.push(nitro.requestLog.entries.length - before);
}
const single = {
  changes,
  p50Ms: round(quantile(latencies, 0.5)),
  p95Ms: round(quantile(latencies, 0.95)),
  maxMs: round(Math.max(...latencies)),
  nitroCallsPerChange: round(calls.reduce((a, b) => a + b, 0) / calls.length),
  note: 'latency includes the 20 ms debounce',
};
console.log(`single change: p50 ${single.p50Ms} ms, p95 ${single.p95Ms} ms, ${single.nitroCallsPerChange} NITRO calls per change`);

// 3. A burst of changes to one service, as fast as the API server takes them.
const target = 'svc0';
let applies = 0;
runtime.on('converged', (e) => {
  if (e.pool === target) applies++;
});
const writesBefore = nitro.requestLog.writes().length;
const requestsBefore = nitro.requestLog.entries.length;
t0 = performance.now();
for (let i = 0; i < burst; i++) {
  const list = ips.get(target) ?? [];
  publish(target, i % 2 === 0 ? [...list, `10.251.${Math.floor(i / 250)}.${(i % 250) + 1}`] : list.slice(1));
}
await waitUntil(() => converged(target));
const burstMs = performance.now() - t0;
await new Promise((resolve) => setTimeout(resolve, 300)); // let the last apply report (and any straggler run)
const burstResult = {
  updates: burst,
  ms: round(burstMs),
  nitroRequests: nitro.requestLog.entries.length - requestsBefore,
  nitroWrites: nitro.requestLog.writes().length - writesBefore,
  applies,
  note: 'every intermediate state a naive agent would apply costs at least one write; coalescing applies only the newest',
};
console.log(`burst of ${burst} updates: converged in ${burstResult.ms} ms with ${applies} applies, ${burstResult.nitroWrites} NITRO writes`);

await runtime.stop();
await kube.close();
await nitro.close();

const out = { services, pods, initial, single, burst: burstResult, node: process.version };
const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'nitrox.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out, null, 2));
