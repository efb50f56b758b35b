/**
 * Leader election under timing faults, on virtual time: acknowledgements that arrive late, a leader whose
 * process is paused (SIGSTOP, a GC or event-loop stall) while time goes on, and a lease taken by someone else.
 * The rule under test: two candidates never lead at once, and a leader stops as soon as it can know it lost.
 */
import { describe, expect, it } from 'vitest';
import { LeaderElector, type Leadership, MemoryLeaseLock, type VersionedLeaseRecord, VirtualClock } from '../src/index.js';
import { seededRandom } from '../src/testing/seeded-random.js';
import { ProcessClock, ProcessLock } from './fault-model.js';

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

function candidate(base: VirtualClock, memory: MemoryLeaseLock, identity: string, random = () => 0): Candidate {
  const clock = new ProcessClock(base);
  const lock = new ProcessLock(memory, clock);
  const elector = new LeaderElector({ lock, identity, clock, random, wallClock: () => base.now() });
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
  it.each([
    [5_000, 14_000],
    [9_000, 12_000],
  ])('counts its term from when the renewal was sent: an answer %i ms late cannot make two leaders', async (ackMs, end) => {
    const { base, memory, a, b } = await twoCandidates();
    // The renewal at t=4 s lands at once but its answer comes late; then the leader is cut off from the lock.
    a.lock.delays = (op) => ({ sendMs: 0, ackMs: op === 'update' ? ackMs : 0 });
    a.lock.afterUpdate = () => {
      a.lock.afterUpdate = () => {};
      a.lock.cut = true;
    };
    await advanceChecking(base, 30_000, a, b);
    expect(b.elector.isLeader).toBe(true);
    const [aEnd, bStart] = [a.terms[0]?.[1] as number, b.terms[0]?.[0] as number];
    // The term ends renewDeadline after the send time of the last renewal answered within the term: 4 s when its
    // answer (at 4 s + ackMs) came before the term of the 2 s renewal ended at 12 s, else 2 s.
    expect(aEnd).toBe(end);
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

  it('a candidate whose request is never answered gives it up after the renew deadline and tries again', async () => {
    const base = new VirtualClock();
    const memory = new MemoryLeaseLock();
    const clock = new ProcessClock(base);
    const lock = new ProcessLock(memory, clock);
    lock.cut = true; // the first request is lost for good (the connection died without an error)
    const elector = new LeaderElector({ lock, identity: 'a', clock, random: () => 0 });
    const stop = new AbortController();
    const done = elector.run({ onStartedLeading: () => {} }, stop.signal);
    await base.advance(1_000);
    lock.cut = false;
    await base.advanceUntil(() => elector.isLeader, 15_000);
    expect(base.now()).toBeLessThanOrEqual(10_000 + 2_000 + 1);
    stop.abort();
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    await base.advanceUntil(() => finished, 20_000);
    expect(memory.record?.holderIdentity).toBe(''); // released
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

  it('fails over within the documented bounds after a crash or a graceful stop, whatever the jitter and phase', async () => {
    const crash: number[] = [];
    const graceful: number[] = [];
    for (let seed = 1; seed <= 120; seed++) {
      const random = seededRandom(seed);
      const base = new VirtualClock();
      const memory = new MemoryLeaseLock();
      const a = candidate(base, memory, 'a', random);
      await base.advance(0);
      const b = candidate(base, memory, 'b', random);
      await base.advance(5_000 + Math.floor(random() * 10_000));
      expect(a.elector.isLeader).toBe(true);
      let from = base.now();
      if (seed % 2 === 0) {
        a.stop.abort(); // graceful: releases the lease
        let released = false;
        void a.done.then(() => {
          released = true;
        });
        await base.advanceUntil(() => released, 10_000);
        from = base.now();
      } else {
        a.lock.cut = true; // SIGKILL
      }
      await base.advanceUntil(() => b.elector.isLeader, 60_000);
      (seed % 2 === 0 ? graceful : crash).push(base.now() - from);
      await finish(base, a, b);
    }
    // docs/operations.md: a crash is taken over between leaseDuration − retryPeriod and leaseDuration + 2.2 ×
    // retryPeriod later; a released lease at the standby's next attempt, within 2.2 × retryPeriod.
    expect(Math.min(...crash)).toBeGreaterThanOrEqual(15_000 - 2_000);
    expect(Math.max(...crash)).toBeLessThanOrEqual(15_000 + 2.2 * 2_000);
    expect(Math.max(...graceful)).toBeLessThanOrEqual(2.2 * 2_000);
  });
});
