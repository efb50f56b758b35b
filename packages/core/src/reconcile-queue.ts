/**
 * The Controller's scheduling state over a {@link WorkQueue}: why each key waits. A key is queued once, but
 * the reasons for it merge (a change, a resync, a retry due at some time, a requeue due at some time), and
 * the worker that takes it learns the merged reason and whether the run may be skipped. Delayed reasons keep
 * their own due time because the WorkQueue keeps the *earliest* of several delays of a key: a wake-up before
 * the due time re-arms the delay instead of running early, so backoff is never cut short by a stale timer.
 * Changes can pass through a per-key debounce first. Internal to the Controller.
 */
import type { Clock } from './clock.js';
import type { ReconcileReason } from './controller-options.js';
import { KeyedDebouncer } from './keyed-debouncer.js';
import type { RateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

interface PendingWork {
  change: boolean;
  resync: boolean;
  retryAt: number | undefined;
  requeueAt: number | undefined;
}

/** What a worker should do with a key it took. */
export interface TakenWork {
  /** The reported reason: change, then retry, requeue, resync (the first that applies). */
  readonly reason: ReconcileReason;
  /** False only for a plain change, which may be skipped when its state is already applied. */
  readonly force: boolean;
  /** Set when the key runs early, during a backoff: the retry's due time, kept if this run fails too. */
  readonly backoffUntil: number | undefined;
}

/** Options of {@link ReconcileQueue}. */
export interface ReconcileQueueOptions {
  name: string;
  clock: Clock;
  rateLimiter: RateLimiter<string>;
  lowPriorityShare: number | undefined;
  /** Per-key trailing debounce of live changes; 0 = off. */
  debounceMs: number;
  maxWaitMs: number;
}

/** Keys waiting to be reconciled, with why. */
export class ReconcileQueue {
  readonly #clock: Clock;
  readonly #queue: WorkQueue<string>;
  readonly #debouncer: KeyedDebouncer<string> | undefined;
  readonly #pending = new Map<string, PendingWork>();
  /** Keys with a retry or requeue waiting for its due time. */
  readonly #delayed = new Set<string>();
  #closed = false;

  constructor(options: ReconcileQueueOptions) {
    this.#clock = options.clock;
    this.#queue = new WorkQueue<string>({
      name: options.name,
      clock: options.clock,
      rateLimiter: options.rateLimiter,
      ...(options.lowPriorityShare === undefined ? {} : { lowPriorityShare: options.lowPriorityShare }),
    });
    this.#debouncer =
      options.debounceMs > 0
        ? new KeyedDebouncer<string>({
            waitMs: options.debounceMs,
            maxWaitMs: options.maxWaitMs,
            clock: options.clock,
            onFire: (key) => this.change(key, 'high'),
          })
        : undefined;
  }

  /** Keys waiting to be taken (not counting delayed or debouncing ones). */
  get depth(): number {
    return this.#queue.length;
  }

  /** Keys waiting for a retry or requeue delay. */
  get delayed(): number {
    return this.#delayed.size;
  }

  /** A live change of `key`: through the debounce when there is one. */
  touch(key: string): void {
    if (this.#closed) return;
    if (this.#debouncer !== undefined) this.#debouncer.touch(key);
    else this.change(key, 'high');
  }

  /** Queue a change of `key` now, in the given lane. */
  change(key: string, priority: 'high' | 'low'): void {
    if (this.#closed) return;
    this.#pendingOf(key).change = true;
    this.#queue.add(key, { priority });
  }

  /** Queue a resync of `key` in the low lane: it will reach reconcile even if nothing changed. */
  resync(key: string): void {
    if (this.#closed) return;
    this.#pendingOf(key).resync = true;
    this.#queue.add(key, { priority: 'low' });
  }

  /** Queue `key` after `ms` as a retry (after a failure) or a requeue (asked for by a result). */
  after(key: string, why: 'retry' | 'requeue', ms: number): void {
    if (this.#closed) return;
    const pending = this.#pendingOf(key);
    const at = this.#clock.now() + ms;
    if (why === 'retry') pending.retryAt = at;
    else pending.requeueAt = at;
    this.#delayed.add(key);
    this.#queue.addAfter(key, ms);
  }

  /** Wait for the next key; `undefined` once closed and empty. Call {@link done} after handling it. */
  next(): Promise<string | undefined> {
    return this.#queue.get();
  }

  /**
   * Claim the work of a key just taken: its merged reason, or `undefined` when there is nothing to do now
   * (a delayed add whose work already ran, or an early wake-up, which is re-armed for the real due time).
   */
  take(key: string): TakenWork | undefined {
    const pending = this.#pending.get(key);
    if (pending === undefined) return undefined;
    const now = this.#clock.now();
    const retryDue = pending.retryAt !== undefined && pending.retryAt <= now;
    const requeueDue = pending.requeueAt !== undefined && pending.requeueAt <= now;
    if (!pending.change && !pending.resync && !retryDue && !requeueDue) {
      const due = Math.min(pending.retryAt ?? Number.POSITIVE_INFINITY, pending.requeueAt ?? Number.POSITIVE_INFINITY);
      this.#queue.addAfter(key, due - now);
      return undefined;
    }
    this.#pending.delete(key);
    this.#delayed.delete(key);
    // Several reasons merge into one run; a change during a backoff runs now and takes the retry along.
    const reason: ReconcileReason = pending.change
      ? 'change'
      : retryDue
        ? 'retry'
        : requeueDue
          ? 'requeue'
          : 'resync';
    const force = pending.resync || pending.retryAt !== undefined || pending.requeueAt !== undefined;
    return { reason, force, backoffUntil: retryDue ? undefined : pending.retryAt };
  }

  /** Mark a taken key handled. */
  done(key: string): void {
    this.#queue.done(key);
  }

  /** Stop intake (debounced changes are dropped); waiting keys are still handed out, then `undefined`. */
  close(): Promise<void> {
    this.#closed = true;
    this.#debouncer?.dispose();
    this.#delayed.clear();
    return this.#queue.shutDown();
  }

  #pendingOf(key: string): PendingWork {
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = { change: false, resync: false, retryAt: undefined, requeueAt: undefined };
      this.#pending.set(key, pending);
    }
    return pending;
  }
}
