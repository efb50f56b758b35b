/**
 * @nitrox/http over loopback. (1) Digest catch-up after 100 changes in 1,000,000 keys, follower out of history:
 * bytes both ways and time, against a full paged relist (target: <= 1% of its bytes). (2) 1,000 followers in
 * this process, the server in a child process (bench/http/server-process.ts): time for one change to reach
 * p50/p99 of them (target p99 <= 50 ms), the server's memory per idle follower (target <= 20 KB), the same with
 * a follower that reads 10x slower and one that stops reading (target: others' p99 unchanged), and the server's
 * heap during a 10k changes/s burst followed by 10 followers. Run: `npx tsx --conditions=@nitrox/source bench/http.ts [keys] [followers]`,
 * or `npm run bench -- http`. Results: bench/results/http.json.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStore } from '../packages/core/src/index.js';
import { request } from 'undici';
import {
  buildDigest,
  buildSubDigests,
  type DigestShape,
  decodeDigest,
  differingLeaves,
  encodeDigest,
  type Fingerprint,
  fingerprintsOf,
  HttpListWatch,
  serveListWatch,
  shapeFor,
  type WireDigestAnswer,
} from '../packages/http/src/index.js';
import { followers as fanOutBench } from './http/fan-out.js';

const here = dirname(fileURLToPath(import.meta.url));
const keys = Number(process.argv[2] ?? 1_000_000);
const followerCount = Number(process.argv[3] ?? 1000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
setMaxListeners(0); // one abort signal is shared by every follower's request

/** The pool member of bench/diff.ts. */
interface Member {
  name: string;
  address: string;
  port: number;
  weight: number;
  tags: string[];
}

function member(i: number, port: number): Member {
  return { name: `app-${i % 5000}`, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port, weight: 1, tags: ['web', `z${i % 3}`] };
}

async function catchUp(): Promise<Record<string, unknown>> {
  const store = new MemoryStore<Member>({ historyLimit: 1000 });
  for (let i = 0; i < keys; i++) store.put(`pool/${i}`, member(i, 8080));
  const handler = serveListWatch(store, { collection: 'pools', historyLimit: 50 });
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await handler.ready();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pools`;
  const signal = AbortSignal.timeout(600_000);
  const follower = new HttpListWatch<Member>({ url, pageSize: 10_000 });
  let t = performance.now();
  await follower.list(signal);
  const firstListMs = performance.now() - t;
  const listBytes = follower.stats.bytesReceived;
  // The stale state's digest, kept to time the server's side of a catch-up alone (below).
  const shape = shapeFor(store.size);
  const stalePrints = Array.from(fingerprintsOf(store.values()));
  const staleTop = encodeDigest(buildDigest(stalePrints, shape.buckets));
  // 100 changes: 90 modified, 5 deleted, 5 added; 100 > historyLimit, so the follower's revision is gone.
  for (let c = 0; c < 90; c++) store.put(`pool/${(c * 7919) % keys}`, member(c, 9090));
  for (let c = 0; c < 5; c++) store.delete(`pool/${(c * 104_729 + 13) % keys}`);
  for (let c = 0; c < 5; c++) store.put(`new/${c}`, member(keys + c, 80));
  while (!handler.revision.endsWith(`.${100}`)) await new Promise((resolve) => setTimeout(resolve, 10));
  gc();
  t = performance.now();
  const caught = await follower.list(signal);
  const catchUpMs = performance.now() - t;
  const s = follower.stats;
  const catchUpBytes = s.bytesReceived - listBytes + s.bytesSent;
  const exact = caught.items.length === store.size && caught.items.every((i) => store.get(i.key)?.version === i.version);
  // What a catch-up costs when nothing changed (round 1 only), and how much of it is the follower hashing its mirror.
  gc();
  t = performance.now();
  await follower.list(signal);
  const unchangedCatchUpMs = performance.now() - t;
  t = performance.now();
  const prints = Array.from(fingerprintsOf(caught.items));
  const followerHashMs = performance.now() - t;
  const serverCost = await serverSide(url, shape, stalePrints, staleTop);
  // A full relist by a warmed-up follower, for the time comparison.
  gc();
  const relister = new HttpListWatch<Member>({ url, pageSize: 10_000, catchUp: false });
  t = performance.now();
  await relister.list(signal);
  const relistMs = performance.now() - t;
  await handler.stop();
  server.closeAllConnections();
  server.close();
  return {
    keys,
    changes: 100,
    fullRelistBytes: relister.stats.bytesReceived,
    firstListBytes: listBytes,
    catchUpBytes,
    catchUpSentBytes: s.bytesSent,
    catchUpReceivedBytes: s.bytesReceived - listBytes,
    catchUpItems: s.catchUpItems,
    bytesRatio: catchUpBytes / relister.stats.bytesReceived,
    catchUpMs: Math.round(catchUpMs),
    unchangedCatchUpMs: Math.round(unchangedCatchUpMs),
    followerHashMs: Math.round(followerHashMs),
    hashedItems: prints.length,
    relistMs: Math.round(relistMs),
    firstListMs: Math.round(firstListMs),
    exact,
    serverSide: serverCost,
    note: 'body bytes on the wire both ways (gzip on for list and catch-up answers): round 1 sends 8 bytes per 128 to 256 cached items (a power-of-two bucket count) and gets 512 bytes per differing top bucket, round 2 names the differing leaves and gets their items (2 to 4 per leaf)',
  };
}

/** Median time of 20 round-1 and 20 round-2 requests from the same stale digest: the server's cost per catch-up. */
async function serverSide(url: string, shape: DigestShape, stalePrints: Fingerprint[], staleTop: Uint8Array): Promise<Record<string, number>> {
  const q = `buckets=${shape.buckets}&fanOut=${shape.fanOut}`;
  const median = (a: number[]) => Math.round([...a].sort((x, y) => x - y)[a.length >> 1] as number);
  const round1: number[] = [];
  const round2: number[] = [];
  for (let i = 0; i < 20; i++) {
    let t = performance.now();
    const r1 = await request(`${url}/catch-up?${q}`, { method: 'POST', body: staleTop });
    const answer = (await r1.body.json()) as WireDigestAnswer;
    round1.push(performance.now() - t);
    const theirs = decodeDigest(Buffer.from(answer.subDigests, 'base64'), answer.buckets.length * shape.fanOut * 2) as Uint32Array;
    const leaves = differingLeaves(buildSubDigests(stalePrints, shape, answer.buckets), theirs, shape, answer.buckets);
    t = performance.now();
    const r2 = await request(`${url}/catch-up?${q}&since=${answer.revision}`, { method: 'POST', body: encodeDigest(Uint32Array.from(leaves)) });
    await r2.body.arrayBuffer();
    round2.push(performance.now() - t);
  }
  return { round1MedianMs: median(round1), round2MedianMs: median(round2), requests: 20 };
}

function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(here, 'http', 'server-process.ts'), [], {
    execArgv: ['--expose-gc', '--conditions=@nitrox/source', '--import', 'tsx'],
    stdio: 'inherit',
  });
  return new Promise((resolve) => child.once('message', (m: { port: number }) => resolve({ child, port: m.port })));
}

const catchUpResult = await catchUp();
console.log('catch-up', catchUpResult);
gc();
const { child, port } = await startServer();
const fanOutResult = await fanOutBench(child, `http://127.0.0.1:${port}/pools`, followerCount);
child.send({ cmd: 'exit' });
console.log('fan-out', fanOutResult);
const result = { catchUp: catchUpResult, fanOut: fanOutResult };
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'http.json'), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
