/**
 * Leader election over a {@link LeaseLock}, after client-go's `leaderelection`: a candidate takes the lease when
 * nobody holds it, when it holds it already, or when the holder has not renewed it for the holder's lease
 * duration as measured by the candidate's own clock from when it *received* the read that showed the record
 * change (so clocks of different machines are never compared, and a slow answer only delays a takeover). The
 * leader renews every `retryPeriodMs`, and counts its own deadline from when it *sent* its last successful write:
 * it leads until that send time plus `renewDeadlineMs`, which is shorter than the lease, so a late
 * acknowledgement can never stretch its leadership past what another candidate sees. It stops at once when that
 * deadline passes (a timer, so also right after an event-loop pause) or when a read shows another holder. The
 * lease's transition count is its fencing token. On stop it releases the lease so a successor need not wait.
 */
import { EventEmitter } from 'eventemitter3';
import { abortReason, type Clock, sleep, systemClock, type TimerHandle, untilAborted } from './clock.js';
import { ConfigError, ConflictError, ShutdownError, TimeoutError } from './errors.js';
import {
  type LeaderCallbacks,
  type LeaderElectorEvents,
  type LeaderElectorOptions,
  type Leadership,
  leaderElectorDefaults,
} from './leader-elector-options.js';
import type { LeaseLock, LeaseRecord } from './lease-lock.js';
import { checkAbove } from './option-checks.js';

export {
  type LeaderCallbacks,
  type LeaderElectorEvents,
  type LeaderElectorOptions,
  type Leadership,
  leaderElectorDefaults,
} from './leader-elector-options.js';

