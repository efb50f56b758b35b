import { type ApplyResult, type BackendSet, type Clock, type LeaseRecord, MemoryLeaseLock, MemoryStore, SinkError, type Sink, SourceError, VirtualClock } from '@nitrox/core';
import { memorySourceRuntime } from '../../test/memory-source.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SinkRuntime } from '@nitrox/plugin';
import { resolveConfig } from '../config/load-config.js';
import { NitroxMetrics } from '../ops/metrics.js';
import type { AdapterFactories } from './factories.js';
import { NitroxRuntime } from './runtime.js';
import { waitFor } from '@nitrox/core/testing';

const set = (...ips: string[]): BackendSet => ({ name: 'ignored', members: ips.map((address) => ({ address, port: 80 })) });

class FakeSink implements Sink<BackendSet> {
  readonly pools = new Map<string, string[]>();
  failures = 0;
  applies = 0;
  async observe(key: string) {
    const members = this.pools.get(key);
    return members ? { name: key, members: members.map((address) => ({ address, port: 80 })) } : undefined;
  }
  async apply(key: string, desired: BackendSet | undefined): Promise<ApplyResult> {
    this.applies++;
    if (this.failures > 0) {
      this.failures--;
      throw new SinkError('appliance said no', { status: 599, peerCode: 446 });
    }
    const before = this.pools.get(key) ?? [];
    const after = (desired?.members ?? []).map((m) => m.address).sort();
    this.pools.set(key, after);
    const added = after.filter((m) => !before.includes(m)).length;
    const removed = before.filter((m) => !after.includes(m)).length;
    return { added, updated: 0, removed, writes: added + removed };
  }
}

interface SetupOptions {
  readonly clock?: VirtualClock;
  /** The source's answer to disconnectedSince (absent: the source cannot tell). */
  readonly disconnectedSince?: () => number | undefined;
  readonly readiness?: Record<string, unknown>;
  readonly resync?: number;
  readonly lines?: Record<string, unknown>[];
  /** A source runtime without disconnectedSince (a plugin built before it). */
  readonly noContact?: boolean;
}

async function setup(allowEmpty = false, o: SetupOptions = {}) {
  const config = await resolveConfig(
    {
      ...(o.readiness ? { readiness: o.readiness } : {}),
      sources: { mem: { type: 'marathon', url: 'http://127.0.0.1:1' } },
      sinks: { fake: { type: 'netscaler', url: 'http://127.0.0.1:1', username: 'u', passwordFrom: { env: 'P' } } },
      defaults: { debounce: 0, maxWait: 0, resync: o.resync ?? 0, allowEmpty },
      mappings: [
        { name: 'web', source: 'mem', app: '/web', sink: 'fake', pool: 'sg-web' },
        { name: 'api', source: 'mem', app: '/api', sink: 'fake', pool: 'sg-api' },
      ],
    },
    { env: { P: 'pw' } },
  );
  const store = new MemoryStore<BackendSet>();
  const sink = new FakeSink();
  let closed = 0;
  let stopped = 0;
  const source = memorySourceRuntime('mem', store, {
    async stop() {
      stopped++;
    },
    counters: () => ({ relists: 0, events: 7 }),
    ...(o.disconnectedSince ? { disconnectedSince: o.disconnectedSince } : {}),
  });
  const sinkRuntime: SinkRuntime = {
    name: 'fake',
    pool: () => sink,
    requests: () => ({ ok: sink.applies - sink.failures, error: 0 }),
    async close() {
      closed++;
    },
  };
  const { disconnectedSince: _, ...withoutContact } = source;
  const factories: AdapterFactories = { source: () => (o.noContact ? withoutContact : source), sink: () => sinkRuntime };
  const metrics = new NitroxMetrics({ defaultMetrics: false });
  const lines = o.lines;
  const logger = lines ? pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) }) : pino({ level: 'silent' });
  const runtime = new NitroxRuntime({ config, factories, logger, metrics, ...(o.clock ? { clock: o.clock } : {}) });
  return { runtime, store, sink, metrics, counts: () => ({ closed, stopped }) };
}

