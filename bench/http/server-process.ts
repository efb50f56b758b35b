/**
 * The server side of bench/http.ts, in its own process so that its memory per follower is measured apart from
 * the 1,000 followers: a MemoryStore served by serveListWatch, driven over IPC (put, burst, memory).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '../../packages/core/src/index.js';
import { serveListWatch } from '../../packages/http/src/index.js';

type Command = { cmd: 'put'; key: string; value: string } | { cmd: 'mem' } | { cmd: 'burst'; perSecond: number; seconds: number } | { cmd: 'exit' };

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const store = new MemoryStore<string>({ historyLimit: 20_000 });
for (let i = 0; i < 1000; i++) store.put(`pool/${i}`, `10.0.${i >> 8}.${i & 255}:8080`);
const handler = serveListWatch(store, { collection: 'pools', bookmarkIntervalMs: 10_000, historyLimit: 10_000, maxWatches: 5_000 });
const server = createServer(handler);
server.listen(0, '127.0.0.1', () => {
  void handler.ready().then(() => process.send?.({ port: (server.address() as AddressInfo).port }));
});

function memory(): { heapUsed: number; external: number; arrayBuffers: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

process.on('message', (message: Command) => {
  if (message.cmd === 'put') {
    store.put(message.key, message.value);
    process.send?.({ at: performance.timeOrigin + performance.now() });
  } else if (message.cmd === 'mem') {
    process.send?.({ memory: memory(), stats: handler.stats, idle: handler.idleWatches });
  } else if (message.cmd === 'burst') {
    // Writes in 10 ms slices at the asked rate; samples memory every second.
    const samples: number[] = [];
    const perSlice = Math.round(message.perSecond / 100);
    let slices = 0;
    let n = 0;
    const timer = setInterval(() => {
      for (let i = 0; i < perSlice; i++) store.put(`pool/${n++ % 1000}`, `burst-${n}`);
      if (++slices % 100 === 0) samples.push(process.memoryUsage().heapUsed);
      if (slices >= message.seconds * 100) {
        clearInterval(timer);
        process.send?.({ written: n, heapSamples: samples, stats: handler.stats });
      }
    }, 10);
  } else {
    void handler.stop().then(() => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  }
});
