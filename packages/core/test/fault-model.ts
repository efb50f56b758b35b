/**
 * The fault model shared by the property and timing tests of the core: a seeded PRNG, a ListWatch that drops,
 * duplicates and replays events, answers lists with older snapshots and expires on demand, a sink that fails and
 * records every out-of-order apply, and a process's view of time and of a lease lock that can be paused (SIGSTOP,
 * a GC or event-loop stall) and whose requests and answers can be delayed.
 */
import {
  type ApplyResult,
  type Clock,
  ExpiredError,
  type ListResult,
  type ListWatch,
  type LeaseLock,
  type LeaseRecord,
  type MemoryLeaseLock,
  type MemoryStore,
  type Sink,
  SinkError,
  SourceError,
  sleep,
  type TimerHandle,
  type VersionedLeaseRecord,
  type VirtualClock,
  type WatchEvent,
} from '../src/index.js';

/** Probabilities of the source's and the sink's faults, and the controller's settings of one schedule. */
export interface Faults {
  drop: number;
  dup: number;
  replay: number;
  sinkFail: number;
  /** Malformed watch events and failing lists. */
  garbage: number;
  /** A list answered with an older consistent snapshot (a cache, a lagging replica, a proxy). */
  older: number;
  seed: number;
  concurrency: number;
  debounceMs: number;
}

/**
 * Wraps a ListWatch with dropped, duplicated and replayed events, disconnects on demand, a forced relist (the
 * open watch and the next one fail with ExpiredError), and lists answered from an older snapshot (`snapshot()`
 * records the store's state to be served later; a watch from its revision replays what followed, or expires). A
 * dropped event followed by later ones is invisible to the informer (its revision moved past it), so only a
 * relist repairs it.
 */