describe('NitroxRuntime', () => {
  it('applies each mapping to its own pool, and stops gracefully', async () => {
    const { runtime, store, sink, metrics, counts } = await setup();
    store.put('/web', set('10.0.0.1', '10.0.0.2'));
    store.put('/api', set('10.0.1.1'));
    expect(runtime.readiness().ready).toBe(false);
    runtime.start();
    await waitFor(() => sink.pools.get('sg-web')?.length === 2 && sink.pools.get('sg-api')?.length === 1, { timeoutMs: 5_000, what: 'both pools' });
    expect(runtime.readiness()).toMatchObject({ ready: true, waiting: [], notes: ['leadership: none (no leader election; this replica writes)'] });
    store.put('/web', set('10.0.0.3'));
    await waitFor(() => sink.pools.get('sg-web')?.join() === '10.0.0.3', { timeoutMs: 5_000, what: 'the change' });
    const text = await metrics.render();
    expect(text).toMatch(/nitrox_reconcile_total\{mapping="web",result="success"\} [2-9]/);
    expect(text).toContain('nitrox_pool_members{mapping="web"} 1');
    expect(text).toContain('nitrox_leader 1');
    await runtime.stop();
    expect(counts()).toEqual({ closed: 1, stopped: 1 });
  });

  it('holds an empty desired set unless allowEmpty', async () => {
    const { runtime, store, sink, metrics } = await setup(false);
    store.put('/web', set('10.0.0.1'));
    runtime.start();
    await waitFor(() => sink.pools.get('sg-web')?.length === 1, { timeoutMs: 5_000, what: 'the first apply' });
    store.put('/web', set());
    await waitFor(async () => /mapping="web",result="held-empty"\} 1/.test(await metrics.render()), { timeoutMs: 5_000, what: 'the held reconcile' });
    expect(sink.pools.get('sg-web')).toEqual(['10.0.0.1']);
    await runtime.stop();
  });

  it('logs a held pool with the members it keeps when it becomes held, then once a minute while held', async () => {
    const clock = new VirtualClock();
    const lines: Record<string, unknown>[] = [];
    const { runtime, store, sink, metrics } = await setup(false, { clock, lines });
    const held = () => lines.filter((l) => l.mapping === 'web' && String(l.msg).startsWith('desired pool is empty'));
    store.put('/web', set('10.0.0.1'));
    runtime.start();
    await clock.advanceUntil(() => sink.pools.get('sg-web')?.length === 1);
    for (let i = 0; i < 3; i++) {
      store.put('/web', set()); // a new empty version each time: three held reconciles
      await clock.advance(10_000);
    }
    expect(await metrics.render()).toMatch(/mapping="web",result="held-empty"\} 3/);
    expect(held()).toHaveLength(1);
    expect(held()[0]).toMatchObject({ mapping: 'web', pool: 'sg-web', members: ['10.0.0.1:80'], heldForMs: 0 });
    await clock.advance(31_000);
    store.put('/web', set());
    await clock.advanceUntil(() => held().length === 2);
    expect(held()[1]).toMatchObject({ heldForMs: 61_000 });
    store.put('/web', set('10.0.0.2'));
    await clock.advanceUntil(() => sink.pools.get('sg-web')?.join() === '10.0.0.2');
    expect(lines.some((l) => l.msg === 'desired pool is no longer empty: applying it' && l.heldForMs === 61_000)).toBe(true);
    await runtime.stop();
  });

  it('lets an empty desired set empty the pool with allowEmpty', async () => {
    const { runtime, store, sink } = await setup(true);
    store.put('/web', set('10.0.0.1'));
    runtime.start();
    await waitFor(() => sink.pools.get('sg-web')?.length === 1, { timeoutMs: 5_000, what: 'the first apply' });
    store.delete('/web');
    await waitFor(() => sink.pools.get('sg-web')?.length === 0, { timeoutMs: 5_000, what: 'the emptied pool' });
    await runtime.stop();
  });

  it('repairs the pool of an app the source does not hold, at start and at every resync', async () => {
    const { runtime, store, sink } = await setup(true, { resync: 200 });
    store.put('/api', set('10.0.1.1'));
    sink.pools.set('sg-web', ['10.0.0.9']); // /web was deleted while nitrox was down
    runtime.start();
    await waitFor(() => sink.pools.get('sg-web')?.length === 0, { timeoutMs: 5_000, what: 'the orphaned members removed at start' });
    sink.pools.set('sg-web', ['10.0.0.8']); // someone adds a member by hand
    await waitFor(() => sink.pools.get('sg-web')?.length === 0, { timeoutMs: 5_000, what: 'the drift repaired by a resync' });
    await runtime.stop();
  });

  it('counts failed applies by code and retries until they succeed', async () => {
    const { runtime, store, sink, metrics } = await setup();
    sink.failures = 2;
    store.put('/web', set('10.0.0.1'));
    runtime.start();
    await waitFor(() => sink.pools.get('sg-web')?.length === 1, { timeoutMs: 5_000, what: 'the retried apply' });
    const text = await metrics.render();
    expect(text).toContain('nitrox_reconcile_errors_total{mapping="web",code="NITROX_SINK"} 2');
    await runtime.stop();
  });
});

