/**
 * The keyed work queue of a controller, with client-go's guarantees: a key waits at most once (adds are
 * de-duplicated), a key is never handed to two workers at once, and a key added while it is processed is
 * processed once more after `done`. It adds delayed and rate-limited adds, and two lanes: `high` for live
 * changes and `low` for resync work, served so that neither starves the other. The hot path is a state
 * map plus two ring buffers; a waiting consumer is handed a new key directly, without timers, and
 * {@link WorkQueue.tryGet} takes a key synchronously without a promise. A key that leaves the queue may stay in
 * the state map as an idle entry (a number), at most as many as the largest backlog ever seen and never more than
 * 65,536, so a working set that drains and refills does not make the map shrink and regrow each time.
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
  /**
   * Wait until every key accepted before the shutdown has been handed out and marked `done` (keys that waited,
   * and keys added again while they were processed). Keep consumers calling `get` until it returns `undefined`.
   * @defaultValue false
   */
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

// Per-key state is one number, so no object is allocated per key, and taking a key from a ring writes
// nothing to the map: a value >= 0 says the key was queued in lane `value % 4` at absolute ring position
// `floor(value / 4)`; it still waits if that position is not behind the ring's head, else it is being
// processed. Negative values mark keys being processed that left no trace in a ring: DIRECT (handed straight
// to a waiting consumer), or -HIGH / -LOW (added again meanwhile: queue again in that lane after `done`).
// IDLE marks a key neither waiting nor processed, kept instead of deleted (as many as the largest number of keys
// ever waiting or processed at once, at most IDLE_LIMIT): removing a working set at every drain and adding it back
// makes V8 shrink and regrow the Map's backing store each cycle, large short-lived tables that cost full
// (mark-compact) collections — bench W1 at batch 10,000 ran at half the speed of batches 1,000 and 40,000.
const HIGH = 1;
const LOW = 2;
const DIRECT = -4;
const IDLE = -8;
const IDLE_LIMIT = 65_536;

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
  // Absolute positions of each ring's head and tail (slots ever taken / ever pushed).
  #highHead = 0;
  #highTail = 0;
  #lowHead = 0;
  #lowTail = 0;
  // Slots of the low ring left behind by promotions; while there are none, no slot needs checking.
  #staleLow = 0;
  // Keys being processed that were added again; while there are none, `done` need not look the key up.
  #dirtyProcessing = 0;
  // Keys kept in the state map as IDLE, and the most keys ever waiting or processed at once (their bound).
  #idle = 0;
  #peak = 0;
  // The key last handed out (and not yet done), so `done` right after `get` takes the short path.
  #lastTaken: K | undefined;
  readonly #waiters = new RingBuffer<(key: K | undefined) => void>();
  readonly #delayed: DelayQueue<K>;
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
    return this.#high.length + this.#low.length - this.#staleLow;
  }

  /** Keys handed out and not yet marked `done`. */
  get processing(): number {
    return this.#processing;
  }

  /** Keys waiting for their `addAfter`/`addRateLimited` delay. */
  get delayed(): number {
    return this.#delayed.size;
  }

  /** True once {@link WorkQueue.shutDown} was called: adds are ignored, gets drain what was accepted before. */
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
    const high = this.#high.length;
    const low = this.#low.length - this.#staleLow;
    if (low === 0) return high === 0 ? undefined : this.#takeHigh();
    if (high === 0) return this.#takeLow();
    this.#credit += this.#share;
    if (this.#credit >= 1) {
      this.#credit -= 1;
      return this.#takeLow();
    }
    return this.#takeHigh();
  }

  /**
   * Wait for the next key; `undefined` means the queue is shut down and has nothing more to hand out: nothing
   * waits, and no key being processed was added again (such a key is handed out once more after its `done`,
   * so after a shutdown a caller may wait for it). A key is never handed to two callers at once; the caller
   * must call `done(key)` when finished.
   */
  get(): Promise<K | undefined> {
    const key = this.tryGet();
    if (key !== undefined || this.#finished()) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Mark `key` as processed; if it was added meanwhile it waits again — also after {@link WorkQueue.shutDown}:
   * the add was accepted before the shutdown, so the key is drained, not dropped (as in client-go). Unknown keys
   * are ignored.
   */
  done(key: K): void {
    if (key === this.#lastTaken && this.#dirtyProcessing === 0 && key !== undefined) {
      // Being processed and, as no processing key was added again, not added again: it leaves the queue.
      this.#lastTaken = undefined;
      this.#retire(key);
      this.#processing--;
      this.#checkDrained();
      return;
    }
    const value = this.#state.get(key);
    if (value === undefined || value === IDLE || (value >= 0 && this.#waits(value))) return;
    if (key === this.#lastTaken) this.#lastTaken = undefined;
    const again = value >= 0 || value === DIRECT ? 0 : -value;
    if (again === 0) {
      this.#retire(key);
      this.#processing--;
      this.#checkDrained();
      return;
    }
    this.#dirtyProcessing--;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#state.set(key, DIRECT);
      this.#lastTaken = key;
      waiter(key);
      // Shutting down, waiters stayed only for keys like this one: with none left, they are done.
      if (this.#finished()) this.#releaseWaiters();
      return;
    }
    this.#processing--;
    this.#enqueue(key, again);
  }

  /**
   * Stop accepting adds and cancel delayed ones. Everything accepted before is still handed out: the keys that
   * wait, and a key being processed that was added again (it waits again at its `done`); then `get` returns
   * `undefined`. With `drain`, resolves once all of it has been handed out and marked `done`.
   */
  async shutDown(options: ShutDownOptions = {}): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      this.#delayed.clear();
      if (this.#finished()) this.#releaseWaiters();
    }
    if (options.drain === true && (this.#processing > 0 || this.length > 0)) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
  }

  /** Shut down with nothing left to hand out, now or after a `done`. */
  #finished(): boolean {
    return this.#shuttingDown && this.#dirtyProcessing === 0 && this.length === 0;
  }

  /** Resolve every waiting consumer with `undefined` (waiters exist only while nothing waits). */
  #releaseWaiters(): void {
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) waiter(undefined);
  }

  #checkDrained(): void {
    if (this.#drained.length > 0 && this.#processing === 0 && this.length === 0) this.#notifyDrained();
  }

  /** `key` leaves the queue: kept as IDLE while few are, else deleted (see IDLE). */
  #retire(key: K): void {
    if (this.#idle < this.#peak) {
      this.#state.set(key, IDLE);
      this.#idle++;
    } else {
      this.#state.delete(key);
    }
  }

  #add(key: K, lane: number): void {
    let value = this.#state.get(key);
    if (value === IDLE) {
      this.#idle--;
      value = undefined;
    }
    if (value === undefined) {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) {
        this.#state.set(key, DIRECT);
        this.#processing++;
        this.#lastTaken = key;
        waiter(key);
      } else {
        this.#enqueue(key, lane);
      }
    } else if (value >= 0 && this.#waits(value)) {
      if (lane === HIGH && value % 4 === LOW) {
        // Promote: the slot left in the low ring goes stale and is skipped when reached.
        this.#staleLow++;
        this.#enqueue(key, HIGH);
      }
    } else if (value >= 0 || value === DIRECT) {
      // Being processed: queue it again after `done`.
      this.#state.set(key, -lane);
      this.#dirtyProcessing++;
    } else if (lane < -value) {
      // Already to be queued again, now in the higher lane.
      this.#state.set(key, -lane);
    }
  }

  /** For a queued state: true while the key's slot is not behind its ring's head (it still waits). */
  #waits(value: number): boolean {
    const lane = value % 4;
    return (value - lane) / 4 >= (lane === HIGH ? this.#highHead : this.#lowHead);
  }

  #enqueue(key: K, lane: number): void {
    const live = this.#state.size - this.#idle;
    if (live >= this.#peak && live < IDLE_LIMIT) this.#peak = live + 1;
    if (lane === HIGH) {
      this.#state.set(key, this.#highTail++ * 4 + HIGH);
      this.#high.push(key);
    } else {
      this.#state.set(key, this.#lowTail++ * 4 + LOW);
      this.#low.push(key);
    }
  }

  #takeHigh(): K {
    const key = this.#high.shift() as K;
    this.#highHead++;
    this.#processing++;
    this.#lastTaken = key;
    return key;
  }

  #takeLow(): K {
    // Called only when a live slot is in the ring. Slots left by promotions (#staleLow of them) are
    // recognised because the key's state no longer names their position; with none left, none is checked.
    for (;;) {
      const key = this.#low.shift() as K;
      const position = this.#lowHead++;
      if (this.#staleLow > 0 && this.#state.get(key) !== position * 4 + LOW) {
        this.#staleLow--;
        continue;
      }
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
