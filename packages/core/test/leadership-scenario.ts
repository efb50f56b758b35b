/**
 * Two replicas, each an elector that runs a Controller while it leads, over one lease lock and one desired-state
 * store, writing to one shared peer — under delayed lock requests and answers, partitions from the lock, and
 * pauses of a whole process while time goes on (SIGSTOP, a stall). Every write to the peer is recorded with its
 * writer, term and time, so a property can check that the replicas' writes never interleave, that terms overlap
 * only while the older leader is paused (it cannot act then, and stops the moment it resumes), and that the peer
 * converges once the faults stop. A reconcile writes in two steps and checks `Leadership.holds()` before each, as
 * the documentation asks of a sink without fencing.
 */
import {
  Controller,
  LeaderElector,
  type Leadership,
  MemoryLeaseLock,
  MemoryStore,
  ShutdownError,
  sleep,
  VirtualClock,
} from '../src/index.js';
import { seededRandom } from '../src/testing/seeded-random.js';
import { ProcessClock, ProcessLock } from './fault-model.js';

/** One step of a schedule; `who` names a replica (0 or 1). */
export type LeaderOp =
  | { t: 'put'; key: number }
  | { t: 'del'; key: number }
  | { t: 'wait'; ms: number }
  | { t: 'pause'; who: number; ms: number }
  | { t: 'partition'; who: number; ms: number }
  | { t: 'delays'; who: number; sendMs: number; ackMs: number };

/** A term: from the start of leading until its signal aborted. */
interface Term {
  readonly who: number;
  readonly start: number;
  end: number | undefined;
  readonly token: number;
  firstWrite: number | undefined;
  lastWrite: number | undefined;
}

interface Replica {
  readonly clock: ProcessClock;
  readonly lock: ProcessLock;
  readonly stop: AbortController;
  readonly pauses: [number, number][];
  maxSendMs: number;
  maxAckMs: number;
  loop: Promise<void>;
  controller: Controller<number> | undefined;
  stopping: Promise<void>[];
}

/** What a schedule produced. */
export interface LeadershipResult {
  violations: string[];
  terms: number;
  takeovers: number;
  writes: number;
}

const KEYS = ['a', 'b', 'c'];
const RESYNC_MS = 5_000;

