/**
 * Watch ingest of the Kubernetes source: 200,000 Endpoints events over 10,000 objects replayed by the
 * API-server simulator, read side by side (each in its own Node process, interleaved rounds) by:
 * - floor: undici stream, split lines, JSON.parse each into a Map — nothing else;
 * - client-node: @kubernetes/client-node 1.x `makeInformer` (its own Watch and ObjectCache);
 * - nitrox: KubeListWatch + core Informer with the pod-mode ingest transform (trimEndpoints);
 * - nitrox-untrimmed: the same without the transform (the raw objects cached), for reference (`--untrimmed`);
 * - floor-node-http: the floor over node:http instead of undici, as client-node reads (`--node-http`), to tell the
 *   HTTP client's share from the rest.
 * Reports wall and CPU time, events/s and heap per cached object (after GC). Targets, judged on the reader's CPU
 * time (wall time swings with other load on a shared machine): nitrox within 1.05x of the floor and faster than
 * client-node, and at most half client-node's heap per object.
 * Run: `npx tsx --conditions=@nitrox/source bench/kubernetes.ts [--events=200000 --objects=10000 --rounds=2 --untrimmed]`
 * (`--serve` only builds the stream and serves it, to profile one reader with `--child=<name> --url=<url>`).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v = ''] = a.replace(/^--/, '').split('=');
    return [k as string, v];
  }),
);
const EVENTS = Number(args.events ?? 200_000);
const OBJECTS = Number(args.objects ?? 10_000);
const ROUNDS = Number(args.rounds ?? 2);
const ALL = ['floor', 'client-node', 'nitrox', 'nitrox-untrimmed', 'floor-node-http'] as const;
type Contender = (typeof ALL)[number];
const CONTENDERS: readonly Contender[] = ALL.filter(
  (c) => (c !== 'nitrox-untrimmed' || 'untrimmed' in args) && (c !== 'floor-node-http' || 'node-http' in args),
);
const PATH = '/api/v1/namespaces/bench/endpoints';

interface RoundResult {
  contender: Contender;
  ms: number;
  /** CPU time of the reader process (user + system): less sensitive than wall time to other load on the machine. */
  cpuMs: number;
  events: number;
  cached: number;
  heapPerObject: number;
}

function gcHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

async function child(contender: Contender, url: string): Promise<void> {
  const total = EVENTS;
  // Load every module first: neither import time nor code size may count as ingest time or cache heap.
  const { request } = await import('undici');
  const { KubeConfig, makeInformer } = await import('@kubernetes/client-node');
  const { Informer } = await import('@nitrox/core');
  const { KubeConnection, KubeListWatch, trimEndpoints } = await import('../packages/kubernetes/src/index.js');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: url, skipTLSVerify: true }],
    users: [{ name: 'sim' }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'sim' }],
    currentContext: 'sim',
  });
  const baseline = gcHeap();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  let count = 0;
  const tick = (): void => {
    if (++count === total) done();
  };
  const watchUrl = `${url}${PATH}?watch=1&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=600`;
  let keep: unknown;
  let size: () => number;
  let stop: () => Promise<void> | void;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  if (contender === 'floor' || contender === 'floor-node-http') {
    const map = new Map<string, unknown>();
    const controller = new AbortController();
    const body =
      contender === 'floor'
        ? (await request(watchUrl, { signal: controller.signal, bodyTimeout: 0 })).body
        : await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
            import('node:http').then(({ get }) => get(watchUrl, { signal: controller.signal }, resolve).on('error', reject), reject);
          });
    body.setEncoding('utf8');
    void (async () => {
      let rest = '';
      try {
        for await (const chunk of body as AsyncIterable<string>) {
          const text = rest + chunk;
          let start = 0;
          let nl = text.indexOf('\n');
          while (nl >= 0) {
            const event = JSON.parse(text.slice(start, nl)) as { type: string; object: { metadata: { namespace: string; name: string } } };
            const key = `${event.object.metadata.namespace}/${event.object.metadata.name}`;
            if (event.type === 'DELETED') map.delete(key);
            else map.set(key, event.object);
            tick();
            start = nl + 1;
            nl = text.indexOf('\n', start);
          }
          rest = text.slice(start);
        }
      } catch {
        // aborted at the end
      }
    })();
    keep = map;
    size = () => map.size;
    stop = () => controller.abort();
  } else if (contender === 'client-node') {
    const informer = makeInformer(kc, PATH, async () => ({ apiVersion: 'v1', kind: 'EndpointsList', metadata: { resourceVersion: '1' }, items: [] }));
    informer.on('add', tick);
    informer.on('update', tick);
    informer.on('delete', tick);
    await informer.start();
    keep = informer;
    size = () => (informer as unknown as { list(): unknown[] }).list().length;
    stop = () => informer.stop();
  } else {
    const connection = new KubeConnection({ kubeConfig: kc });
    const lw = new KubeListWatch({
      connection,
      resource: 'endpoints',
      namespace: 'bench',
      timeoutSeconds: 600,
      ...(contender === 'nitrox' ? { transform: (o: Parameters<typeof trimEndpoints>[0]) => trimEndpoints(o, false) } : {}),
    });
    // The stream is replayed from revision 1, so the list is the empty state before it.
    const source = { list: async () => ({ revision: '1', items: [] }), watch: lw.watch.bind(lw) };
    const informer = new Informer(source);
    informer.on('added', tick);
    informer.on('updated', tick);
    informer.on('deleted', tick);
    informer.start();
    keep = informer;
    size = () => informer.cache.size;
    stop = async () => {
      await informer.stop();
      await connection.close();
    };
  }
  await finished;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await stop();
  const cached = keep === undefined ? 0 : size();
  const heap = gcHeap() - baseline;
  const result: RoundResult = { contender, ms, cpuMs: (cpu.user + cpu.system) / 1000, events: count, cached, heapPerObject: heap / cached };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

