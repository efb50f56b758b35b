/**
 * Leader election over a {@link LeaseLock}, with client-go's `leaderelection` semantics: a candidate takes
 * the lease when nobody holds it, when it holds it already, or when the holder has not renewed it for
 * the holder's lease duration as measured by the candidate's own clock since it last saw the record change
 * (so clocks of different machines are never compared). The leader renews every `retryPeriodMs` and steps
 * down when it cannot renew within `renewDeadlineMs`, which is shorter than the lease, so two leaders
 * never overlap. On stop it releases the lease so a successor need not wait for expiry.
 */
import { EventEmitter } from 'eventemitter3';
import { abortReason, type Clock, sleep, systemClock, type TimerHandle } from './clock.js';
import { ConfigError, ConflictError, ShutdownError, TimeoutError } from './errors.js';
import type { LeaseLock, LeaseRecord } from './lease-lock.js';
import { checkAbove } from './option-checks.js';

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  /** The lock the candidates compete for. */
  lock: LeaseLock;
  /** This candidate's unique identity (e.g. pod name or hostname plus a random suffix). */
  identity: string;
  /** How long a lease is valid after its last renewal; candidates wait this long before taking it over. @defaultValue 15_000 */
  leaseDurationMs?: number;
  /** The leader steps down when it cannot renew for this long. Must be below `leaseDurationMs`. @defaultValue 10_000 */
  renewDeadlineMs?: number;
  /** Interval between attempts to acquire or renew. Must be below `renewDeadlineMs / 1.2`. @defaultValue 2_000 */
  retryPeriodMs?: number;
  /** Release the lease when `run` is stopped through its signal while leading. @defaultValue true */
  releaseOnCancel?: boolean;
  /** Time source for intervals and expiry. @defaultValue systemClock */
  clock?: Clock;
  /** Wall clock for the informational times written into the record. @defaultValue Date.now */
  wallClock?: () => number;
  /** Random numbers in [0, 1) for the jitter of acquire attempts. @defaultValue Math.random */
  random?: () => number;
}

/** Defaults of {@link LeaderElectorOptions} (client-go's recommended values). */
export const leaderElectorDefaults = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  releaseOnCancel: true,
} as const;

/** client-go's jitter factor of acquire attempts. */
const JITTER = 1.2;

/** Callbacks of {@link LeaderElector.run}. */
export interface LeaderCallbacks {
  /** Became leader; `signal` aborts when leadership ends. Errors are reported on the `error` event. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Leadership ended; called exactly once per `run` that started leading (never if it did not lead). */
  onStoppedLeading?(): void;
  /** Another (or this) candidate was seen holding the lease. */
  onNewLeader?(identity: string): void;
}

/** Events of {@link LeaderElector}. */
export interface LeaderElectorEvents {
  /** This candidate became leader. */
  leading: [];
  /** This candidate stopped leading. */
  stoppedLeading: [];
  /** A candidate was seen holding the lease. */
  newLeader: [identity: string];
  /** An attempt to acquire, renew or release failed, or `onStartedLeading` threw; the elector goes on. */
  error: [error: Error];
}

/**
 * Competes for a lease and runs `onStartedLeading` while holding it.
 *
 * @example
 * ```ts
 * const elector = new LeaderElector({ lock, identity: hostname() });
 * await elector.run({ onStartedLeading: (signal) => controller.start(signal) }, shutdown.signal);
 * ```
 */
export class LeaderElector extends EventEmitter<LeaderElectorEvents> {
  /** This candidate's identity. */
  readonly identity: string;
  readonly #lock: LeaseLock;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #releaseOnCancel: boolean;
  readonly #clock: Clock;
  readonly #wallClock: () => number;
  readonly #random: () => number;
  #observed = false;
  #observedVersion: string | undefined;
  #observedAt = 0;
  #reportedLeader = '';
  #isLeader = false;
  #running = false;
  #callbacks: LeaderCallbacks | undefined;

