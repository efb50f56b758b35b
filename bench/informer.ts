/**
 * MemoryStore + Informer end to end: 1,000,000 puts (over 250,000 keys), then the time until the informer's
 * cache is in sync (same size as the store, and the last written version cached). Two scenarios:
 * - `watch`: history large enough; puts come in chunks of 10,000 with a turn of the event loop in between, and
 *   the informer follows them through its watch.
 * - `relist`: default-sized history (10,000) and all puts in one synchronous burst; the informer's watch falls
 *   out of history (ExpiredError) and it relists, emitting only the real difference.
 * Run: `npx tsx bench/informer.ts [puts] [keys]`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Informer } from '../packages/core/src/informer.js';
import { MemoryStore } from '../packages/core/src/memory-store.js';

interface Member {
  address: string;
  port: number;
  weight: number;
}

const puts = Number(process.argv[2] ?? 1_000_000);
const keys = Number(process.argv[3] ?? 250_000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const round = (x: number): number => Math.round(x * 100) / 100;

async function scenario(name: 'watch' | 'relist'): Promise<Record<string, unknown>> {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const store = new MemoryStore<Member>({ historyLimit: name === 'watch' ? puts + 1 : 10_000 });
  const informer = new Informer(store, { name: `bench-${name}` });
  let added = 0;
  let updated = 0;
  informer.on('added', () => added++);
  informer.on('updated', () => updated++);
  informer.start();
  await informer.waitForSync();

  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let last = store.put('k0', { address: '10.0.0.0', port: 1, weight: 1 });
  for (let i = 1; i < puts; i++) {
    last = store.put(`k${i % keys}`, { address: `10.0.${(i >> 8) & 255}.${i & 255}`, port: i & 0xffff, weight: 1 });
    if (name === 'watch' && i % 10_000 === 0) await turn();
  }
  const putsMs = performance.now() - t0;
  const lastKey = last.key;
  const lastVersion = last.version;
  while (!(informer.cache.size === store.size && informer.cache.get(lastKey)?.version === lastVersion)) await turn();
  const syncMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const heapMB = (process.memoryUsage().heapUsed - heap0) / 1e6;
  const stats = informer.stats;
  await informer.stop();
  return {
    scenario: name,
    puts,
    keys,
    putsMs: round(putsMs),
    timeToSyncMs: round(syncMs),
    catchUpAfterLastPutMs: round(syncMs - putsMs),
    cpuMs: round((cpu.user + cpu.system) / 1000),
    putsPerSecondToSync: Math.round(puts / (syncMs / 1000)),
    eventsEmitted: { added, updated },
    stats,
    heapDeltaMB: round(heapMB),
  };
}

const results = [await scenario('watch'), await scenario('relist')];
const out = { name: 'informer', results };
console.log(JSON.stringify(out, null, 2));
const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'informer.json'), `${JSON.stringify(out, null, 2)}\n`);
