/**
 * Leader election under timing faults, on virtual time: acknowledgements that arrive late, a leader whose
 * process is paused (SIGSTOP, a GC or event-loop stall) while time goes on, and a lease taken by someone else.
 * The rule under test: two candidates never lead at once, and a leader stops as soon as it can know it lost.
 */
import { describe, expect, it } from 'vitest';
import { type Clock, sleep, type TimerHandle, VirtualClock } from './clock.js';
import { LeaderElector, type Leadership } from './leader-elector.js';
import type { LeaseLock, LeaseRecord, VersionedLeaseRecord } from './lease-lock.js';
import { MemoryLeaseLock } from './memory-lease-lock.js';

/**
 * One process's view of a shared VirtualClock: while paused its timers do not run (they are held, and run in
 * order on resume, with promise callbacks settling between them, as Node runs overdue timers), but time goes on.
 */
class ProcessClock implements Clock {
  paused = false;
  readonly #held: { fn: () => void; cancelled: boolean }[] = [];
  readonly #entries = new Map<TimerHandle, { fn: () => void; cancelled: boolean }>();
  constructor(readonly base: VirtualClock) {}
  now(): number {
    return this.base.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry = { fn, cancelled: false };
    const handle = this.base.setTimeout(() => {
      this.#entries.delete(handle);
      if (this.paused) this.#held.push(entry);
      else fn();
    }, ms);
    this.#entries.set(handle, entry);
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    const entry = this.#entries.get(handle);
    if (entry !== undefined) entry.cancelled = true;
    this.#entries.delete(handle);
    this.base.clearTimeout(handle);
  }
  async resume(): Promise<void> {
    this.paused = false;
    for (let entry = this.#held.shift(); entry !== undefined; entry = this.#held.shift()) {
      if (!entry.cancelled) entry.fn();
      await this.base.flush();
    }
  }
}

/**
 * A lock seen through one process's network: each request reaches the lock at once, its answer comes back after
 * `ackDelayMs` (per operation) on that process's clock, so a paused process also gets no answer. `cut` drops
 * requests (they hang until aborted), as for a crashed peer or a partition.
 */
class ProcessLock implements LeaseLock {
  cut = false;
  ackDelayMs = { get: 0, update: 0 };
  /** Called after each update reached the lock. */
  afterUpdate: () => void = () => {};
  constructor(
    readonly inner: MemoryLeaseLock,
    readonly clock: Clock,
  ) {}
  async #answer<T>(op: () => Promise<T>, delayMs: number, signal?: AbortSignal): Promise<T> {
    if (this.cut) {
      return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    const settled = op().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await sleep(this.clock, delayMs);
    const result = await settled;
    if (!result.ok) throw result.error;
    return result.value;
  }
  get(signal?: AbortSignal): Promise<VersionedLeaseRecord | undefined> {
    return this.#answer(() => this.inner.get(), this.ackDelayMs.get, signal);
  }
  create(record: LeaseRecord, signal?: AbortSignal): Promise<void> {
    return this.#answer(() => this.inner.create(record), 0, signal);
  }
  update(record: LeaseRecord, ifVersion: string, signal?: AbortSignal): Promise<void> {
    return this.#answer(
      async () => {
        await this.inner.update(record, ifVersion);
        this.afterUpdate();
      },
      this.ackDelayMs.update,
      signal,
    );
  }
}

interface Candidate {
  elector: LeaderElector;
  lock: ProcessLock;
  clock: ProcessClock;
  stop: AbortController;
  done: Promise<void>;
  /** [start, end] clock times of each term; end is undefined while leading. */
  terms: [number, number | undefined][];
  leadership?: Leadership;
  signal?: AbortSignal;
}

function candidate(base: VirtualClock, memory: MemoryLeaseLock, identity: string): Candidate {
  const clock = new ProcessClock(base);
  const lock = new ProcessLock(memory, clock);
  const elector = new LeaderElector({ lock, identity, clock, random: () => 0, wallClock: () => base.now() });
  const c: Candidate = { elector, lock, clock, stop: new AbortController(), terms: [], done: Promise.resolve() };
  c.done = elector.run(
    {
      onStartedLeading: (signal, leadership) => {
        c.signal = signal;
        c.leadership = leadership;
        c.terms.push([base.now(), undefined]);
        // The end of a term is when its signal aborts: that is what stops the work a leader does.
        signal.addEventListener('abort', () => {
          const term = c.terms[c.terms.length - 1];
          if (term !== undefined) term[1] = base.now();
        });
      },
    },
    c.stop.signal,
  );
  return c;
}

/** Advance in 50 ms steps, failing if both lead (by their leading signals) at any step; a paused process cannot act. */
async function advanceChecking(clock: VirtualClock, ms: number, a: Candidate, b: Candidate): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    await clock.advance(50);
    const leading = (c: Candidate): boolean => !c.clock.paused && c.signal !== undefined && !c.signal.aborted;
    expect(leading(a) && leading(b), `both lead at ${clock.now()}`).toBe(false);
  }
}