export function faultyListWatch(store: MemoryStore<number>, random: () => number, faults: Faults) {
  const open = new Set<AbortController>();
  const state = { on: true, expireNext: false, olderLists: 0 };
  const snapshots: ListResult<number>[] = [];
  const source: ListWatch<number> = {
    async list(signal) {
      if (state.on && random() < faults.garbage) throw new SourceError('list failed by fault injection', { status: 500 });
      if (state.on && snapshots.length > 0 && random() < faults.older) {
        state.olderLists++;
        return snapshots[Math.floor(random() * snapshots.length)] as ListResult<number>;
      }
      return store.list(signal);
    },
    async *watch(from, signal) {
      if (state.expireNext) {
        state.expireNext = false;
        throw new ExpiredError('forced relist');
      }
      if (signal.aborted) throw signal.reason;
      const inner = new AbortController();
      const onAbort = (): void => inner.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      open.add(inner);
      const seen: WatchEvent<number>[] = [];
      try {
        for await (const event of store.watch(from, inner.signal)) {
          if (state.on && random() < faults.drop) continue;
          if (state.on && random() < faults.garbage) yield { type: 'nonsense', revision: 7 } as unknown as WatchEvent<number>;
          yield event;
          if (state.on && random() < faults.dup) yield event;
          if (state.on && seen.length > 0 && random() < faults.replay) {
            yield seen[Math.floor(random() * seen.length)] as WatchEvent<number>;
          }
          seen.push(event);
        }
      } finally {
        open.delete(inner);
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
  const disconnect = (): void => {
    for (const inner of open) inner.abort(new SourceError('connection reset by fault injection'));
  };
  const forceRelist = (): void => {
    state.expireNext = open.size === 0;
    for (const inner of open) inner.abort(new ExpiredError('forced relist'));
  };
  const snapshot = (): void => {
    void store.list().then((listed) => snapshots.push(listed));
  };
  return { source, state, disconnect, forceRelist, snapshot };
}

/** What the sink may legitimately see after older lists (see {@link recordingSink}). */
export interface Tolerated {
  /** A deletion was inferred from a snapshot that predates the value: the value of that version comes back. */
  resurrection(): boolean;
  /** A controller without memory of applied versions read an older list: it cannot know the sink had newer. */
  regression(): boolean;
}

/**
 * An in-memory sink that fails at random and records every violation of version order it receives: a version
 * older than one it already got, or the value of the version it deleted last, except where `tolerated` says an
 * older list made it legitimate.
 */
export function recordingSink(
  clock: VirtualClock,
  random: () => number,
  faults: Faults,
  tolerated: Tolerated = { resurrection: () => false, regression: () => false },
) {
  const state = new Map<string, number>();
  const last = new Map<string, { version: number; deleted: boolean }>();
  const violations: string[] = [];
  const control = { failing: true };
  const sink: Sink<number> & { keys(): string[] } = {
    keys: () => [...state.keys()],
    async observe(key) {
      return state.get(key);
    },
    async apply(key, desired, signal): Promise<ApplyResult> {
      if (random() < 0.3) await sleep(clock, 1 + Math.floor(random() * 3), signal);
      const failing = control.failing && random() < faults.sinkFail;
      const ambiguous = failing && random() < 0.5; // wrote, then the answer was lost
      if (failing && !ambiguous) throw new SinkError('injected failure before write', { status: 503 });
      const prev = last.get(key);
      if (desired !== undefined && prev !== undefined) {
        if (desired < prev.version && !tolerated.regression()) violations.push(`${key}: got v${desired} after v${prev.version}`);
        if (desired === prev.version && prev.deleted && !tolerated.resurrection()) violations.push(`${key}: v${desired} resurrected after delete`);
      }
      last.set(key, desired === undefined ? { version: prev?.version ?? 0, deleted: true } : { version: desired, deleted: false });
      const had = state.get(key);
      if (desired === undefined) state.delete(key);
      else state.set(key, desired);
      if (ambiguous) throw new SinkError('injected failure after write', { status: 504 });
      const changed = had !== desired;
      return { added: 0, updated: 0, removed: 0, writes: changed ? 1 : 0 };
    },
  };
  return { sink, state, violations, control };
}

/**
 * One process's view of a shared VirtualClock: while paused its timers do not run (they are held, and run in
 * order on resume, with promise callbacks settling between them, as Node runs overdue timers), but time goes on.
 */
export class ProcessClock implements Clock {
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

/** The operations of a {@link LeaseLock}. */
export type LockOp = 'get' | 'create' | 'update';

/**
 * A lock seen through one process's network. A request reaches the lock after its send delay (on the shared
 * clock: the network is not paused with the process); its answer reaches the caller after its ack delay on the
 * process's clock, so a paused process gets no answer until it resumes. `cut` drops requests (they hang until
 * aborted), as for a crashed peer or a partition.
 */
export class ProcessLock implements LeaseLock {
  cut = false;
  /** Delays of one request, in ms. */
  delays: (op: LockOp) => { sendMs: number; ackMs: number } = () => ({ sendMs: 0, ackMs: 0 });
  /** Called after each update reached the lock. */
  afterUpdate: () => void = () => {};
  constructor(
    readonly inner: MemoryLeaseLock,
    readonly clock: ProcessClock,
  ) {}
  async #answer<T>(name: LockOp, op: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.cut) {
      return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    const { sendMs, ackMs } = this.delays(name);
    if (sendMs > 0) await sleep(this.clock.base, sendMs);
    const settled = op().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    // A timer only when needed (each costs a flush of the virtual clock); a paused process waits for its resume.
    if (ackMs > 0 || this.clock.paused) await sleep(this.clock, ackMs);
    const result = await settled;
    if (!result.ok) throw result.error;
    return result.value;
  }
  get(signal?: AbortSignal): Promise<VersionedLeaseRecord | undefined> {
    return this.#answer('get', () => this.inner.get(), signal);
  }
  create(record: LeaseRecord, signal?: AbortSignal): Promise<void> {
    return this.#answer('create', () => this.inner.create(record), signal);
  }
  update(record: LeaseRecord, ifVersion: string, signal?: AbortSignal): Promise<void> {
    return this.#answer(
      'update',
      async () => {
        await this.inner.update(record, ifVersion);
        this.afterUpdate();
      },
      signal,
    );
  }
}