describe('NitroxRuntime staleness', () => {
  it('shows how long a source has been out of contact, turns not ready past the grace, and logs loss and return', async () => {
    const clock = new VirtualClock();
    let since: number | undefined;
    const lines: Record<string, unknown>[] = [];
    const { runtime, store, metrics } = await setup(false, { clock, disconnectedSince: () => since, readiness: { sourceGrace: '60s' }, lines });
    store.put('/web', set('10.0.0.1'));
    runtime.start();
    const gauge = async () => Number(/nitrox_source_disconnected_seconds\{source="mem"\} (\S+)/.exec(await metrics.render())?.[1]);
    expect(await gauge()).toBe(0);
    expect(runtime.readiness().ready).toBe(true);
    expect(await metrics.render()).toContain('nitrox_source_events_total{source="mem"} 7');

    // A blip shorter than a moment is not logged.
    since = clock.now();
    await clock.advance(2_000);
    since = undefined;
    await clock.advance(2_000);
    expect(lines.filter((l) => l.source === 'mem')).toEqual([]);

    since = clock.now();
    await clock.advance(6_000);
    expect(lines.find((l) => l.level === 40 && l.source === 'mem')?.msg).toMatch(/source mem has had no contact with its peer for [56]/);
    expect(runtime.readiness().ready).toBe(true);
    await clock.advance(55_000);
    expect(await gauge()).toBe(61);
    const readiness = runtime.readiness();
    expect(readiness.ready).toBe(false);
    expect(readiness.waiting).toEqual(['source mem (no contact for 61 s)']);

    since = undefined;
    await clock.advance(1_000);
    expect(runtime.readiness().ready).toBe(true);
    expect(await gauge()).toBe(0);
    const resumed = lines.find((l) => String(l.msg).includes('resumed'));
    expect(resumed).toMatchObject({ source: 'mem', msg: 'source mem resumed contact after 62 s', downSeconds: 62 });
    await runtime.stop();
  });

  it('leaves the gauge out for a source that cannot tell, and counts it as in contact', async () => {
    const { runtime, metrics } = await setup(false, { noContact: true });
    runtime.start();
    expect(await metrics.render()).not.toContain('nitrox_source_disconnected_seconds{');
    expect(runtime.readiness().ready).toBe(true);
    await runtime.stop();
  });
});

/** A sink whose apply blocks until released or aborted. */
class BlockingSink implements Sink<BackendSet> {
  entered = 0;
  aborted = 0;
  completed = 0;
  #release: (() => void) | undefined;
  release(): void {
    this.#release?.();
  }
  async observe() {
    return undefined;
  }
  async apply(_key: string, _desired: BackendSet | undefined, signal: AbortSignal): Promise<ApplyResult> {
    this.entered++;
    await new Promise<void>((resolve, reject) => {
      this.#release = resolve;
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    }).catch((err: unknown) => {
      this.aborted++;
      throw err;
    });
    this.completed++;
    return { added: 1, updated: 0, removed: 0, writes: 1 };
  }
}

