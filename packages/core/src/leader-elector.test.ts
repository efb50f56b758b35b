import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { ConfigError } from './errors.js';
import { LeaderElector, type LeaderElectorOptions } from './leader-elector.js';
import type { LeaseLock, LeaseRecord, VersionedLeaseRecord } from './lease-lock.js';
import { MemoryLeaseLock } from './memory-lease-lock.js';

/** A lock that can be cut off, as a crashed or partitioned process sees it: calls hang until aborted. */
class PartitionableLock implements LeaseLock {
  cut = false;
  constructor(private readonly inner: LeaseLock) {}
  #gate(signal?: AbortSignal): Promise<void> {
    if (!this.cut) return Promise.resolve();
    return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }
  async get(signal?: AbortSignal): Promise<VersionedLeaseRecord | undefined> {
    await this.#gate(signal);
    return this.inner.get(signal);
  }
  async create(record: LeaseRecord, signal?: AbortSignal): Promise<void> {
    await this.#gate(signal);
    return this.inner.create(record, signal);
  }
  async update(record: LeaseRecord, ifVersion: string, signal?: AbortSignal): Promise<void> {
    await this.#gate(signal);
    return this.inner.update(record, ifVersion, signal);
  }
}

interface Candidate {
  elector: LeaderElector;
  abort: AbortController;
  done: Promise<void>;
  log: string[];
  leadingSignal?: AbortSignal;
}

function candidate(clock: VirtualClock, identity: string, options: Partial<LeaderElectorOptions> & { lock: LeaseLock }) {
  const elector = new LeaderElector({ identity, clock, random: () => 0, wallClock: () => clock.now(), ...options });
  const abort = new AbortController();
  const c: Candidate = { elector, abort, log: [], done: Promise.resolve() };
  c.done = elector.run(
    {
      onStartedLeading: (signal) => {
        c.leadingSignal = signal;
        c.log.push(`start@${clock.now()}`);
      },
      onStoppedLeading: () => c.log.push(`stop@${clock.now()}`),
    },
    abort.signal,
  );
  return c;
}

/** Advance time in small steps, checking that two candidates never lead at once. */
async function advanceChecking(clock: VirtualClock, ms: number, a: Candidate, b: Candidate): Promise<void> {
  for (let t = 0; t < ms; t += 250) {
    await clock.advance(250);
    expect(a.elector.isLeader && b.elector.isLeader).toBe(false);
  }
}

