/**
 * `HaproxySink`: keeps one administrator-made HAProxy backend per pool equal to the pool's desired
 * `BackendSet` over the Runtime API — as dynamic servers (`add server`/`del server`) or as `server-template`
 * slots. It reads `show info` and `show servers state` in one pipelined round trip, plans the difference and
 * writes only that (0 writes when nothing changed; a new member is `add server` + `state ready`). A reload or
 * restart of HAProxy loses dynamic servers and resets slots: the sink notices a new Pid (or a smaller uptime)
 * at every apply and in a periodic check, and re-applies every pool it knows at once. In slot mode with a
 * `stateFile`, the sink keeps HAProxy's server-state file current, so a reload restores the members itself
 * and the re-apply finds nothing to do.
 */
import { type ApplyResult, type BackendSet, normalizeBackendSet, type Sink, type TimerHandle } from '@nitrox/core';
import { HaproxyError, failureOf } from './errors.js';
import { owned, planMembers } from './member-plan.js';
import { MemberWriter } from './member-writer.js';
import { type HaproxySinkOptions, type ResolvedHaproxySinkOptions, resolveHaproxySinkOptions } from './sink-options.js';
import { inMaintenance, parseInfo, parseServersState, type ProcessIdentity, type ServerState } from './server-state.js';
import { checkName } from './validation.js';

/** Counters of a {@link HaproxySink}. */
export interface HaproxySinkStats {
  /** Applies that read HAProxy (a held empty set is not one). */
  applies: number;
  /** Write commands sent. */
  writes: number;
  /** Reloads or restarts noticed. */
  restarts: number;
  /** Pools re-applied because of a restart. */
  reapplies: number;
  /** Failed re-applies and restart checks. */
  errors: number;
}

const none: ApplyResult = { added: 0, updated: 0, removed: 0, writes: 0 };

/**
 * A `Sink<BackendSet>` over HAProxy's Runtime API.
 *
 * @example
 * ```ts
 * const sink = new HaproxySink({ client: { socket: '/run/haproxy/admin.sock' }, backend: (key) => `be_${key}` });
 * await sink.apply('web', { name: 'web', members: [{ address: '10.0.0.1', port: 8080 }] });
 * // → { added: 1, updated: 0, removed: 0, writes: 2 }   (add server + state ready)
 * await sink.stop();
 * ```
 */
export class HaproxySink implements Sink<BackendSet> {
  /** Counters. */
  readonly stats: HaproxySinkStats = { applies: 0, writes: 0, restarts: 0, reapplies: 0, errors: 0 };
  private readonly options: ResolvedHaproxySinkOptions;
  private readonly desired = new Map<string, BackendSet | undefined>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private identity: ProcessIdentity | undefined;
  private identityAt = 0;
  private timer: TimerHandle | undefined;
  private running = false;

  /** @throws ConfigError for an invalid option */
  constructor(options: HaproxySinkOptions) {
    this.options = resolveHaproxySinkOptions(options);
  }

  /** Start the periodic restart check (an apply starts it too). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stop the restart check, let the state file's last write finish; close the client when the sink created it. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.queues.values()]);
    await this.options.stateFile?.flush();
    if (this.options.ownsClient) await this.options.client.close();
  }

  /** The owned members of the pool's backend, or `undefined` when the backend does not exist. */
  async observe(key: string): Promise<BackendSet | undefined> {
    const servers = await this.read(key, false);
    if (!servers) return undefined;
    const members = servers
      .filter((s) => owned(s, this.options.serverPrefix) && !inMaintenance(s))
      .map((s) => ({ address: s.address, port: s.port, weight: s.weight }));
    return normalizeBackendSet({ name: key, members });
  }

  /**
   * Make the backend of `key` hold exactly `desired`'s members (owned servers only).
   * @throws HaproxyError (a SinkError) naming the failed command; SinkError for a member that cannot be written
   */
  apply(key: string, desired: BackendSet | undefined, signal?: AbortSignal): Promise<ApplyResult> {
    // Kept for re-applying after a restart; a deleted application has nothing to restore.
    if (desired === undefined) this.desired.delete(key);
    else this.desired.set(key, desired);
    this.start();
    return this.serially(key, () => this.applyNow(key, desired, signal));
  }