/** A lease lock whose renewals can be made to fail. */
class FlakyLeaseLock extends MemoryLeaseLock {
  failUpdates = false;
  override async update(record: LeaseRecord, ifVersion: string, signal?: AbortSignal): Promise<void> {
    if (this.failUpdates) throw new Error('API server unreachable');
    return super.update(record, ifVersion, signal);
  }
}

/** A Lease the API server refuses (missing RBAC). */
class ForbiddenLeaseLock extends MemoryLeaseLock {
  override async get(): Promise<undefined> {
    throw new SourceError('leases.coordination.k8s.io "nitrox" is forbidden: User "system:serviceaccount:default:nitrox" cannot get resource "leases"', { status: 403 });
  }
}

async function electionSetup(o: { lock?: MemoryLeaseLock; clock?: Clock; lines?: Record<string, unknown>[] } = {}) {
  const config = await resolveConfig(
    {
      sources: { k8s: { type: 'kubernetes', server: 'http://127.0.0.1:1' } },
      sinks: { fake: { type: 'netscaler', url: 'http://127.0.0.1:1', username: 'u', passwordFrom: { env: 'P' } } },
      defaults: { debounce: 0, maxWait: 0, resync: 0 },
      mappings: [{ name: 'web', source: 'k8s', app: 'default/web', sink: 'fake', pool: 'sg-web', mode: 'pod' }],
      leaderElection: { source: 'k8s', leaseDuration: 2_000, renewDeadline: 1_500, retryPeriod: 100 },
    },
    { env: { P: 'pw' } },
  );
  const store = new MemoryStore<BackendSet>();
  const sink = new BlockingSink();
  const source = memorySourceRuntime('k8s', store);
  const sinkRuntime: SinkRuntime = { name: 'fake', pool: () => sink, requests: () => ({ ok: 0, error: 0 }), close: async () => {} };
  const lock = (o.lock ?? new FlakyLeaseLock()) as FlakyLeaseLock;
  const lines = o.lines;
  const metrics = new NitroxMetrics({ defaultMetrics: false });
  const runtime = new NitroxRuntime({
    config,
    factories: { source: () => source, sink: () => sinkRuntime },
    logger: lines ? pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) }) : pino({ level: 'silent' }),
    metrics,
    leaseLock: lock,
    identity: 'replica-a',
    ...(o.clock ? { clock: o.clock } : {}),
  });
  store.put('default/web', set('10.0.0.1'));
  return { runtime, sink, lock, metrics, store };
}