/** Run `ops` against two replicas and return every violation found. */
export async function runLeadershipScenario(ops: LeaderOp[], seed: number): Promise<LeadershipResult> {
  const base = new VirtualClock();
  const random = seededRandom(seed);
  const store = new MemoryStore<number>();
  const memoryLock = new MemoryLeaseLock();
  const peer = new Map<string, number>();
  const terms: Term[] = [];
  const violations: string[] = [];
  let writes = 0;

  const replica = (who: number): Replica => {
    const clock = new ProcessClock(base);
    const lock = new ProcessLock(memoryLock, clock);
    const r: Replica = {
      ...{ clock, lock, stop: new AbortController(), pauses: [], maxSendMs: 0, maxAckMs: 0 },
      ...{ loop: Promise.resolve(), controller: undefined, stopping: [] },
    };
    lock.delays = () => ({ sendMs: Math.floor(random() * r.maxSendMs), ackMs: Math.floor(random() * r.maxAckMs) });
    const elector = new LeaderElector({ lock, identity: `r${who}`, clock, random, wallClock: () => base.now() });
    const lead = (signal: AbortSignal, leadership: Leadership): void => {
      const term: Term = {
        ...{ who, start: base.now(), end: undefined, token: leadership.fencingToken },
        ...{ firstWrite: undefined, lastWrite: undefined },
      };
      terms.push(term);
      const controller = new Controller<number>({
        name: `r${who}`,
        source: store,
        clock,
        resyncMs: RESYNC_MS,
        actualKeys: () => [...peer.keys()], // a new leader also removes what an earlier one left behind
        reconcile: async (key, desired, ctx) => {
          for (let step = 0; step < 2; step++) {
            await sleep(clock, 1 + Math.floor(random() * 3), ctx.signal); // on the process's clock: a pause stops it
            if (!leadership.holds()) throw new ShutdownError('the term is over');
            const at = base.now();
            if (term.end !== undefined) violations.push(`r${who} wrote at ${at} after its term ended at ${term.end}`);
            term.firstWrite ??= at;
            term.lastWrite = at;
            writes++;
            if (desired === undefined) peer.delete(key);
            else peer.set(key, desired.value);
          }
        },
      });
      r.controller = controller;
      controller.start();
      signal.addEventListener(
        'abort',
        () => {
          term.end = base.now();
          r.controller = undefined;
          r.stopping.push(controller.stop({ drain: false }));
        },
        { once: true },
      );
    };
    r.loop = (async () => {
      while (!r.stop.signal.aborted) {
        await elector.run({ onStartedLeading: lead }, r.stop.signal);
        await sleep(clock, 2_000, r.stop.signal).catch(() => {});
      }
    })();
    return r;
  };

  const replicas = [replica(0), replica(1)];
  for (const op of ops) {
    switch (op.t) {
      case 'put':
        store.put(KEYS[op.key] as string, Number(store.revision) + 1);
        break;
      case 'del':
        store.delete(KEYS[op.key] as string);
        break;
      case 'wait':
        await base.advance(op.ms);
        break;
      case 'pause': {
        const r = replicas[op.who] as Replica;
        const from = base.now();
        r.clock.paused = true;
        await base.advance(op.ms);
        r.pauses.push([from, base.now()]);
        await r.clock.resume();
        break;
      }
      case 'partition': {
        const r = replicas[op.who] as Replica;
        r.lock.cut = true;
        await base.advance(op.ms);
        r.lock.cut = false;
        break;
      }
      case 'delays': {
        const r = replicas[op.who] as Replica;
        r.maxSendMs = op.sendMs;
        r.maxAckMs = op.ackMs;
        break;
      }
    }
  }

  // The faults stop: the peer must follow the store under whoever leads.
  for (const r of replicas) {
    r.maxSendMs = 0;
    r.maxAckMs = 0;
  }
  const converged = (): boolean => {
    const leader = replicas.find((r) => r.controller !== undefined);
    if (leader?.controller === undefined || leader.controller.stats.inFlight > 0 || leader.controller.stats.queueDepth > 0) {
      return false;
    }
    if (peer.size !== store.size) return false;
    for (const [key, value] of peer) if (store.get(key)?.value !== value) return false;
    return true;
  };
  try {
    await base.advanceUntil(converged, 120_000);
  } catch {
    violations.push(`did not converge: peer ${JSON.stringify([...peer])}, store ${store.revision}`);
  }

  checkTerms(terms, replicas, base.now(), violations);
  let settled = 0;
  for (const r of replicas) {
    r.stop.abort();
    void r.loop.then(() => settled++);
  }
  await base.advanceUntil(() => settled === replicas.length, 60_000);
  await Promise.all(replicas.flatMap((r) => r.stopping));
  const takeovers = terms.filter((t, i) => i > 0 && terms[i - 1]?.who !== t.who).length;
  return { violations, terms: terms.length, takeovers, writes };
}

/**
 * Terms of different replicas may overlap only inside a pause of one of them (a paused process cannot act, and
 * ends its term the moment it resumes); their writes must never interleave; fencing tokens grow with holders.
 */
function checkTerms(terms: Term[], replicas: Replica[], now: number, violations: string[]): void {
  for (const [i, x] of terms.entries()) {
    for (const y of terms.slice(i + 1)) {
      if (x.who === y.who) continue;
      const from = Math.max(x.start, y.start);
      const to = Math.min(x.end ?? now, y.end ?? now);
      if (from < to) {
        const inPause = [x, y].some((t) =>
          (replicas[t.who] as Replica).pauses.some(([p0, p1]) => p0 <= from && to <= p1),
        );
        if (!inPause) violations.push(`r${x.who} and r${y.who} both led during [${from}, ${to}] with neither paused`);
      }
      if (x.firstWrite !== undefined && y.firstWrite !== undefined) {
        const apart = (x.lastWrite as number) < y.firstWrite || (y.lastWrite as number) < x.firstWrite;
        if (!apart) violations.push(`writes of r${x.who} and r${y.who} interleave`);
      }
      if (y.start >= (x.end ?? now) && y.token <= x.token) violations.push(`fencing token did not grow: ${x.token} → ${y.token}`);
    }
  }
}
