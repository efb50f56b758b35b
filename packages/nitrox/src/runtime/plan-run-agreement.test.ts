/**
 * `plan` and `run` must agree: for a table of scenarios (the source holds the app with members, holds it empty,
 * or does not hold it — deleted while nitrox was down; allowEmpty on or off; the pool absent, equal, or with
 * other members), the pool `plan` predicts is the pool `run` leaves, and `run` reaches it at start.
 */
import { memorySourceRuntime } from '../../test/memory-source.js';
import { type ApplyResult, type BackendSet, MemoryStore, type Sink } from '@nitrox/core';
import { waitFor } from '@nitrox/core/testing';
import type { SinkRuntime } from '@nitrox/plugin';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { resolveConfig } from '../config/load-config.js';
import { NitroxMetrics } from '../ops/metrics.js';
import { planPool } from './pool-plan.js';
import { NitroxRuntime } from './runtime.js';

interface Scenario {
  readonly name: string;
  /** Members the source holds for the app; `undefined`: the source does not hold it. */
  readonly source: readonly string[] | undefined;
  readonly allowEmpty: boolean;
  /** Members of the pool before; `undefined`: the pool does not exist. */
  readonly actual: readonly string[] | undefined;
  /** The pool afterwards (both plan's prediction and run's result). */
  readonly expected: readonly string[] | undefined;
}

const scenarios: Scenario[] = [
  { name: 'create', source: ['10.0.0.1'], allowEmpty: false, actual: undefined, expected: ['10.0.0.1'] },
  { name: 'change', source: ['10.0.0.1', '10.0.0.2'], allowEmpty: false, actual: ['10.0.0.2', '10.0.0.3'], expected: ['10.0.0.1', '10.0.0.2'] },
  { name: 'same', source: ['10.0.0.1'], allowEmpty: true, actual: ['10.0.0.1'], expected: ['10.0.0.1'] },
  { name: 'gone-held', source: undefined, allowEmpty: false, actual: ['10.0.0.4'], expected: ['10.0.0.4'] },
  { name: 'gone-emptied', source: undefined, allowEmpty: true, actual: ['10.0.0.4', '10.0.0.5'], expected: [] },
  { name: 'gone-absent', source: undefined, allowEmpty: true, actual: undefined, expected: [] },
  { name: 'empty-held', source: [], allowEmpty: false, actual: ['10.0.0.6'], expected: ['10.0.0.6'] },
  { name: 'empty-emptied', source: [], allowEmpty: true, actual: ['10.0.0.6'], expected: [] },
  { name: 'empty-absent-held', source: [], allowEmpty: false, actual: undefined, expected: undefined },
];

class MapSink implements Sink<BackendSet> {
  constructor(readonly pools: Map<string, string[]>) {}
  async observe(key: string) {
    const members = this.pools.get(key);
    return members ? { name: key, members: members.map((address) => ({ address, port: 80 })) } : undefined;
  }
  async apply(key: string, desired: BackendSet | undefined): Promise<ApplyResult> {
    const before = this.pools.get(key) ?? [];
    const after = (desired?.members ?? []).map((m) => m.address).sort();
    this.pools.set(key, after);
    const added = after.filter((m) => !before.includes(m)).length;
    const removed = before.filter((m) => !after.includes(m)).length;
    return { added, updated: 0, removed, writes: added + removed };
  }
}

async function world() {
  const config = await resolveConfig(
    {
      sources: { mem: { type: 'marathon', url: 'http://127.0.0.1:1' } },
      sinks: { fake: { type: 'netscaler', url: 'http://127.0.0.1:1', username: 'u', passwordFrom: { env: 'P' } } },
      defaults: { debounce: 0, maxWait: 0, resync: 0 },
      mappings: scenarios.map((s) => ({ name: s.name, source: 'mem', app: `/${s.name}`, sink: 'fake', pool: s.name, allowEmpty: s.allowEmpty })),
    },
    { env: { P: 'pw' } },
  );
  const store = new MemoryStore<BackendSet>();
  for (const s of scenarios) {
    if (s.source) store.put(`/${s.name}`, { name: s.name, members: s.source.map((address) => ({ address, port: 80 })) });
  }
  const pools = new Map<string, string[]>();
  for (const s of scenarios) if (s.actual) pools.set(s.name, [...s.actual]);
  const source = memorySourceRuntime('mem', store);
  const sink = new MapSink(pools);
  const sinkRuntime: SinkRuntime = { name: 'fake', pool: () => sink, requests: () => ({ ok: 0, error: 0 }), close: async () => {} };
  return { config, source, sinkRuntime, pools };
}

it('plan predicts the pool that run leaves, scenario by scenario, orphans of deleted apps included', async () => {
  // plan
  const planned = await world();
  for (const m of planned.config.mappings) planned.source.view({ name: m.name, app: m.app, pool: m.pool, options: m.sourceOptions });
  planned.source.start();
  const predicted = new Map<string, readonly string[] | undefined>();
  for (const m of planned.config.mappings) {
    const plan = await planPool(m, planned.source, planned.sinkRuntime, AbortSignal.timeout(5_000));
    if (plan.kind === 'unreadable') throw plan.error;
    predicted.set(m.name, plan.kind === 'hold' ? plan.actual?.members.map((b) => b.address) : plan.desired.members.map((b) => b.address).sort());
  }
  expect(planned.pools, 'plan writes nothing').toEqual(new Map(scenarios.filter((s) => s.actual).map((s) => [s.name, [...(s.actual ?? [])]])));

  // run
  const ran = await world();
  const metrics = new NitroxMetrics({ defaultMetrics: false });
  const runtime = new NitroxRuntime({ config: ran.config, factories: { source: () => ran.source, sink: () => ran.sinkRuntime }, logger: pino({ level: 'silent' }), metrics });
  runtime.start();
  try {
    await waitFor(
      async () => {
        const text = await metrics.render();
        return scenarios.every((s) => new RegExp(`nitrox_reconcile_total\\{mapping="${s.name}",result="(success|held-empty)"\\} [1-9]`).test(text));
      },
      { timeoutMs: 10_000, what: 'one reconcile of every mapping' },
    );
  } finally {
    await runtime.stop();
  }
  for (const s of scenarios) {
    expect({ scenario: s.name, plan: predicted.get(s.name) }).toEqual({ scenario: s.name, plan: s.expected });
    expect({ scenario: s.name, run: ran.pools.get(s.name) }).toEqual({ scenario: s.name, run: s.expected });
  }
});
