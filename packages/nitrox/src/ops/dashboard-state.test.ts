import { VirtualClock } from '@nitrox/core';
import { EventEmitter } from 'eventemitter3';
import { expect, it } from 'vitest';
import { resolveConfig } from '../config/load-config.js';
import type { NitroxRuntime, RuntimeEvents } from '../runtime/runtime.js';
import { type DashboardChange, DashboardState } from './dashboard-state.js';
import { Redactor } from './redactor.js';

/** The parts of the runtime the dashboard reads, with a source whose contact the test sets. */
class FakeRuntime extends EventEmitter<RuntimeEvents> {
  isLeader = true;
  downSince: number | undefined;
  readonly sources = new Map([['mesos', { name: 'mesos', type: 'marathon', hasSynced: () => true, disconnectedSince: () => this.downSince }]]);
  readiness() {
    return { ready: this.downSince === undefined, waiting: this.downSince === undefined ? [] : ['source mesos'], notes: ['leadership: none'] };
  }
}

async function setup() {
  const config = await resolveConfig(
    {
      sources: { mesos: { type: 'marathon', url: 'http://127.0.0.1:1' } },
      sinks: { adc: { type: 'netscaler', url: 'http://127.0.0.1:1', username: 'u', passwordFrom: { env: 'P' } } },
      mappings: [{ name: 'web', source: 'mesos', app: '/web', sink: 'adc', pool: 'web' }],
    },
    { env: { P: 'pw' } },
  );
  const runtime = new FakeRuntime();
  const clock = new VirtualClock(10_000);
  const state = new DashboardState({ runtime: runtime as unknown as NitroxRuntime, config, redactor: new Redactor(['s3cret']), clock, refreshMs: 1_000 });
  const changes: DashboardChange[] = [];
  return { runtime, clock, state, changes, subscribe: () => state.subscribe((change) => changes.push(change)) };
}

it('keeps errors (redacted), held pools and leadership from the runtime events', async () => {
  const { runtime, state, changes, subscribe } = await setup();
  subscribe();
  runtime.emit('converged', { mapping: 'web', pool: 'web', members: 3, added: 3, updated: 0, removed: 0, writes: 4, durationMs: 5, reason: 'change' });
  runtime.emit('reconcileError', 'web', new Error('login failed for password s3cret'));
  expect(state.snapshot().mappings[0]).toEqual(expect.objectContaining({ desired: 3, actual: 3, before: 0, error: 'login failed for password [REDACTED]' }));
  runtime.emit('held', 'web');
  expect(state.snapshot().mappings[0]).toEqual(expect.objectContaining({ desired: 0, actual: 3, held: true, error: null }));
  runtime.isLeader = false;
  runtime.emit('leading', false);
  expect(state.snapshot().leader).toBe(false);
  expect(changes.map((c) => c.kind)).toEqual(['converged', 'error', 'held', 'leading']);
  expect(JSON.stringify(changes)).not.toContain('s3cret');
});

it('reports a change of source contact while subscribed, and stops checking when the last subscriber leaves', async () => {
  const { runtime, clock, state, changes, subscribe } = await setup();
  expect(clock.pendingTimers).toBe(0);
  const unsubscribe = subscribe();
  await clock.advance(1_000);
  expect(changes).toEqual([]);
  runtime.downSince = clock.now();
  await clock.advance(1_000);
  expect(changes.map((c) => c.kind)).toEqual(['health']);
  expect(state.snapshot()).toEqual(expect.objectContaining({ ready: false, waiting: ['source mesos'] }));
  expect(state.snapshot().sources[0]).toEqual({ name: 'mesos', type: 'marathon', synced: true, downSeconds: 1 });
  unsubscribe();
  expect(state.listenerCount).toBe(0);
  expect(clock.pendingTimers).toBe(0);
});