describe('LeaderElector', () => {
  it('lets exactly one of two candidates lead; the other takes over at once when the leader stops', async () => {
    const clock = new VirtualClock();
    const lock = new MemoryLeaseLock();
    const a = candidate(clock, 'a', { lock });
    await clock.flush();
    const b = candidate(clock, 'b', { lock });
    await advanceChecking(clock, 30_000, a, b);
    expect(a.elector.isLeader).toBe(true);
    expect(b.elector.isLeader).toBe(false);
    expect(b.elector.leader).toBe('a');
    expect(lock.record?.holderIdentity).toBe('a');
    expect(lock.record?.renewTime).toBeGreaterThanOrEqual(28_000); // renewed every retry period

    a.abort.abort();
    await a.done;
    expect(a.log).toEqual(['start@0', 'stop@30000']);
    expect(a.leadingSignal?.aborted).toBe(true);
    expect(lock.record?.holderIdentity).toBe(''); // released
    await clock.advanceUntil(() => b.elector.isLeader, 2_000 * 2.2 + 1);
    expect(lock.record).toMatchObject({ holderIdentity: 'b', leaderTransitions: 1 });
    b.abort.abort();
    await b.done;
    expect(b.log).toHaveLength(2);
  });

  it('a leader cut off from the lock steps down within renewDeadline; the other leads only after the lease expires', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryLeaseLock();
    const lockA = new PartitionableLock(memory);
    const a = candidate(clock, 'a', { lock: lockA });
    await clock.flush();
    const b = candidate(clock, 'b', { lock: memory });
    await advanceChecking(clock, 10_000, a, b);
    expect(a.elector.isLeader).toBe(true);
    const lastRenew = memory.record?.renewTime as number;

    lockA.cut = true; // a crashes or is partitioned: it can no longer renew
    await advanceChecking(clock, 12_500, a, b);
    expect(a.log).toHaveLength(2); // stepped down, onStoppedLeading once
    await a.done; // run() returns after losing leadership
    const stoppedAt = Number(a.log[1]?.split('@')[1]);
    expect(stoppedAt - lastRenew).toBeLessThanOrEqual(10_000 + 2_000);

    await clock.advanceUntil(() => b.elector.isLeader, 30_000);
    expect(clock.now() - lastRenew).toBeGreaterThanOrEqual(15_000); // waited for the lease to expire
    expect(clock.now() - lastRenew).toBeLessThanOrEqual(15_000 + 2_000 * 2.2 + 2_000);
    expect(a.log).toHaveLength(2);
    b.abort.abort();
    await b.done;
  });

  it('without releaseOnCancel a stopped leader leaves the lease to expire', async () => {
    const clock = new VirtualClock();
    const lock = new MemoryLeaseLock();
    const a = candidate(clock, 'a', { lock, releaseOnCancel: false });
    await clock.flush();
    const b = candidate(clock, 'b', { lock });
    await advanceChecking(clock, 5_000, a, b);
    const lastRenew = lock.record?.renewTime as number;
    a.abort.abort();
    await a.done;
    expect(lock.record?.holderIdentity).toBe('a');
    await clock.advanceUntil(() => b.elector.isLeader, 30_000);
    expect(clock.now() - lastRenew).toBeGreaterThanOrEqual(15_000);
    b.abort.abort();
    await b.done;
  });

  it('does not call onStoppedLeading when it never led, and reports errors of onStartedLeading', async () => {
    const clock = new VirtualClock();
    const lock = new MemoryLeaseLock();
    await lock.create({ holderIdentity: 'other', leaseDurationMs: 60_000, acquireTime: 0, renewTime: 0, leaderTransitions: 0 });
    const b = candidate(clock, 'b', { lock });
    await clock.advance(10_000);
    b.abort.abort();
    await b.done;
    expect(b.log).toEqual([]);

    const errors: Error[] = [];
    const c = new LeaderElector({ lock: new MemoryLeaseLock(), identity: 'c', clock });
    c.on('error', (e) => errors.push(e));
    const stop = new AbortController();
    const done = c.run({ onStartedLeading: () => Promise.reject(new Error('boom')) }, stop.signal);
    await clock.advance(100);
    expect(c.isLeader).toBe(true);
    expect(errors.map((e) => e.message)).toEqual(['boom']);
    await expect(c.run({ onStartedLeading: () => {} })).rejects.toThrow(ConfigError);
    stop.abort();
    await done;
    expect(c.isLeader).toBe(false);
  });

  it('validates its timing eagerly', () => {
    const lock = new MemoryLeaseLock();
    expect(() => new LeaderElector({ lock, identity: '' })).toThrow(/identity/);
    expect(() => new LeaderElector({ lock, identity: 'x', leaseDurationMs: 5_000 })).toThrow(/leaseDurationMs/);
    expect(() => new LeaderElector({ lock, identity: 'x', retryPeriodMs: 9_000 })).toThrow(/renewDeadlineMs/);
    expect(() => new LeaderElector({ lock, identity: 'x', retryPeriodMs: -1 })).toThrow(ConfigError);
  });
});

describe('MemoryLeaseLock', () => {
  it('creates once and updates only with the current version', async () => {
    const lock = new MemoryLeaseLock({ name: 'nitrox' });
    const record = { holderIdentity: 'a', leaseDurationMs: 1, acquireTime: 0, renewTime: 0, leaderTransitions: 0 };
    expect(await lock.get()).toBeUndefined();
    await lock.create(record);
    await expect(lock.create(record)).rejects.toMatchObject({ code: 'NITROX_CONFLICT' });
    const current = await lock.get();
    await lock.update({ ...record, holderIdentity: 'b' }, current?.version as string);
    await expect(lock.update(record, current?.version as string)).rejects.toMatchObject({ code: 'NITROX_CONFLICT' });
    expect((await lock.get())?.holderIdentity).toBe('b');
    const aborted = AbortSignal.abort();
    await expect(lock.get(aborted)).rejects.toBeDefined();
    expect(lock.describe()).toContain('nitrox');
  });
});
