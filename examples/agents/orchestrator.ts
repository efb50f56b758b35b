/**
 * The orchestrator of the agents example: it holds the desired state — a JSON file `{ "<file name>": "<content>" }`
 * — in a `MemoryStore`, re-reads the file when it changes (writing only the keys that changed), and serves the
 * store to remote agents with `serveListWatch`. Its store is in memory, so its version numbering restarts with
 * the process: it says so with a fresh `sourceEpoch` per life, and agents relist after its restart (a durable
 * source would let them catch up by digest instead). `/metrics` serves the handler's counters for Prometheus.
 *
 * Run: `npx tsx --conditions=@nitrox/source examples/agents/orchestrator.ts <state.json> [port]`
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '@nitrox/core';
import { serveListWatch } from '@nitrox/http';
import { listWatchMetrics } from './metrics.js';

/** Make `store` hold exactly the entries of the JSON file at `path` (an unreadable or invalid file changes nothing). */
export function load(store: MemoryStore<string>, path: string): void {
  let desired: Record<string, unknown>;
  try {
    desired = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return; // half-written or missing: keep serving the last good state
  }
  for (const [key, value] of Object.entries(desired)) {
    if (typeof value === 'string' && store.get(key)?.value !== value) store.put(key, value);
  }
  for (const key of Array.from(store.keys())) if (!(key in desired)) store.delete(key);
}

async function main(): Promise<void> {
  const [path, port = '0'] = process.argv.slice(2);
  if (path === undefined) throw new Error('usage: orchestrator.ts <state.json> [port]');
  const store = new MemoryStore<string>();
  load(store, path);
  watchFile(path, { interval: 100 }, () => load(store, path));
  const handler = serveListWatch(store, { collection: 'files', sourceEpoch: randomUUID(), bookmarkIntervalMs: 1_000 });
  const metrics = listWatchMetrics(handler);
  const server = createServer((req, res) =>
    handler(req, res, () => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      void metrics.metrics().then((text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text));
    }),
  );
  await new Promise<void>((resolve) => server.listen(Number(port), '127.0.0.1', resolve));
  await handler.ready();
  console.log(`serving http://127.0.0.1:${(server.address() as AddressInfo).port}/files`);
  process.once('SIGTERM', () => {
    unwatchFile(path);
    void handler.stop().then(() => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
