/**
 * The fan-out half of bench/http.ts: N followers in this process against the server child, probes timed from
 * the moment the put is sent to the moment each follower's watch yields it.
 */
import type { ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { Agent } from 'undici';
import { HttpListWatch } from '../../packages/http/src/index.js';

interface Memory {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

function ask<R>(child: ChildProcess, message: unknown): Promise<R> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as R));
    child.send(message as object);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

/** Open a raw watch that reads through `read` (throttled or never), for the slow-follower cases. */
function rawWatch(url: string, revision: string, read: (socket: Socket) => void): Socket {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  socket.on('error', () => {});
  socket.write(`GET ${u.pathname}?watch=1&revision=${revision} HTTP/1.1\r\nhost: ${u.host}\r\n\r\n`);
  read(socket);
  return socket;
}

/** Run the fan-out measurements with `count` followers of `url`, served by `child`. */
export async function followers(child: ChildProcess, url: string, count: number): Promise<Record<string, unknown>> {
  const before = await ask<{ memory: Memory }>(child, { cmd: 'mem' });
  const dispatcher = new Agent({ connections: null, pipelining: 1 });
  const { revision } = await new HttpListWatch<string>({ url, catchUp: false, dispatcher }).list(AbortSignal.timeout(30_000));
  const abort = new AbortController();
  const received = new Map<number, number[]>();
  let errors = 0;
  for (let f = 0; f < count; f++) {
    const lw = new HttpListWatch<string>({ url, catchUp: false, dispatcher, idleTimeoutMs: 60_000 });
    void (async () => {
      try {
        for await (const e of lw.watch(revision, abort.signal)) {
          if (e.type !== 'bookmark' && e.item.key === 'probe') {
            const at = performance.now();
            const list = received.get(Number(e.item.value)) ?? [];
            list.push(at);
            received.set(Number(e.item.value), list);
          }
        }
      } catch {
        if (!abort.signal.aborted) errors++;
      }
    })();
  }
  for (;;) {
    const { stats, idle } = await ask<{ stats: { watchesOpen: number }; idle: number }>(child, { cmd: 'mem' });
    if (stats.watchesOpen >= count && idle >= count) break;
    await sleep(100);
  }
  const idle = await ask<{ memory: Memory }>(child, { cmd: 'mem' });
  const perFollower = (k: keyof Memory) => Math.round((idle.memory[k] - before.memory[k]) / count);
  let probe = 0;
  const probes = async (n: number) => {
    const p50: number[] = [];
    const p99: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = ++probe;
      const sent = performance.now();
      await ask(child, { cmd: 'put', key: 'probe', value: String(id) });
      const deadline = sent + 5_000;
      while ((received.get(id)?.length ?? 0) < count && performance.now() < deadline) await sleep(1);
      const lat = (received.get(id) ?? []).map((t) => t - sent).sort((a, b) => a - b);
      p50.push(percentile(lat, 0.5));
      p99.push(lat.length >= count * 0.99 ? percentile(lat, 0.99) : Number.POSITIVE_INFINITY);
      await sleep(50);
    }
    const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
    const round = (x: number) => Math.round(x * 10) / 10;
    return { probes: n, p50MedianMs: round(percentile(sorted(p50), 0.5)), p99MedianMs: round(percentile(sorted(p99), 0.5)), p99MaxMs: round(Math.max(...p99)) };
  };
  await probes(5); // warm-up
  const alone = await probes(30);
  // A follower that reads 10x slower than the others: one 4 KB read every 10 ms.
  const slow = rawWatch(url, revision, (socket) => {
    socket.pause();
    const timer = setInterval(() => socket.read(4096), 10);
    socket.on('close', () => clearInterval(timer));
  });
  // And one that stops reading at all.
  const stalled = rawWatch(url, revision, (socket) => socket.pause());
  await sleep(200);
  const withSlow = await probes(30);
  const final = await ask<{ stats: Record<string, number> }>(child, { cmd: 'mem' });
  abort.abort();
  slow.destroy();
  stalled.destroy();
  // The burst, with 10 followers that count what they receive (1,000 cannot parse 10M lines/s in one process).
  for (;;) {
    const { stats } = await ask<{ stats: { watchesOpen: number } }>(child, { cmd: 'mem' });
    if (stats.watchesOpen === 0) break;
    await sleep(100);
  }
  const burstAbort = new AbortController();
  const counts = Array.from({ length: 10 }, () => 0);
  let burstErrors = 0;
  const { revision: burstFrom } = await new HttpListWatch<string>({ url, catchUp: false, dispatcher }).list(AbortSignal.timeout(30_000));
  counts.forEach((_, f) => {
    void (async () => {
      try {
        for await (const e of new HttpListWatch<string>({ url, catchUp: false, dispatcher }).watch(burstFrom, burstAbort.signal)) {
          if (e.type !== 'bookmark') counts[f] = (counts[f] ?? 0) + 1;
        }
      } catch {
        if (!burstAbort.signal.aborted) burstErrors++;
      }
    })();
  });
  await sleep(500);
  const burst = await ask<{ written: number; heapSamples: number[]; stats: Record<string, number> }>(child, { cmd: 'burst', perSecond: 10_000, seconds: 5 });
  const deadline = performance.now() + 10_000;
  while (counts.some((c) => c < burst.written) && performance.now() < deadline) await sleep(50);
  burstAbort.abort();
  await dispatcher.close().catch(() => {});
  return {
    followers: count,
    oneChange: alone,
    withSlowAndStalledFollower: withSlow,
    serverBytesPerIdleFollower: { heapUsed: perFollower('heapUsed'), external: perFollower('external'), rss: perFollower('rss') },
    followerErrors: errors,
    serverStats: final.stats,
    burst: {
      changesPerSecond: 10_000,
      seconds: 5,
      written: burst.written,
      followers: counts.length,
      minReceived: Math.min(...counts),
      followerErrors: burstErrors,
      serverHeapMBEachSecond: burst.heapSamples.map((h) => Math.round(h / 1e5) / 10),
    },
  };
}