  private serially<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => {});
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return next;
  }

  private async applyNow(key: string, desired: BackendSet | undefined, signal?: AbortSignal): Promise<ApplyResult> {
    const members = desired ? normalizeBackendSet(desired).members : [];
    if (members.length === 0 && !this.options.allowEmpty) return none;
    this.stats.applies++;
    const writer = new MemberWriter(this.options, this.options.backend(key), signal);
    try {
      // Slot mode with every slot taken: the slots freed by removals take the rest in a second pass.
      for (let pass = 0; ; pass++) {
        const observed = await this.read(key, pass === 0);
        if (!observed) throw new HaproxyError('no-such-backend', `show servers state ${this.options.backend(key)}`, "Can't find backend.", { retryable: false });
        const plan = planMembers(observed, members, { mode: this.options.mode, prefix: this.options.serverPrefix, defaultWeight: this.options.defaultWeight });
        await writer.write(plan);
        if (plan.unplaced.length === 0) break;
        if (pass === 0 && plan.remove.length > 0) continue;
        throw new HaproxyError('bad-argument', `set server ${this.options.backend(key)}/…`, `no free ${this.options.serverPrefix} slot for ${plan.unplaced.length} member(s)`, { retryable: false });
      }
      return { ...writer.counts };
    } finally {
      this.stats.writes += writer.counts.writes;
      // End the session: an idle one would keep an old worker alive after a reload until HAProxy's stats timeout.
      this.options.client.renew();
    }
  }

  /** Read the backend's servers (and, at applies, the process identity in the same round trip). */
  private async read(key: string, withInfo: boolean): Promise<ServerState[] | undefined> {
    const backend = checkName('backend', this.options.backend(key));
    // A fresh session per apply: one kept open would stay with the old worker after a reload.
    this.options.client.renew();
    const commands = withInfo ? ['show info', `show servers state ${backend}`] : [`show servers state ${backend}`];
    const replies = await this.options.client.send(commands);
    if (withInfo) this.noteIdentity(parseInfo(replies[0] ?? ''), key);
    const state = replies[replies.length - 1] ?? '';
    const failure = failureOf(state);
    if (failure?.failure === 'no-such-backend') return undefined;
    if (failure) throw new HaproxyError(failure.failure, `show servers state ${backend}`, state.trim(), { retryable: failure.retryable });
    const servers = parseServersState(state);
    // The first read of a backend puts it in the state file; later ones rewrite it only if a change came from elsewhere.
    if (withInfo) this.options.stateFile?.update(backend, state);
    return servers;
  }

  /** Compare with the last identity seen; on a change, re-apply every known pool but `except` (being applied). */
  private noteIdentity(identity: ProcessIdentity, except?: string): void {
    const now = this.options.clock.now();
    const previous = this.identity;
    const expectedUptime = previous ? previous.uptimeSec + (now - this.identityAt) / 1000 : 0;
    this.identity = identity;
    this.identityAt = now;
    if (!previous) return;
    // A new worker pid (reload, restart) or an uptime well below the expected one (restart that reused the pid).
    if (identity.pid === previous.pid && identity.uptimeSec + 2 >= expectedUptime) return;
    this.stats.restarts++;
    this.options.logger.warn({ pid: identity.pid, previousPid: previous.pid }, 'haproxy reloaded or restarted: re-applying every pool');
    for (const [key, desired] of this.desired) {
      if (key === except) continue;
      this.stats.reapplies++;
      this.serially(key, () => this.applyNow(key, desired)).catch((err: unknown) => {
        this.stats.errors++;
        this.options.logger.warn({ key, err: err instanceof Error ? err.message : String(err) }, 're-apply after a restart failed');
      });
    }
  }

  private schedule(): void {
    const interval = this.options.restartCheckIntervalMs;
    if (!this.running || interval === 0) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.options.client
        .probe('show info')
        .then((info) => this.noteIdentity(parseInfo(info)))
        .catch((err: unknown) => {
          this.stats.errors++;
          this.options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'restart check failed');
        })
        .finally(() => this.schedule());
    }, interval);
  }
}
