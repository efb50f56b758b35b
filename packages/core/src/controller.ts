/**
 * The Controller: level-triggered reconciliation of every key of a desired state. Informer events only
 * name a key; a worker later reads the key's *latest* cached state and hands it to `reconcile`, so a burst
 * of changes costs one reconcile (the WorkQueue de-duplicates, an optional per-key debounce bounded by a max
 * wait coalesces further). A key is never reconciled twice at once. The last applied version per key
 * ({@link AppliedVersions}) turns older states into `staleDiscarded` and redelivered ones into `skipped`,
 * while resync, retry and requeue runs always reach `reconcile` so drift of the actual state is repaired.
 * Failures retry per key with the rate limiter's backoff (reset on success), or after the `requeueAfterMs`
 * the thrown error carries; a change during a backoff runs at once, and if it fails too the pending retry
 * keeps its time: triggers neither escalate the backoff nor cut it short.
 * Initial-list and resync work waits in the queue's low lane so live changes are not stuck behind it.
 *
 * Deletions come in two strengths ({@link PendingDeletions}). One the source reported (a `deleted` watch event
 * for version `v`) outranks the value of `v`: a late copy of that value is discarded. One the controller only
 * inferred — a key absent from a relist (which may be an older snapshot than what was applied), or absent from
 * the cache at start-up while the applied versions say the sink holds it — is applied, but the value of the same
 * version, when the watch or a resync brings it back, is applied again. So whatever the cache finally holds
 * reaches the sink within one resync, even after an older list.
 */
import { EventEmitter } from 'eventemitter3';
import { type AppliedRecord, AppliedVersions, demote } from './applied-versions.js';
import type { Clock, TimerHandle } from './clock.js';
import {
  type ControllerErrorInfo,
  type ControllerEvents,
  type ControllerOptions,
  type ControllerStats,
  type ControllerStopOptions,
  type ResolvedControllerOptions,
  resolveControllerOptions,
} from './controller-options.js';
import { asError, ShutdownError } from './errors.js';
import { Informer } from './informer.js';
import type { InformerEvents } from './informer-options.js';
import type { ListWatch, Versioned } from './list-watch.js';
import { PendingDeletions } from './pending-deletions.js';
import { ReconcileQueue, type TakenWork } from './reconcile-queue.js';
import { requeueAfterOf } from './requeue-error.js';

type State = 'new' | 'running' | 'stopping' | 'stopped';

/**
 * Keeps an external system converged on a desired state, one key at a time.
 *
 * @example
 * ```ts
 * const controller = new Controller({ source: store, reconcile: sinkReconciler(sink), resyncMs: 60_000 });
 * controller.on('error', (err, info) => log.warn({ err, ...info }, 'reconcile failed'));
 * controller.start(); // later: await controller.stop();
 * ```
 */
