import { type ApplyResult, type BackendSet, backendKey, Controller, type Sink, sinkReconciler } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../src/testing/index.js';
import { type Harness, harness, members } from './helpers.js';

/** A sink that holds pools in memory and counts writes. */
class MemorySink implements Sink<BackendSet> {
  readonly pools = new Map<string, BackendSet>();
  readonly applied: string[] = [];
  writes = 0;

  async observe(key: string): Promise<BackendSet | undefined> {
    return this.pools.get(key);
  }

  async apply(key: string, desired: BackendSet | undefined): Promise<ApplyResult> {
    this.applied.push(`${key}=${desired === undefined ? 'none' : desired.members.length}`);
    const before = new Set((this.pools.get(key)?.members ?? []).map(backendKey));
    const after = new Set((desired?.members ?? []).map(backendKey));
    const added = [...after].filter((m) => !before.has(m)).length;
    const removed = [...before].filter((m) => !after.has(m)).length;
    if (desired === undefined) this.pools.delete(key);
    else this.pools.set(key, desired);
    const writes = added + removed;
    this.writes += writes;
    return { added, removed, updated: 0, writes };
  }
}

let h: Harness | undefined;
let controller: Controller<BackendSet> | undefined;
afterEach(async () => {
  await controller?.stop();
  await h?.close();
  controller = undefined;
  h = undefined;
});

describe('MarathonSource feeding a core Controller', () => {
  it('keeps a sink equal to the pools through scale 4 → 6 → 2 and a delete', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 4 }, { id: '/api', instances: 1 }] });
    const { sim, source } = h;
    const sink = new MemorySink();
    controller = new Controller<BackendSet>({ name: 'marathon', source, reconcile: sinkReconciler(sink) });
    source.start();
    controller.start();
    const sinkSize = (key: string): number => sink.pools.get(key)?.members.length ?? -1;
    await waitFor(() => sinkSize('/web') === 4 && sinkSize('/api') === 1);
    await waitFor(() => source.stats.connects === 1);
    sim.apps.scale('/web', 6);
    await waitFor(() => sinkSize('/web') === 6);
    sim.apps.scale('/web', 2);
    await waitFor(() => sinkSize('/web') === 2);
    expect(members(sink.pools.get('/web'))).toEqual(members(source.get('/web')?.value));
    sim.apps.destroy('/api');
    await waitFor(() => !sink.pools.has('/api'));
  });

  it('does not touch the sink while Marathon cannot deliver the first snapshot', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 3 }] }, { backoff: { initialMs: 20, maxMs: 50 } });
    const { sim, source } = h;
    sim.faults.failRequests({ count: 4, status: 503, path: /^\/v2\/apps$/ });
    const sink = new MemorySink();
    sink.pools.set('/web', { name: '/web', members: [{ address: '10.9.9.9', port: 80 }] }); // live config
    const errors: unknown[] = [];
    source.on('error', (e) => errors.push(e));
    controller = new Controller<BackendSet>({ name: 'marathon', source, reconcile: sinkReconciler(sink) });
    controller.start();
    await waitFor(() => errors.length >= 2);
    expect(sink.applied).toEqual([]);
    await waitFor(() => sink.pools.get('/web')?.members.length === 3);
    expect(sink.applied.every((a) => a !== '/web=none' && a !== '/web=0')).toBe(true);
  });
});