describe('NitroxRuntime with leader election', () => {
  it('logs lease errors (rate-limited), counts them, and is not ready once the lock is out of reach past the lease', async () => {
    const clock = new VirtualClock();
    const lines: Record<string, unknown>[] = [];
    const { runtime, metrics } = await electionSetup({ lock: new ForbiddenLeaseLock(), clock, lines });
    runtime.start();
    await clock.advance(1_000);
    const leaseLines = () => lines.filter((l) => String(l.msg).startsWith('leader election: lease lock failed'));
    expect(leaseLines()).toHaveLength(1);
    expect(leaseLines()[0]).toMatchObject({ level: 40, lease: 'default/nitrox', status: 403, err: expect.stringContaining('forbidden') });
    expect(runtime.readiness()).toMatchObject({ ready: true, notes: ['leadership: standby (lease default/nitrox not acquired yet)'] });
    await clock.advance(1_500);
    const not = runtime.readiness();
    expect(not.ready).toBe(false);
    expect(not.waiting).toEqual([expect.stringMatching(/^lease lock \(no answer for [23] s\)$/)]);
    await clock.advance(30_000);
    expect(leaseLines()).toHaveLength(2);
    expect(leaseLines()[1]?.similarSinceLastLine).toBeGreaterThan(10);
    const errors = Number(/^nitrox_lease_errors_total (\S+)$/m.exec(await metrics.render())?.[1]);
    expect(errors).toBeGreaterThan(10);
    expect(runtime.isLeader).toBe(false);
    await runtime.stop();
  });

  it('says in /readyz which replica leads', async () => {
    const { runtime, sink, lock } = await electionSetup();
    runtime.start();
    await waitFor(() => sink.entered === 1, { timeoutMs: 5_000, what: 'the leader to start applying' });
    expect(runtime.readiness()).toMatchObject({ ready: true, notes: ['leadership: leader of lease default/nitrox'] });
    sink.release();
    await runtime.stop();
    expect(lock.record?.holderIdentity).toBe('');
  });

  it('aborts in-flight applies at once when the lease is lost', async () => {
    const { runtime, sink, lock } = await electionSetup();
    runtime.start();
    await waitFor(() => sink.entered === 1, { timeoutMs: 5_000, what: 'the leader to start applying' });
    expect(runtime.isLeader).toBe(true);
    lock.failUpdates = true;
    await waitFor(() => sink.aborted === 1, { timeoutMs: 5_000, what: 'the apply to be aborted' });
    expect(runtime.isLeader).toBe(false);
    expect(sink.completed).toBe(0);
    lock.failUpdates = false;
    await runtime.stop();
  });

  it('writes nothing once the term has ended by its own clock, even before the lease-loss timer has run (a pause)', async () => {
    const virtual = new VirtualClock();
    // A process pause: time jumps while no timer has run yet.
    const paused = { skewMs: 0 };
    const clock: Clock = {
      now: () => virtual.now() + paused.skewMs,
      setTimeout: (fn, ms) => virtual.setTimeout(fn, ms),
      clearTimeout: (handle) => virtual.clearTimeout(handle),
    };
    const lines: Record<string, unknown>[] = [];
    const { runtime, sink, store, metrics } = await electionSetup({ clock, lines });
    runtime.start();
    await virtual.advanceUntil(() => sink.entered === 1);
    sink.release();
    await waitFor(() => sink.completed === 1, { timeoutMs: 5_000, what: 'the first apply' });
    expect(runtime.isLeader).toBe(true);
    paused.skewMs = 1_600; // past renewDeadline (1.5 s) since the last renewal
    store.put('default/web', set('10.0.0.1', '10.0.0.2'));
    await waitFor(() => lines.some((l) => String(l.msg).startsWith('not applied')), { timeoutMs: 5_000, what: 'the skipped apply' });
    expect(sink.entered).toBe(1);
    expect(lines.find((l) => String(l.msg).startsWith('not applied'))).toMatchObject({ level: 40, mapping: 'web', pool: 'sg-web' });
    expect(await metrics.render()).toMatch(/^nitrox_reconcile_total\{mapping="web",result="not-leading"\} [1-9]/m);
    expect(runtime.isLeader).toBe(true); // the lease-loss timer has not run yet
    await virtual.advance(100);
    expect(runtime.isLeader).toBe(false);
    expect(sink.entered).toBe(1);
    await runtime.stop();
  });

  it('lets in-flight applies finish on shutdown, then releases the lease', async () => {
    const { runtime, sink, lock } = await electionSetup();
    runtime.start();
    await waitFor(() => sink.entered === 1, { timeoutMs: 5_000, what: 'the leader to start applying' });
    let stopped = false;
    const stopping = runtime.stop().then(() => {
      stopped = true;
    });
    await waitFor(() => !runtime.isLeader, { timeoutMs: 5_000, what: 'the controllers to stop taking work' });
    expect(stopped).toBe(false);
    expect(lock.record?.holderIdentity).toBe('replica-a');
    sink.release();
    await stopping;
    expect([sink.completed, sink.aborted]).toEqual([1, 0]);
    expect(lock.record?.holderIdentity).not.toBe('replica-a');
  });
});
