import { Controller, MemoryStore, sinkReconciler, type BackendSet } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@nitrox/core/testing';
import { pool, simulator, sink } from './helpers.js';

const MEMBER = 'servicegroup_servicegroupmember_binding';
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('NetScalerSink driven by a core Controller', () => {
  it('follows the store, repairs drift on resync, completes a partial failure on retry, empties on delete', async () => {
    const sim = await simulator();
    const s = sink(sim, { allowEmpty: true });
    const store = new MemoryStore<BackendSet>();
    const controller = new Controller<BackendSet>({ source: store, reconcile: sinkReconciler(s), resyncMs: 100 });
    cleanup.push(() => sim.close(), () => s.stop(), () => controller.stop());
    controller.start();

    store.put('web', pool('web', 6));
    await waitFor(() => sim.state.members('web').length === 6, { timeoutMs: 10_000, what: '6 members' });
    store.put('web', pool('web', 2));
    await waitFor(() => sim.state.members('web').length === 2, { timeoutMs: 10_000, what: '2 members' });

    sim.state.bindMember({ servicegroupname: 'web', ip: '10.0.0.77', port: 8080 }); // drift by hand
    await waitFor(() => !sim.state.members('web').includes('10.0.0.77:8080'), { timeoutMs: 10_000, what: 'drift repaired' });

    sim.faults.failItems({ type: MEMBER, match: (r) => r.ip === '10.0.0.4', errorcode: 446, message: 'busy', times: 1 });
    store.put('web', pool('web', 4));
    await waitFor(() => sim.state.members('web').length === 4, { timeoutMs: 10_000, what: 'partial failure completed' });
    expect(sim.requestLog.entries.some((e) => e.status === 207)).toBe(true);

    store.delete('web');
    await waitFor(() => sim.state.members('web').length === 0, { timeoutMs: 10_000, what: 'emptied' });
    expect(sim.state.servicegroups.has('web')).toBe(true); // the servicegroup and its binding stay
    expect(sim.requestLog.count({ type: 'login' })).toBe(1);
  });

  // A restart: the pool was built by an earlier Nitrox; the new one starts before its source knows the pool.
  async function restartedWithPool(members = 3) {
    const sim = await simulator();
    const before = sink(sim);
    await before.apply('web', pool('web', members));
    await before.stop();
    sim.requestLog.clear();
    cleanup.push(() => sim.close());
    return sim;
  }

  it('start-up guard: a restart whose first desired state lacks the pool does not wipe it (even with allowEmpty)', async () => {
    const sim = await restartedWithPool();
    const s = sink(sim, { allowEmpty: true });
    const store = new MemoryStore<BackendSet>();
    // actualKeys reports the pool the appliance holds, so the controller reconciles it with `undefined`.
    const controller = new Controller<BackendSet>({ source: store, reconcile: sinkReconciler(s), resyncMs: 50, actualKeys: () => ['web'] });
    cleanup.push(() => s.stop(), () => controller.stop());
    controller.start();
    await waitFor(() => s.stats.guardedStartup >= 3, { timeoutMs: 10_000, what: 'several guarded passes (initial and resyncs)' });
    expect(sim.requestLog.writes()).toEqual([]);
    expect(sim.state.members('web')).toEqual(pool('web', 3).members.map((m) => `${m.address}:${m.port}`));
    // Once the source delivers the pool, it converges (removals allowed from then on).
    store.put('web', pool('web', 1));
    await waitFor(() => sim.state.members('web').length === 1, { timeoutMs: 10_000, what: 'converged to 1' });
  });

  it('empty-set guard: a restart whose first desired state is an empty pool does not wipe it', async () => {
    const sim = await restartedWithPool();
    const s = sink(sim);
    const store = new MemoryStore<BackendSet>();
    store.put('web', { name: 'web', members: [] }); // a source that answered "nothing" right after start
    const controller = new Controller<BackendSet>({ source: store, reconcile: sinkReconciler(s), resyncMs: 50 });
    cleanup.push(() => s.stop(), () => controller.stop());
    controller.start();
    await waitFor(() => s.stats.guardedEmpty >= 3, { timeoutMs: 10_000, what: 'several guarded passes' });
    const passes = s.stats.applies;
    store.delete('web'); // and a deletion is no better
    await waitFor(() => s.stats.applies > passes, { timeoutMs: 10_000, what: 'the deletion reconciled' });
    expect(s.stats.guardedEmpty).toBe(s.stats.applies);
    expect(sim.requestLog.writes()).toEqual([]);
    expect(sim.state.members('web')).toHaveLength(3);
  });

  it("start-up guard 'ready': adds go ahead at once, removals wait for markReady()", async () => {
    const sim = await restartedWithPool();
    const s = sink(sim, { startupGuard: 'ready' });
    const store = new MemoryStore<BackendSet>();
    store.put('web', pool('web', 2, 8080, 3)); // 10.0.0.3, 10.0.0.4: keeps one, adds one, drops two
    const controller = new Controller<BackendSet>({ source: store, reconcile: sinkReconciler(s), resyncMs: 50 });
    cleanup.push(() => s.stop(), () => controller.stop());
    controller.start();
    await waitFor(() => s.stats.guardedStartup >= 4, { timeoutMs: 10_000, what: 'removals withheld on two passes' });
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080', '10.0.0.4:8080']);
    expect(sim.requestLog.writes().every((e) => e.query.action !== 'unbind')).toBe(true);
    s.markReady();
    await waitFor(() => sim.state.members('web').length === 2, { timeoutMs: 10_000, what: 'removals after markReady' });
    expect(sim.state.members('web')).toEqual(['10.0.0.3:8080', '10.0.0.4:8080']);
  });
});