function runChild(contender: Contender, url: string): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--expose-gc', '--conditions=@nitrox/source', '--import', 'tsx', fileURLToPath(import.meta.url), `--child=${contender}`, `--url=${url}`, `--events=${EVENTS}`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${contender} exited with ${code}: ${out}`));
      else resolve(JSON.parse(line) as RoundResult);
    });
  });
}

function endpointsObject(i: number, generation: number): Record<string, unknown> {
  const name = `svc-${i}`;
  const addresses = [0, 1, 2].map((k) => {
    const n = (i * 3 + k + generation) % 65_000;
    return {
      ip: `10.${(n >> 8) & 255}.${n & 255}.${(k + generation) % 250}`,
      nodeName: `node-${(i + k) % 50}`,
      targetRef: { kind: 'Pod', namespace: 'bench', name: `${name}-${generation}-${k}`, uid: `5f1c${i.toString(16).padStart(8, '0')}-0000-4000-8000-${(generation * 3 + k).toString(16).padStart(12, '0')}` },
    };
  });
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name,
      namespace: 'bench',
      labels: { app: name, 'app.kubernetes.io/part-of': 'bench' },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': '2026-11-25T17:00:00Z' },
    },
    subsets: [{ addresses, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }] }],
  };
}

async function main(): Promise<void> {
  if (args.child) return child(args.child as Contender, args.url as string);
  const { startKubeSimulator } = await import('../packages/kubernetes/src/testing/index.js');
  const sim = await startKubeSimulator({ historyLimit: EVENTS + 10 });
  const tBuild = performance.now();
  for (let i = 0; i < OBJECTS; i++) sim.store.apply(endpointsObject(i, 0) as never);
  for (let e = OBJECTS; e < EVENTS; e++) sim.store.apply(endpointsObject(e % OBJECTS, Math.floor(e / OBJECTS)) as never);
  console.log(`built ${EVENTS} events over ${OBJECTS} Endpoints in ${Math.round(performance.now() - tBuild)} ms (revision ${sim.store.revision})`);
  if ('serve' in args) {
    // For profiling one reader: `node --cpu-prof … bench/kubernetes.ts --child=nitrox --url=<printed url>`.
    console.log(`serving at ${sim.url}`);
    return;
  }
  const rounds: RoundResult[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const contender of CONTENDERS) {
      const result = await runChild(contender, sim.url);
      rounds.push(result);
      console.log(
        `round ${r + 1} ${contender.padEnd(17)} ${(result.ms / 1000).toFixed(2)} s wall, ${(result.cpuMs / 1000).toFixed(2)} s cpu  ${Math.round((result.events / result.ms) * 1000).toLocaleString('en-US')} events/s  ${Math.round(result.heapPerObject)} B/object  (${result.cached} cached)`,
      );
    }
  }
  await sim.close();
  const best: Record<string, { ms: number; cpuMs: number; eventsPerSec: number; eventsPerCpuSec: number; heapPerObjectBytes: number; cached: number }> = {};
  for (const contender of CONTENDERS) {
    const mine = rounds.filter((r) => r.contender === contender);
    const ms = median(mine.map((r) => r.ms));
    const cpuMs = median(mine.map((r) => r.cpuMs));
    best[contender] = {
      ms: Math.round(ms),
      cpuMs: Math.round(cpuMs),
      eventsPerSec: Math.round((EVENTS / ms) * 1000),
      eventsPerCpuSec: Math.round((EVENTS / cpuMs) * 1000),
      heapPerObjectBytes: Math.round(median(mine.map((r) => r.heapPerObject))),
      cached: mine[0]?.cached ?? 0,
    };
  }
  const b = best as Record<Contender, (typeof best)[string]>;
  const result = {
    events: EVENTS,
    objects: OBJECTS,
    rounds: ROUNDS,
    statistic: 'median of rounds',
    contenders: best,
    wallVsFloor: { nitrox: ratio(b.nitrox.ms, b.floor.ms), clientNode: ratio(b['client-node'].ms, b.floor.ms) },
    cpuVsFloor: {
      nitrox: ratio(b.nitrox.cpuMs, b.floor.cpuMs),
      clientNode: ratio(b['client-node'].cpuMs, b.floor.cpuMs),
      ...(best['floor-node-http'] ? { floorNodeHttp: ratio(best['floor-node-http'].cpuMs, b.floor.cpuMs) } : {}),
    },
    heapVsClientNode: { nitrox: ratio(b.nitrox.heapPerObjectBytes, b['client-node'].heapPerObjectBytes) },
    // Judged on CPU time: on a shared machine wall time swings ±50 % between rounds with other load.
    targets: {
      withinFloor105: b.nitrox.cpuMs <= b.floor.cpuMs * 1.05,
      fasterThanClientNode: b.nitrox.cpuMs < b['client-node'].cpuMs,
      halfClientNodeHeap: b.nitrox.heapPerObjectBytes <= b['client-node'].heapPerObjectBytes / 2,
    },
    node: process.version,
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'kubernetes.json'), `${JSON.stringify(result, null, 2)}\n`);
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}

await main();
