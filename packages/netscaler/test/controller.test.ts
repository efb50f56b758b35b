import { Controller, MemoryStore, sinkReconciler, type BackendSet } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { pool, simulator, sink, waitFor } from './helpers.js';

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
    await waitFor(() => sim.state.members('web').length === 6, 10_000, '6 members');
    store.put('web', pool('web', 2));
    await waitFor(() => sim.state.members('web').length === 2, 10_000, '2 members');

    sim.state.bindMember({ servicegroupname: 'web', ip: '10.0.0.77', port: 8080 }); // drift by hand
    await waitFor(() => !sim.state.members('web').includes('10.0.0.77:8080'), 10_000, 'drift repaired');

    sim.faults.failItems({ type: MEMBER, match: (r) => r.ip === '10.0.0.4', errorcode: 446, message: 'busy', times: 1 });
    store.put('web', pool('web', 4));
    await waitFor(() => sim.state.members('web').length === 4, 10_000, 'partial failure completed');
    expect(sim.requestLog.entries.some((e) => e.status === 207)).toBe(true);

    store.delete('web');
    await waitFor(() => sim.state.members('web').length === 0, 10_000, 'emptied');
    expect(sim.state.servicegroups.has('web')).toBe(true); // the servicegroup and its binding stay
    expect(sim.requestLog.count({ type: 'login' })).toBe(1);
  });
});