async function twoCandidates() {
  const base = new VirtualClock();
  const memory = new MemoryLeaseLock();
  const a = candidate(base, memory, 'a');
  await base.advance(0);
  const b = candidate(base, memory, 'b');
  await advanceChecking(base, 3_900, a, b);
  expect(a.elector.isLeader).toBe(true);
  return { base, memory, a, b };
}

async function finish(base: VirtualClock, ...candidates: Candidate[]): Promise<void> {
  let settled = 0;
  for (const c of candidates) {
    c.lock.cut = false;
    c.stop.abort();
    if (c.clock.paused) await c.clock.resume();
    void c.done.then(() => settled++);
  }
  await base.advanceUntil(() => settled === candidates.length, 60_000);
}

describe('LeaderElector timing', () => {
  it('counts its term from when the renewal was sent: a late acknowledgement cannot make two leaders', async () => {
    const { base, memory, a, b } = await twoCandidates();
    // The renewal at t=4 s lands at once but its answer takes 9 s; then the leader is cut off from the lock.
    a.lock.ackDelayMs.update = 9_000;
    a.lock.afterUpdate = () => {
      a.lock.afterUpdate = () => {};
      a.lock.cut = true;
    };
    await advanceChecking(base, 30_000, a, b);
    expect(b.elector.isLeader).toBe(true);
    const [aEnd, bStart] = [a.terms[0]?.[1] as number, b.terms[0]?.[0] as number];
    // The last renewal whose answer came in time was sent at 2 s: the term ends 10 s later.
    expect(aEnd).toBe(12_000);
    expect(bStart - aEnd).toBeGreaterThanOrEqual(15_000 - 10_000);
    expect(memory.record).toMatchObject({ holderIdentity: 'b', leaderTransitions: 1 });
    await finish(base, a, b);
  });

  it('a leader paused past its term stops at once when it resumes, before anything else it would do', async () => {
    const { base, a, b } = await twoCandidates();
    a.clock.paused = true; // SIGSTOP at ~3.9 s
    await advanceChecking(base, 21_100, a, b); // b takes over meanwhile (a cannot act, its signal not yet aborted)
    expect(b.elector.isLeader).toBe(true);
    const resumedAt = base.now();
    await a.clock.resume(); // SIGCONT: overdue timers run, no time passes
    expect(a.signal?.aborted).toBe(true);
    expect(a.terms[0]?.[1]).toBe(resumedAt);
    expect(a.leadership?.holds()).toBe(false);
    await base.advance(0);
    await a.done;
    expect(a.elector.isLeader).toBe(false);
    await finish(base, a, b);
  });

  it('stops leading as soon as a read shows another holder, not a renew deadline later', async () => {
    const { base, memory, a, b } = await twoCandidates();
    b.stop.abort(); // only a stands now
    await b.done;
    const current = memory.record as VersionedLeaseRecord;
    await memory.update({ ...current, holderIdentity: 'intruder', leaderTransitions: current.leaderTransitions + 1 }, current.version);
    const takenAt = base.now();
    await base.advanceUntil(() => a.signal?.aborted === true, 10_000);
    expect(base.now() - takenAt).toBeLessThanOrEqual(2_000); // the next renewal's read
    await finish(base, a);
    expect(memory.record?.holderIdentity).toBe('intruder'); // a released nothing it no longer held
  });

  it('hands out a fencing token that grows with every change of holder, and holds() tracks the term', async () => {
    const { base, a, b } = await twoCandidates();
    expect(a.leadership?.fencingToken).toBe(0);
    expect(a.elector.fencingToken).toBe(0);
    expect(a.leadership?.holds()).toBe(true);
    expect(a.elector.holdsLease()).toBe(true);
    a.lock.cut = true;
    await advanceChecking(base, 25_000, a, b);
    expect(a.leadership?.holds()).toBe(false);
    expect(a.elector.fencingToken).toBeUndefined();
    expect(b.leadership?.fencingToken).toBe(1);
    expect(b.elector.holdsLease()).toBe(true);
    await finish(base, a, b);
  });

  it('a candidate takes an abandoned lease when it expires by its own observation, not a retry period later', async () => {
    const { base, memory, a, b } = await twoCandidates();
    a.lock.cut = true; // SIGKILL: no more renewals
    const lastRenew = memory.record?.renewTime as number;
    await base.advanceUntil(() => b.elector.isLeader, 30_000);
    // b saw the last renewal at its next read (at most one retry period later) and waits exactly the lease from there.
    expect(base.now() - lastRenew).toBeGreaterThanOrEqual(15_000);
    expect(base.now() - lastRenew).toBeLessThanOrEqual(15_000 + 2_000);
    await finish(base, a, b);
  });
});
