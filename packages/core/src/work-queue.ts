/**
 * The keyed work queue of a controller, with client-go's guarantees: a key waits at most once (adds are
 * de-duplicated), a key is never handed to two workers at once, and a key added while it is processed is
 * processed once more after `done`. It adds delayed and rate-limited adds, and two lanes: `high` for live
 * changes and `low` for resync work, served so that neither starves the other. The hot path is a state
 * map plus two ring buffers; a waiting consumer is handed a new key directly, without timers, and
 * {@link WorkQueue.tryGet} takes a key synchronously without a promise.
 */
import { type Clock, systemClock } from './clock.js';
import { DelayQueue } from './delay-queue.js';
import { ConfigError } from './errors.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';
import { RingBuffer } from './ring-buffer.js';

/** Lane of an add: `high` for live changes, `low` for resync and other background work. */
export type WorkPriority = 'high' | 'low';

/** Options of one add. */
export interface AddOptions {
  /** Lane to wait in; a `high` add of a key waiting in `low` moves it to `high`. @defaultValue 'high' */
  priority?: WorkPriority;
}

/** Options of {@link WorkQueue.shutDown}. */
export interface ShutDownOptions {
  /** Wait until every key handed out has been marked `done`. @defaultValue false */
  drain?: boolean;
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions<K> {
  /** Name for logs and metrics. @defaultValue 'work-queue' */
  name?: string;
  /** Time source of delayed adds. @defaultValue systemClock */
  clock?: Clock;
  /** Decides delays of {@link WorkQueue.addRateLimited}. @defaultValue defaultControllerRateLimiter() */
  rateLimiter?: RateLimiter<K>;
  /**
   * Least share of gets served from the low lane while both lanes have work, in (0, 1). The rest go to the
   * high lane, so live changes are never stuck behind a full resync, and a resync still progresses under
   * constant churn.
   * @defaultValue 0.2
   */
  lowPriorityShare?: number;
}

/** Defaults of {@link WorkQueueOptions}. */
export const workQueueDefaults = { name: 'work-queue', lowPriorityShare: 0.2 } as const;

// Per-key state, a small integer (no allocation per key): the low two bits are the lane the key waits in
// (or will wait in again after `done`), bit 2 says it is being processed. A key without state is unknown.
const HIGH = 1;
const LOW = 2;
const LANES = 3;
const PROCESSING = 4;

/**
 * De-duplicating keyed work queue with two priority lanes, delayed and rate-limited adds.
 * `undefined` is not a valid key.
 *
 * @example
 * ```ts
 * const queue = new WorkQueue<string>();
 * queue.add('default/web');
 * for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
 *   try { await reconcile(key); queue.forget(key); } catch { queue.addRateLimited(key); }
 *   finally { queue.done(key); }
 * }
 * ```
 */
export class WorkQueue<K> {
  /** Name for logs and metrics. */
  readonly name: string;
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter<K>;
  readonly #share: number;
  readonly #state = new Map<K, number>();
  readonly #high = new RingBuffer<K>(64);
  readonly #low = new RingBuffer<K>(64);
  // Slots of the low ring left behind by promotions; while there are none, no slot needs checking.
  #staleLow = 0;
  // Keys being processed that were added again; while there are none, `done` need not look the key up.
  #dirtyProcessing = 0;
  // The key last handed out (and not yet done), so `done` right after `get` takes the short path.
  #lastTaken: K | undefined;
  readonly #waiters = new RingBuffer<(key: K | undefined) => void>();
  readonly #delayed: DelayQueue<K>;
  #waitingHigh = 0;
  #waitingLow = 0;
  #processing = 0;
  #credit = 0;
  #shuttingDown = false;
  #drained: (() => void)[] = [];

  /** @throws ConfigError when `lowPriorityShare` is not in (0, 1). */
  constructor(options: WorkQueueOptions<K> = {}) {
    this.name = options.name ?? workQueueDefaults.name;
    this.#clock = options.clock ?? systemClock;
    const share = options.lowPriorityShare ?? workQueueDefaults.lowPriorityShare;
    if (typeof share !== 'number' || !(share > 0 && share < 1)) {
      throw new ConfigError('lowPriorityShare', `must be a number between 0 and 1 (exclusive), got ${String(share)}`);
    }
    this.#share = share;
    this.#rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<K>({ clock: this.#clock });
    this.#delayed = new DelayQueue<K>(this.#clock, (key, lane) => this.#add(key, lane));
  }

  /** Keys waiting to be handed out (not counting delayed keys or keys being processed). */
  get length(): number {
    return this.#waitingHigh + this.#waitingLow;
  }

  /** Keys handed out and not yet marked `done`. */
  get processing(): number {
    return this.#processing;
  }

  /** Keys waiting for their `addAfter`/`addRateLimited` delay. */
  get delayed(): number {
    return this.#delayed.size;
  }

