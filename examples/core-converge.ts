/**
 * The core alone: an in-memory desired state of load-balancer pools, a controller, and a sink that keeps an
 * in-memory "load balancer" and logs every change it makes. Changes arrive in bursts (coalesced into one
 * reconcile each), someone edits the load balancer by hand (the resync repairs it), and the script ends when
 * the actual pools equal the desired ones.
 *
 * Run: `npx tsx --conditions=@nitrox/source examples/core-converge.ts`
 */
import {
  type ApplyResult,
  type BackendSet,
  backendKey,
  Controller,
  MemoryStore,
  type Sink,
  sinkReconciler,
} from '@nitrox/core';

/** A load balancer held in memory: pool name → member keys. Logs each change. */
export class LoggingPoolSink implements Sink<BackendSet> {
  readonly pools = new Map<string, Set<string>>();
  writes = 0;

  async observe(key: string): Promise<BackendSet | undefined> {
    const pool = this.pools.get(key);
    if (pool === undefined) return undefined;
    return {
      name: key,
      members: [...pool].map((m) => {
        const i = m.lastIndexOf(':');
        return { address: m.slice(0, i), port: Number(m.slice(i + 1)) };
      }),
    };
  }

  async apply(key: string, desired: BackendSet | undefined): Promise<ApplyResult> {
    const want = new Set(desired?.members.map(backendKey) ?? []);
    const pool = this.pools.get(key) ?? new Set<string>();
    let added = 0;
    let removed = 0;
    for (const m of want) {
      if (!pool.has(m)) {
        pool.add(m);
        added++;
        console.log(`  ${key}: + ${m}`);
      }
    }
    for (const m of pool) {
      if (!want.has(m)) {
        pool.delete(m);
        removed++;
        console.log(`  ${key}: - ${m}`);
      }
    }
    if (desired === undefined) this.pools.delete(key);
    else this.pools.set(key, pool);
    this.writes += added + removed;
    return { added, updated: 0, removed, writes: added + removed };
  }
}

const members = (n: number, base = 10): BackendSet['members'] =>
  Array.from({ length: n }, (_, i) => ({ address: `10.0.${base}.${i + 1}`, port: 8080 }));

async function main(): Promise<void> {
  const desired = new MemoryStore<BackendSet>();
  const sink = new LoggingPoolSink();
  const controller = new Controller<BackendSet>({
    name: 'pools',
    source: desired,
    reconcile: sinkReconciler(sink),
    debounceMs: 50,
    resyncMs: 1_000,
  });
  const converged = async (label: string): Promise<void> => {
    const started = Date.now();
    for (;;) {
      const items = (await desired.list(new AbortController().signal)).items;
      const equal =
        items.length === sink.pools.size &&
        items.every((item) => {
          const pool = sink.pools.get(item.key);
          return pool !== undefined && pool.size === item.value.members.length && item.value.members.every((m) => pool.has(backendKey(m)));
        });
      if (equal) {
        console.log(`✔ ${label}: converged in ${Date.now() - started} ms (${sink.writes} writes so far)\n`);
        return;
      }
      if (Date.now() - started > 10_000) throw new Error(`${label}: did not converge`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  controller.start();
  console.log('1. two applications appear');
  desired.put('web', { name: 'web', members: members(4) });
  desired.put('api', { name: 'api', members: members(2, 20) });
  await converged('initial pools');

  console.log('2. a burst of 20 scale events for web (coalesced into one reconcile of the newest state)');
  for (let i = 1; i <= 20; i++) desired.put('web', { name: 'web', members: members(4 + (i % 3)) });
  desired.put('web', { name: 'web', members: members(6) });
  await converged('burst');

  console.log('3. someone removes a member of api by hand; the resync repairs the drift');
  sink.pools.get('api')?.delete('10.0.20.1:8080');
  await converged('drift repaired');

  console.log('4. api is deleted');
  desired.delete('api');
  await converged('deletion');

  await controller.stop();
  console.log(`done: ${controller.stats.reconciles} reconciles, ${sink.writes} writes`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