/** client-go's jitter factor of acquire attempts. */
const JITTER = 1.2;

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
  /** Clock time at which the last change of the record was *received* (a candidate's expiry base). */
  #observedAt = 0;
  #observedLeaseMs = 0;
  #reportedLeader = '';
  #isLeader = false;
  #running = false;
  #callbacks: LeaderCallbacks | undefined;
  /** Send time of this candidate's last successful write plus the renew deadline: the end of its term. */
  #validUntil = Number.NEGATIVE_INFINITY;
  #token = 0;
  #leading: AbortController | undefined;
  #lossTimer: TimerHandle | undefined;

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

  /** True while this candidate leads (between `leading` and `stoppedLeading`). */
  get isLeader(): boolean {
    return this.#isLeader;
  }

  /** Identity of the holder last seen in the lease ('' when none was seen). */
  get leader(): string {
    return this.#reportedLeader;
  }

  /** The fencing token of the current term (see {@link Leadership.fencingToken}), or `undefined` when not leading. */
  get fencingToken(): number | undefined {
    return this.#isLeader ? this.#token : undefined;
  }

  /** True while leading and before the end of the term by this candidate's clock (see {@link Leadership.holds}). */
  holdsLease(): boolean {
    return this.#isLeader && this.#clock.now() < this.#validUntil;
  }

  /**
   * Try to acquire the lease until `signal` aborts; once leading, renew it until `signal` aborts, a renewal
   * does not succeed before the term's end (send time of the last successful write plus `renewDeadlineMs`),
   * or a read shows another holder. Resolves when this candidate stops leading or `signal` aborts (it never
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
      this.#leading = leading;
      this.#isLeader = true;
      this.#armLoss();
      this.emit('leading');
      const leadership: Leadership = {
        fencingToken: this.#token,
        holds: () => !leading.signal.aborted && this.#clock.now() < this.#validUntil,
      };
      try {
        const started = callbacks.onStartedLeading(leading.signal, leadership);
        if (started instanceof Promise) started.catch((err: unknown) => this.#report(err));
      } catch (err) {
        this.#report(err);
      }
      await this.#renew(signal, leading.signal);
      this.#lose();
      if (this.#releaseOnCancel && signal?.aborted === true) await this.#release();
      this.emit('stoppedLeading');
      callbacks.onStoppedLeading?.();
    } finally {
      this.#lose();
      this.#running = false;
      this.#callbacks = undefined;
    }
  }

  async #acquire(signal: AbortSignal | undefined): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      // An attempt whose answer never comes must not block the candidate for ever: after the renew deadline it
      // could not open a term anyway. And an answer that came back after that term had ended opens none.
      const deadline = this.#deadline(this.#renewDeadlineMs, signal);
      const result = await this.#attempt(deadline.signal, false);
      deadline.dispose();
      if (result === 'won' && this.#clock.now() < this.#validUntil) return true;
      let wait = this.#retryPeriodMs * (1 + this.#random() * JITTER);
      // Wake when the observed lease expires rather than up to a jittered period later.
      const untilExpiry = this.#observedAt + this.#observedLeaseMs - this.#clock.now();
      if (this.#reportedLeader !== this.identity && untilExpiry > 0) wait = Math.min(wait, untilExpiry);
      try {
        await sleep(this.#clock, wait, signal);
      } catch {
        return false;
      }
    }
  }

  /** Renew every retry period until `signal` aborts or the term ends (`lost` aborts). */
  async #renew(signal: AbortSignal | undefined, lost: AbortSignal): Promise<void> {
    const stop = signal === undefined ? lost : AbortSignal.any([signal, lost]);
    let wait = true;
    for (;;) {
      if (wait) {
        try {
          await sleep(this.#clock, this.#retryPeriodMs, stop);
        } catch {
          return;
        }
      }
      // After a pause the sleep may end after the term did, before the loss timer ran: stop first.
      if (this.#clock.now() >= this.#validUntil) return;
      const result = await this.#attempt(stop, true);
      if (stop.aborted || result === 'lost') return;
      if (result === 'won') this.#armLoss();
      // A conflict means someone else wrote: read again at once (once) to see who holds the lease now.
      wait = !(result === 'conflict' && wait);
    }
  }

  /** End the term now: abort the leading signal. Idempotent. */
  #lose(): void {
    this.#isLeader = false;
    if (this.#lossTimer !== undefined) this.#clock.clearTimeout(this.#lossTimer);
    this.#lossTimer = undefined;
    this.#leading?.abort(new ShutdownError('leadership lost'));
    this.#leading = undefined;
  }

  /** (Re)arm the timer that ends the term at its deadline, even while a renewal is still waiting for an answer. */
  #armLoss(): void {
    if (this.#lossTimer !== undefined) this.#clock.clearTimeout(this.#lossTimer);
    this.#lossTimer = this.#clock.setTimeout(() => {
      this.#lossTimer = undefined;
      this.#lose();
    }, this.#validUntil - this.#clock.now());
  }

  /**
   * One try to acquire or renew (client-go's tryAcquireOrRenew); failures are reported, not thrown.
   * `won`: this candidate's write landed; `held`: another holder's lease is still valid; `lost`: while leading,
   * a read showed the record is no longer ours; `conflict`: a compare-and-swap lost a race; `failed`: an error.
   */
  async #attempt(signal: AbortSignal | undefined, leading: boolean): Promise<'won' | 'held' | 'lost' | 'conflict' | 'failed'> {
    const now = this.#wallClock();
    const desired: LeaseRecord = {
      holderIdentity: this.identity,
      leaseDurationMs: this.#leaseDurationMs,
      acquireTime: now,
      renewTime: now,
      leaderTransitions: 0,
    };
    try {
      const current = await untilAborted(this.#lock.get(signal), signal);
      if (current === undefined) {
        if (leading) return 'lost'; // the record was deleted under us: no term survives that
        const sentAt = this.#clock.now();
        await untilAborted(this.#lock.create(desired, signal), signal);
        this.#won(desired, sentAt);
        return 'won';
      }
      if (current.version !== this.#observedVersion || !this.#observed) {
        this.#observe(current, current.version);
      }
      const holder = current.holderIdentity;
      if (leading && holder !== this.identity) return 'lost';
      if (holder !== '' && holder !== this.identity && this.#observedAt + current.leaseDurationMs > this.#clock.now()) {
        return 'held';
      }
      if (holder === this.identity) {
        desired.acquireTime = current.acquireTime;
        desired.leaderTransitions = current.leaderTransitions;
      } else {
        desired.leaderTransitions = current.leaderTransitions + 1;
      }
      const sentAt = this.#clock.now();
      await untilAborted(this.#lock.update(desired, current.version, signal), signal);
      this.#won(desired, sentAt);
      return 'won';
    } catch (err) {
      if (err instanceof ConflictError) return 'conflict';
      if (!signal?.aborted) this.#report(err);
      return 'failed';
    }
  }

  /** Our write sent at `sentAt` landed: the term lasts until `sentAt + renewDeadlineMs`, whenever the answer came. */
  #won(record: LeaseRecord, sentAt: number): void {
    this.#observe(record, undefined);
    this.#token = record.leaderTransitions;
    this.#validUntil = sentAt + this.#renewDeadlineMs;
  }

  /** Give the lease up (holder '' and a 1 ms lease) so a successor takes it at once. */
  async #release(): Promise<void> {
    const deadline = this.#deadline(this.#renewDeadlineMs, undefined);
    try {
      const current = await untilAborted(this.#lock.get(deadline.signal), deadline.signal);
      if (current === undefined || current.holderIdentity !== this.identity) return;
      const now = this.#wallClock();
      const released: LeaseRecord = {
        holderIdentity: '',
        leaseDurationMs: 1,
        acquireTime: now,
        renewTime: now,
        leaderTransitions: current.leaderTransitions,
      };
      await untilAborted(this.#lock.update(released, current.version, deadline.signal), deadline.signal);
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
    this.#observedLeaseMs = record.leaseDurationMs;
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