  /** True once {@link WorkQueue.shutDown} was called: adds are ignored, gets drain what is left. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Queue `key` unless it already waits; a key being processed is queued again after `done`. */
  add(key: K, options?: AddOptions): void {
    if (this.#shuttingDown) return;
    this.#add(key, options?.priority === 'low' ? LOW : HIGH);
  }

  /** Queue `key` after `ms`; a key already delayed keeps its earlier due time. Ignored after shutdown. */
  addAfter(key: K, ms: number, options?: AddOptions): void {
    if (this.#shuttingDown) return;
    const lane = options?.priority === 'low' ? LOW : HIGH;
    if (ms > 0) this.#delayed.schedule(key, this.#clock.now() + ms, lane);
    else this.#add(key, lane);
  }

  /** Queue `key` after the delay the rate limiter gives it (counts one more requeue). */
  addRateLimited(key: K, options?: AddOptions): void {
    if (this.#shuttingDown) return;
    this.addAfter(key, this.#rateLimiter.when(key), options);
  }

  /** Reset `key`'s rate-limiter history (call after it was processed successfully). */
  forget(key: K): void {
    this.#rateLimiter.forget(key);
  }

  /** How many times `key` was rate limited since it was last forgotten. */
  numRequeues(key: K): number {
    return this.#rateLimiter.numRequeues(key);
  }

  /** Take the next key now, or `undefined` when none waits. The caller must call `done(key)` later. */
  tryGet(): K | undefined {
    const waitingHigh = this.#waitingHigh;
    const waitingLow = this.#waitingLow;
    if (waitingLow === 0) {
      if (waitingHigh === 0) return undefined;
      return this.#take(this.#high, HIGH);
    }
    if (waitingHigh === 0) return this.#take(this.#low, LOW);
    this.#credit += this.#share;
    if (this.#credit >= 1) {
      this.#credit -= 1;
      return this.#take(this.#low, LOW);
    }
    return this.#take(this.#high, HIGH);
  }

  /**
   * Wait for the next key; `undefined` means the queue is shut down and empty. A key is never handed to
   * two callers at once; the caller must call `done(key)` when finished.
   */
  get(): Promise<K | undefined> {
    const key = this.tryGet();
    if (key !== undefined || this.#shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Mark `key` as processed; if it was added meanwhile it waits again. Unknown keys are ignored. */
  done(key: K): void {
    if (key === this.#lastTaken && this.#dirtyProcessing === 0) {
      // Being processed and, as no processing key was added again, not added again: it leaves the queue.
      this.#lastTaken = undefined;
      this.#state.delete(key);
      if (--this.#processing === 0 && this.#drained.length > 0) this.#notifyDrained();
      return;
    }
    const state = this.#state.get(key);
    if (state === undefined || state < PROCESSING) return;
    if (key === this.#lastTaken) this.#lastTaken = undefined;
    const lane = state & LANES;
    if (lane === 0) {
      this.#state.delete(key);
      if (--this.#processing === 0 && this.#drained.length > 0) this.#notifyDrained();
      return;
    }
    this.#dirtyProcessing--;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#state.set(key, PROCESSING);
      this.#lastTaken = key;
      waiter(key);
      return;
    }
    this.#processing--;
    this.#enqueue(key, lane);
    if (this.#processing === 0 && this.#drained.length > 0) this.#notifyDrained();
  }

  /**
   * Stop accepting adds and cancel delayed ones; consumers still get the keys that wait, then `undefined`.
   * With `drain`, resolves once every key handed out has been marked `done`.
   */
  async shutDown(options: ShutDownOptions = {}): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      this.#delayed.clear();
      // Waiters exist only while nothing waits, so they all get `undefined`.
      for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) waiter(undefined);
    }
    if (options.drain === true && this.#processing > 0) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
  }

  #add(key: K, lane: number): void {
    const state = this.#state.get(key);
    if (state === undefined) {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) {
        this.#state.set(key, PROCESSING);
        this.#processing++;
        this.#lastTaken = key;
        waiter(key);
      } else {
        this.#enqueue(key, lane);
      }
    } else if (state >= PROCESSING) {
      // Being processed: remember to queue it again after `done`, in the higher of the two lanes.
      const again = state & LANES;
      if (again === 0) {
        this.#state.set(key, PROCESSING | lane);
        this.#dirtyProcessing++;
      } else if (lane < again) {
        this.#state.set(key, PROCESSING | lane);
      }
    } else if (state === LOW && lane === HIGH) {
      // Promote: the slot left in the low ring goes stale and is skipped when reached.
      this.#state.set(key, HIGH);
      this.#high.push(key);
      this.#waitingLow--;
      this.#waitingHigh++;
      this.#staleLow++;
    }
  }

  #enqueue(key: K, lane: number): void {
    this.#state.set(key, lane);
    if (lane === HIGH) {
      this.#high.push(key);
      this.#waitingHigh++;
    } else {
      this.#low.push(key);
      this.#waitingLow++;
    }
  }

  #take(ring: RingBuffer<K>, lane: number): K {
    // The lane's counter is positive, so a live slot is in the ring. Only the low ring can hold stale slots
    // (left by promotions): slots minus waiting keys equals #staleLow, so with none left every slot is live.
    for (;;) {
      const key = ring.shift() as K;
      if (lane === LOW && this.#staleLow > 0 && this.#state.get(key) !== LOW) {
        this.#staleLow--;
        continue;
      }
      this.#state.set(key, PROCESSING);
      if (lane === HIGH) this.#waitingHigh--;
      else this.#waitingLow--;
      this.#processing++;
      this.#lastTaken = key;
      return key;
    }
  }

  #notifyDrained(): void {
    const drained = this.#drained;
    this.#drained = [];
    for (const resolve of drained) resolve();
  }
}