export class Controller<T> extends EventEmitter<ControllerEvents> {
  /** Name from the options, for logs and metrics. */
  readonly name: string;
  readonly #opts: ResolvedControllerOptions<T>;
  readonly #clock: Clock;
  readonly #informer: Informer<T>;
  readonly #ownsInformer: boolean;
  readonly #queue: ReconcileQueue;
  readonly #applied: AppliedVersions;
  /** Consecutive failures per key (reset on success). */
  readonly #failures = new Map<string, number>();
  /** Deletions still to apply, reported or inferred, until applied or the key comes back. */
  readonly #deletions = new PendingDeletions();
  readonly #lastSuccess = new Map<string, number>();
  /** Aborted by any stop: waiting for sync, reading actual keys. */
  readonly #lifecycle = new AbortController();
  /** Aborted only by stop({ drain: false }): the signal reconcile functions get. */
  readonly #reconcileAbort = new AbortController();
  #state: State = 'new';
  #synced = false;
  #workers: Promise<void>[] = [];
  #startup: Promise<void> = Promise.resolve();
  #stopped: Promise<void> | undefined;
  #resyncTimer: TimerHandle | undefined;
  #unsubscribe: () => void = () => {};
  #inFlight = 0;
  readonly #counts = {
    ...{ reconciles: 0, reconcileErrors: 0, sourceErrors: 0, staleDiscarded: 0, skipped: 0, retries: 0 },
    ...{ requeues: 0, resyncs: 0, durationMsTotal: 0, durationMsMax: 0, lastSuccessAt: undefined as number | undefined },
  };

  /** @throws ConfigError naming the first invalid option. Does no I/O; work starts at {@link Controller.start}. */
  constructor(options: ControllerOptions<T>) {
    super();
    this.#opts = resolveControllerOptions(options);
    this.name = this.#opts.name;
    this.#clock = this.#opts.clock;
    const source = this.#opts.source;
    this.#ownsInformer = !(source instanceof Informer);
    this.#informer =
      source instanceof Informer
        ? source
        : new Informer<T>(this.#stoppable(source), { name: this.name, ...this.#opts.informer, clock: this.#clock });
    this.#queue = new ReconcileQueue({ ...this.#opts, name: this.name });
    this.#applied = options.appliedVersions ?? new AppliedVersions();
  }

  /** The informer the controller reads from (its own, or the one passed as `source`). */
  get informer(): Informer<T> {
    return this.#informer;
  }

  /** The memory of applied versions (pass it to the next controller on restart). */
  get appliedVersions(): AppliedVersions {
    return this.#applied;
  }

  /** A snapshot of counters and gauges, for metrics. */
  get stats(): ControllerStats {
    return {
      ...this.#counts,
      queueDepth: this.#queue.depth,
      inFlight: this.#inFlight,
      pendingRetries: this.#queue.delayed,
    };
  }

  /** Clock time of the last successful reconcile of `key` while it exists, or `undefined` (never, or deleted). */
  lastSuccessAt(key: string): number | undefined {
    return this.#lastSuccess.get(key);
  }

  /**
   * Begin: subscribe to the informer (start it when the controller owns it), wait for its initial sync,
   * queue every known key at low priority, then run `concurrency` workers and the resync timer.
   *
   * @throws Error when called twice.
   */
  start(): void {
    if (this.#state !== 'new') throw new Error(`${this.name}: start() may be called only once`);
    this.#state = 'running';
    this.#subscribe();
    if (this.#ownsInformer) this.#informer.start();
    this.#startup = this.#afterSync();
  }

  /**
   * Mark `key` changed from outside (an interrupt that carries no state): it is reconciled from the cached
   * state like an informer change (a key the cache lacks, as deleted; an applied state, skipped). Ignored
   * unless running.
   */
  trigger(key: string): void {
    this.#onChange(key);
  }

  /**
   * Stop intake (informer events, resync timer, debounce), let running reconciles finish (or abort their
   * signal with `drain: false`), drop waiting keys, stop an owned informer, then resolve. Idempotent.
   */
  stop(options: ControllerStopOptions = {}): Promise<void> {
    if (this.#stopped !== undefined) {
      if (options.drain === false) this.#reconcileAbort.abort(new ShutdownError(`${this.name} stopped`));
      return this.#stopped;
    }
    const wasStarted = this.#state !== 'new';
    this.#state = 'stopping';
    this.#unsubscribe();
    this.#lifecycle.abort(new ShutdownError(`${this.name} stopped`));
    if (this.#resyncTimer !== undefined) this.#clock.clearTimeout(this.#resyncTimer);
    if (options.drain === false) this.#reconcileAbort.abort(new ShutdownError(`${this.name} stopped`));
    this.#stopped = (async () => {
      await this.#queue.close();
      await Promise.all(this.#workers);
      await this.#startup;
      if (wasStarted && this.#ownsInformer) await this.#informer.stop();
      this.#state = 'stopped';
    })();
    return this.#stopped;
  }

  /**
   * The owned informer's view of the source: every watch also ends when this controller stops. Informer.stop()
   * can otherwise wait (up to its idle timeout) for a watch opened just after the stop, when the stop landed
   * while a list was settling.
   */
  #stoppable(source: ListWatch<T>): ListWatch<T> {
    const stopped = this.#lifecycle.signal;
    return {
      list: (signal) => source.list(signal),
      watch: (from, signal) => source.watch(from, AbortSignal.any([signal, stopped])),
    };
  }

  #subscribe(): void {
    const informer = this.#informer;
    const onChange = (item: Versioned<T>): void => {
      this.#deletions.cancel(item.key);
      this.#onChange(item.key);
    };
    const onDeleted = (item: Versioned<T>): void => {
      this.#deletions.reported(item.key, item.version);
      this.#onChange(item.key);
    };
    const onResync = (item: Versioned<T>): void => void (this.#synced && this.#queue.resync(item.key));
    type Listener = (...args: never[]) => void;
    const emitter = informer as unknown as { on(e: string, fn: Listener): void; off(e: string, fn: Listener): void };
    const handlers: [keyof InformerEvents<T>, Listener][] = [
      ['added', onChange], ['updated', onChange], ['deleted', onDeleted], ['resync', onResync],
      ['error', (error: Error) => this.#sourceError(error, 'source')], ['relisted', () => this.#afterRelist()],
    ];
    for (const [event, fn] of handlers) emitter.on(event, fn);
    this.#unsubscribe = () => {
      for (const [event, fn] of handlers) emitter.off(event, fn);
    };
  }

  /**
   * A relist is a consistent snapshot, but possibly an *older* one than what was applied (the ListWatch
   * contract allows a cache, a lagging replica, a proxy): a key absent from it gets an *inferred* deletion,
   * applied, yet not outranking the value of its version should the watch bring that back. Runs synchronously
   * after the sweep's `deleted` events, before any worker reads them.
   */
  #afterRelist(): void {
    // Pending deletions of an old numbering mean nothing in the new one; absent keys get inferred ones below.
    if (this.#applied.useEpoch(this.#informer.epoch)) this.#deletions.clear();
    const cache = this.#informer.cache;
    for (const key of this.#deletions.inferAbsent((k) => cache.has(k), this.#applied)) this.#onChange(key);
  }

  async #afterSync(): Promise<void> {
    try {
      await this.#informer.waitForSync(this.#lifecycle.signal);
    } catch {
      return; // stopped before the initial sync: nothing was queued for workers
    }
    if (this.#state !== 'running') return;
    this.#synced = true;
    // Applied versions remembered from another incarnation of the source are not comparable with its own.
    if (this.#applied.useEpoch(this.#informer.epoch)) this.#deletions.clear();
    // Catch up in the low lane: every cached key, and keys applied earlier that vanished meanwhile.
    for (const key of this.#informer.cache.keys()) this.#queue.change(key, 'low');
    for (const key of this.#applied.liveKeys()) if (!this.#informer.cache.has(key)) this.#queue.change(key, 'low');
    for (let i = 0; i < this.#opts.concurrency; i++) this.#workers.push(this.#work());
    this.#scheduleResync();
    await this.#enqueueActualOrphans();
  }

  #onChange(key: string): void {
    if (this.#state !== 'running') return;
    // Before the initial sync workers are idle; the catch-up queues the cache in the low lane anyway.
    if (!this.#synced) this.#queue.change(key, 'low');
    else this.#queue.touch(key);
  }

  #scheduleResync(): void {
    if (this.#opts.resyncMs <= 0 || this.#state !== 'running') return;
    this.#resyncTimer = this.#clock.setTimeout(() => {
      this.#resyncTimer = undefined;
      if (this.#state !== 'running') return;
      this.#counts.resyncs++;
      const cache = this.#informer.cache;
      const queue = this.#queue;
      for (const key of cache.keys()) queue.resync(key);
      for (const key of this.#applied.liveKeys()) if (!cache.has(key)) queue.resync(key);
      for (const key of this.#deletions.keys()) queue.resync(key);
      this.#scheduleResync();
      void this.#enqueueActualOrphans();
    }, this.#opts.resyncMs);
  }

  /** Queue (as resync: always reconciled) the keys the actual state holds but the desired state lacks. */
  async #enqueueActualOrphans(): Promise<void> {
    const actualKeys = this.#opts.actualKeys;
    if (actualKeys === undefined) return;
    let keys: Iterable<string>;
    try {
      keys = await actualKeys(this.#lifecycle.signal);
    } catch (error) {
      if (this.#state === 'running') this.#sourceError(error, 'actual-keys');
      return;
    }
    if (this.#state !== 'running') return;
    for (const key of keys) if (!this.#informer.cache.has(key)) this.#queue.resync(key);
  }

  async #work(): Promise<void> {
    for (let key = await this.#queue.next(); key !== undefined; key = await this.#queue.next()) {
      try {
        if (this.#state === 'running') await this.#process(key);
      } catch (error) {
        // Only a throwing event listener can get here; keep the worker alive.
        this.#safeEmit('error', asError(error), { phase: 'reconcile', key });
      } finally {
        this.#queue.done(key);
      }
    }
  }

  async #process(key: string): Promise<void> {
    const work = this.#queue.take(key);
    if (work === undefined) return;
    const { reason, force } = work;

    const desired = this.#informer.cache.get(key);
    const candidate: AppliedRecord =
      desired !== undefined
        ? { version: desired.version, deleted: false }
        : this.#deletions.candidate(key, this.#applied);
    const comparison = this.#applied.compare(key, candidate);
    if (comparison === 'older') {
      this.#counts.staleDiscarded++;
      const applied = this.#applied.highestSent(key) as AppliedRecord;
      this.#safeEmit('staleDiscarded', { key, candidate, applied, reason });
      return;
    }
    if (comparison === 'same' && !force) {
      this.#counts.skipped++;
      this.#safeEmit('skipped', { key, candidate });
      return;
    }
    await this.#run(key, desired, candidate, work);
  }

  async #run(key: string, desired: Versioned<T> | undefined, candidate: AppliedRecord, work: TakenWork) {
    const { reason, backoffUntil } = work;
    const attempt = (this.#failures.get(key) ?? 0) + 1;
    const started = this.#clock.now();
    // Before the call: a failed (or aborted) attempt may still have written, so nothing older may follow it.
    this.#applied.attempt(key, candidate);
    const epochChanges = this.#applied.epochChanges;
    let result: unknown;
    let failure: unknown;
    let failed = false;
    this.#inFlight++;
    try {
      result = await this.#opts.reconcile(key, desired, { signal: this.#reconcileAbort.signal, reason, attempt });
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      this.#inFlight--;
    }
    const finished = this.#clock.now();
    const durationMs = finished - started;
    const counts = this.#counts;
    counts.reconciles++;
    counts.durationMsTotal += durationMs;
    counts.durationMsMax = Math.max(counts.durationMsMax, durationMs);
    const running = this.#state === 'running';

    if (failed) {
      counts.reconcileErrors++;
      this.#failures.set(key, attempt);
      let retryInMs: number | undefined;
      if (running) {
        // An explicit delay replaces this backoff step. A run triggered during a backoff that fails too keeps
        // the retry it cut in on: triggers must not escalate the backoff (kubernetes#132805).
        retryInMs =
          requeueAfterOf(failure) ??
          (backoffUntil !== undefined ? Math.max(0, backoffUntil - finished) : this.#opts.rateLimiter.when(key));
        counts.retries++;
        this.#queue.after(key, 'retry', retryInMs);
      }
      const info: ControllerErrorInfo = { phase: 'reconcile', key, reason, attempt, durationMs };
      if (retryInMs !== undefined) Object.assign(info, { retryInMs });
      this.#safeEmit('error', asError(failure), info);
      return;
    }

    // A run that straddled a change of epoch applied a state of the old numbering.
    this.#applied.record(key, this.#applied.epochChanges === epochChanges ? candidate : demote(candidate));
    if (candidate.deleted) this.#deletions.done(key, candidate);
    this.#failures.delete(key);
    this.#opts.rateLimiter.forget(key);
    // A deleted key's per-key entries go, so churn of short-lived keys does not grow memory (tombstones aside).
    if (candidate.deleted) this.#lastSuccess.delete(key);
    else this.#lastSuccess.set(key, finished);
    counts.lastSuccessAt = finished;
    const requeueAfterMs = requeueAfterOf(result);
    if (requeueAfterMs !== undefined && running) {
      counts.requeues++;
      this.#queue.after(key, 'requeue', requeueAfterMs);
    }
    this.#safeEmit('reconciled', {
      key,
      version: candidate.version,
      deleted: candidate.deleted,
      reason,
      attempt,
      durationMs,
      ...(requeueAfterMs === undefined ? {} : { requeueAfterMs }),
    });
  }

  #sourceError(error: unknown, phase: 'source' | 'actual-keys'): void {
    this.#counts.sourceErrors++;
    this.#safeEmit('error', asError(error), { phase });
  }

  /** Emit without letting a throwing listener break the loop that emits. */
  #safeEmit<E extends keyof ControllerEvents>(event: E, ...args: Parameters<ControllerEvents[E]>): void {
    try {
      (this.emit as (event: E, ...rest: Parameters<ControllerEvents[E]>) => boolean)(event, ...args);
    } catch {
      // A listener's bug is not the controller's failure.
    }
  }
}
