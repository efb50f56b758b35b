/**
 * `EtcdStore` against a REAL single-node etcd (started here on loopback, fast raft timers), side by side with the
 * bare `etcd3` client doing the same operations on the same server:
 * - puts/s: JSON puts, 32 in flight, alternating rounds of the store and of the bare `client.put(key).value(json)`;
 * - watch-to-informer latency: from the moment a put is sent to the moment an `Informer` over `EtcdStore` emits
 *   the change, vs. the moment a bare `etcd3` watcher emits `put` (p50/p99, sequential samples);
 * - relist of 100k keys: `EtcdStore.list()` (pages of 1000 pinned to one revision, JSON-decoded), vs. the same
 *   paged range with the bare client, time and heap retained by the result (after a full GC).
 * Run: `npx tsx --conditions=@nitrox/source bench/etcd.ts [keys]` (or `npm run bench -- etcd`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Informer } from '../packages/core/src/index.js';
import { createClient, EtcdStore } from '../packages/etcd/src/index.js';
import { prefixEnd } from '../packages/etcd/src/etcd-store.js';
import { EtcdCluster } from '../packages/etcd/src/testing/index.js';

const relistKeys = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) * 100) / 100;
};
const value = (i: number) => ({ name: `app-${i}`, members: [{ address: `10.0.${(i >> 8) & 255}.${i & 255}`, port: 8080, weight: 1 }] });

async function inFlight(total: number, parallel: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

const cluster = await EtcdCluster.start();
try {
  const bare = createClient(cluster.endpoints);
  const store = new EtcdStore<ReturnType<typeof value>>({ endpoints: cluster.endpoints, prefix: '/bench/store/' });

  // puts/s
  const putRounds = { store: [] as number[], bare: [] as number[] };
  for (let round = 0; round < 4; round++) {
    putRounds.store.push(await inFlight(3_000, 32, (i) => store.put(`k${i}`, value(i))));
    putRounds.bare.push(await inFlight(3_000, 32, (i) => bare.put(`/bench/bare/k${i}`).value(JSON.stringify(value(i))).exec()));
  }
  const bestStore = Math.max(...putRounds.store);
  const bestBare = Math.max(...putRounds.bare);
  console.log(`puts/s: store ${Math.round(bestStore)}, bare ${Math.round(bestBare)} (ratio ${(bestStore / bestBare).toFixed(2)})`);

  // watch-to-informer latency
  const samples = 300;
  const informer = new Informer(store, { name: 'bench' });
  informer.start();
  while (!informer.hasSynced()) await new Promise((r) => setTimeout(r, 10));
  const informerMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const seen = new Promise<void>((resolve) => {
      const on = (item: { key: string }) => {
        if (item.key !== 'lat') return;
        informer.off('added', on).off('updated', on);
        resolve();
      };
      informer.on('added', on).on('updated', on);
    });
    const t0 = performance.now();
    await bare.put('/bench/store/lat').value(JSON.stringify(value(i)));
    await seen;
    informerMs.push(performance.now() - t0);
  }
  await informer.stop();
  const watcher = await bare.watch().key('/bench/bare/lat').create();
  const bareMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const seen = new Promise<void>((resolve) => watcher.once('put', () => resolve()));
    const t0 = performance.now();
    await bare.put('/bench/bare/lat').value(JSON.stringify(value(i)));
    await seen;
    bareMs.push(performance.now() - t0);
  }
  await watcher.cancel();
  console.log(`watch latency p50/p99 ms: informer ${pct(informerMs, 50)}/${pct(informerMs, 99)}, bare watcher ${pct(bareMs, 50)}/${pct(bareMs, 99)}`);

  // relist of N keys
  const big = new EtcdStore<ReturnType<typeof value>>({ client: bare, prefix: '/bench/big/' });
  for (let i = 0; i < relistKeys; i += 128) {
    const ops = [];
    for (let j = i; j < Math.min(relistKeys, i + 128); j++) {
      ops.push({ request_put: { key: Buffer.from(`/bench/big/k${String(j).padStart(6, '0')}`), value: Buffer.from(JSON.stringify(value(j))) } });
    }
    await bare.kv.txn({ success: ops });
  }
  const relist = async (fn: () => Promise<unknown[]>) => {
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const items = await fn();
    const ms = performance.now() - t0;
    gc();
    const heapMiB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    if (items.length !== relistKeys) throw new Error(`listed ${items.length} of ${relistKeys}`);
    return { ms: Math.round(ms), heapMiB: Math.round(heapMiB * 10) / 10, items };
  };
  const bareList = async (): Promise<unknown[]> => {
    const prefix = Buffer.from('/bench/big/');
    const end = prefixEnd(prefix);
    const out: unknown[] = [];
    let from = prefix;
    let revision = 0;
    for (;;) {
      const res = await bare.kv.range({ key: from, range_end: end, limit: 1000, revision });
      if (revision === 0) revision = Number(res.header.revision);
      for (const kv of res.kvs) out.push({ key: kv.key.toString(), version: Number(kv.mod_revision), value: JSON.parse(kv.value.toString()) });
      const last = res.kvs.at(-1);
      if (!res.more || last === undefined) return out;
      from = Buffer.concat([last.key, Buffer.from([0])]);
    }
  };
  const relists = { store: [] as { ms: number; heapMiB: number }[], bare: [] as { ms: number; heapMiB: number }[] };
  for (let round = 0; round < 3; round++) {
    const s = await relist(async () => (await big.list()).items as unknown[]);
    relists.store.push({ ms: s.ms, heapMiB: s.heapMiB });
    s.items.length = 0;
    const b = await relist(bareList);
    relists.bare.push({ ms: b.ms, heapMiB: b.heapMiB });
    b.items.length = 0;
  }
  const minMs = (xs: { ms: number }[]) => Math.min(...xs.map((x) => x.ms));
  console.log(`relist ${relistKeys} keys: store ${minMs(relists.store)} ms (${relists.store[0]?.heapMiB} MiB), bare ${minMs(relists.bare)} ms (${relists.bare[0]?.heapMiB} MiB)`);

  const result = {
    name: 'etcd',
    etcd: '3.4 single node on loopback',
    puts: { parallel: 32, perRound: 3_000, storePerSec: Math.round(bestStore), barePerSec: Math.round(bestBare), ratio: Math.round((bestStore / bestBare) * 100) / 100, rounds: putRounds },
    watchLatencyMs: {
      samples,
      informer: { p50: pct(informerMs, 50), p99: pct(informerMs, 99) },
      bareWatcher: { p50: pct(bareMs, 50), p99: pct(bareMs, 99) },
    },
    relist: { keys: relistKeys, pageSize: 1000, storeMs: minMs(relists.store), bareMs: minMs(relists.bare), storeHeapMiB: relists.store[0]?.heapMiB, bareHeapMiB: relists.bare[0]?.heapMiB, rounds: relists },
  };
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'etcd.json'), `${JSON.stringify(result, null, 2)}\n`);
  store.close();
  bare.close();
} finally {
  await cluster.stop();
}