  /** @throws ConfigError when an option is invalid or the durations are inconsistent. */
  constructor(options: LeaderElectorOptions) {
    super();
    if (options.lock === undefined || options.lock === null) throw new ConfigError('lock', 'is required');
    if (typeof options.identity !== 'string' || options.identity === '') {
      throw new ConfigError('identity', 'must be a non-empty string');
    }
    this.identity = options.identity;
    this.#lock = options.lock;
    const d = leaderElectorDefaults;
    this.#leaseDurationMs = checkAbove('leaseDurationMs', options.leaseDurationMs ?? d.leaseDurationMs, 0);
    this.#renewDeadlineMs = checkAbove('renewDeadlineMs', options.renewDeadlineMs ?? d.renewDeadlineMs, 0);
    this.#retryPeriodMs = checkAbove('retryPeriodMs', options.retryPeriodMs ?? d.retryPeriodMs, 0);
    if (this.#leaseDurationMs <= this.#renewDeadlineMs) {
      throw new ConfigError('leaseDurationMs', 'must be greater than renewDeadlineMs');
    }
    if (this.#renewDeadlineMs <= JITTER * this.#retryPeriodMs) {
      throw new ConfigError('renewDeadlineMs', `must be greater than ${JITTER} × retryPeriodMs`);
    }
    this.#releaseOnCancel = options.releaseOnCancel ?? d.releaseOnCancel;
    this.#clock = options.clock ?? systemClock;
    this.#wallClock = options.wallClock ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** True while this candidate holds the lease (between `leading` and `stoppedLeading`). */
  get isLeader(): boolean {
    return this.#isLeader;
  }

  /** Identity of the holder last seen in the lease ('' when none was seen). */
  get leader(): string {
    return this.#reportedLeader;
  }

  /**
   * Try to acquire the lease until `signal` aborts; once leading, renew it until `signal` aborts or renewal
   * fails for `renewDeadlineMs`. Resolves when this candidate stops leading or `signal` aborts (it never
   * rejects); call it again to stand for election again.
   *
   * @throws ConfigError when `run` is already running.
   */
  async run(callbacks: LeaderCallbacks, signal?: AbortSignal): Promise<void> {
    if (this.#running) throw new ConfigError('run', 'this elector is already running');
    this.#running = true;
    this.#callbacks = callbacks;
    try {
      if (!(await this.#acquire(signal))) return;
      const leading = new AbortController();
      this.#isLeader = true;
      this.emit('leading');
      try {
        const started = callbacks.onStartedLeading(leading.signal);
        if (started instanceof Promise) started.catch((err: unknown) => this.#report(err));
      } catch (err) {
        this.#report(err);
      }
      await this.#renew(signal);
      this.#isLeader = false;
      leading.abort(new ShutdownError('leadership lost'));
      if (this.#releaseOnCancel && signal?.aborted === true) await this.#release();
      this.emit('stoppedLeading');
      callbacks.onStoppedLeading?.();
    } finally {
      this.#isLeader = false;
      this.#running = false;
      this.#callbacks = undefined;
    }
  }

  async #acquire(signal: AbortSignal | undefined): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      if (await this.#attempt(signal)) return true;
      const wait = this.#retryPeriodMs * (1 + this.#random() * JITTER);
      try {
        await sleep(this.#clock, wait, signal);
      } catch {
        return false;
      }
    }
  }

  /** Renew until `signal` aborts or a renewal does not succeed within the renew deadline. */
  async #renew(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const deadline = this.#deadline(this.#renewDeadlineMs, signal);
      let renewed = false;
      try {
        for (;;) {
          renewed = await this.#attempt(deadline.signal);
          if (renewed || deadline.signal.aborted) break;
          await sleep(this.#clock, this.#retryPeriodMs, deadline.signal);
        }
      } catch {
        renewed = false;
      } finally {
        deadline.dispose();
      }
      if (!renewed || signal?.aborted) return;
      try {
        await sleep(this.#clock, this.#retryPeriodMs, signal);
      } catch {
        return;
      }
    }
  }

  /** One try to acquire or renew (client-go's tryAcquireOrRenew); failures are reported, not thrown. */
  async #attempt(signal: AbortSignal | undefined): Promise<boolean> {
    const now = this.#wallClock();
    const desired: LeaseRecord = {
      holderIdentity: this.identity,
      leaseDurationMs: this.#leaseDurationMs,
      acquireTime: now,
      renewTime: now,
      leaderTransitions: 0,
    };
    try {
      const current = await this.#call(this.#lock.get(signal), signal);
      if (current === undefined) {
        await this.#call(this.#lock.create(desired, signal), signal);
        this.#observe(desired, undefined);
        return true;
      }
      if (current.version !== this.#observedVersion || !this.#observed) {
        this.#observe(current, current.version);
      }
      const holder = current.holderIdentity;
      if (holder !== '' && holder !== this.identity && this.#observedAt + current.leaseDurationMs > this.#clock.now()) {
        return false;
      }
      if (holder === this.identity) {
        desired.acquireTime = current.acquireTime;
        desired.leaderTransitions = current.leaderTransitions;
      } else {
        desired.leaderTransitions = current.leaderTransitions + 1;
      }
      await this.#call(this.#lock.update(desired, current.version, signal), signal);
      this.#observe(desired, undefined);
      return true;
    } catch (err) {
      if (!(err instanceof ConflictError) && !signal?.aborted) this.#report(err);
      return false;
    }
  }

  /** Give the lease up (holder '' and a 1 ms lease) so a successor takes it at once. */
  async #release(): Promise<void> {
    const deadline = this.#deadline(this.#renewDeadlineMs, undefined);
    try {
      const current = await this.#call(this.#lock.get(deadline.signal), deadline.signal);
      if (current === undefined || current.holderIdentity !== this.identity) return;
      const now = this.#wallClock();
      const released: LeaseRecord = {
        holderIdentity: '',
        leaseDurationMs: 1,
        acquireTime: now,
        renewTime: now,
        leaderTransitions: current.leaderTransitions,
      };
      await this.#call(this.#lock.update(released, current.version, deadline.signal), deadline.signal);
      this.#observe(released, undefined);
    } catch (err) {
      this.#report(err);
    } finally {
      deadline.dispose();
    }
  }

  #observe(record: LeaseRecord, version: string | undefined): void {
    this.#observed = true;
    this.#observedVersion = version;
    this.#observedAt = this.#clock.now();
    const holder = record.holderIdentity;
    if (holder !== '' && holder !== this.#reportedLeader) {
      this.#reportedLeader = holder;
      this.emit('newLeader', holder);
      try {
        this.#callbacks?.onNewLeader?.(holder);
      } catch (err) {
        this.#report(err);
      }
    }
  }

  /** Settle with `promise`, or reject as soon as `signal` aborts, even if the lock ignores the signal. */
  #call<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal === undefined) return promise;
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        promise.catch(() => {});
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => reject(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  /** An abort signal that fires after `ms` on the clock or when `parent` aborts. */
  #deadline(ms: number, parent: AbortSignal | undefined): { signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(parent === undefined ? undefined : abortReason(parent));
    const timer: TimerHandle = this.#clock.setTimeout(
      () => controller.abort(new TimeoutError(`lease lock gave no answer within ${ms} ms`)),
      ms,
    );
    if (parent?.aborted) onAbort();
    else parent?.addEventListener('abort', onAbort, { once: true });
    return {
      signal: controller.signal,
      dispose: () => {
        this.#clock.clearTimeout(timer);
        parent?.removeEventListener('abort', onAbort);
      },
    };
  }

  #report(err: unknown): void {
    this.emit('error', err instanceof Error ? err : new Error(String(err)));
  }
}
