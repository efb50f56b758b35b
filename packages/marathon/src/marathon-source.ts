/**
 * The Marathon source: a core `ListWatch<BackendSet>` with one pool per selected app, kept current from
 * Marathon's event bus used as interrupts only. Each event marks the apps it names dirty; a bounded trailing
 * debounce coalesces bursts, and a single worker then fetches the dirty apps (`/v2/apps/{id}/tasks`, or the app
 * itself when its definition may have changed), or one full snapshot (`/v2/apps?embed=apps.tasks`) when many
 * apps are dirty, after every (re)connect, and on a jittered timer that repairs lost events. One fetch runs at a
 * time, so a stale answer can never overwrite a newer one, and the order in which events arrive cannot matter.
 */
import {
  type BackendSet,
  type Clock,
  debounce,
  type Debounced,
  isNitroxError,
  type ListResult,
  type ListWatch,
  ShutdownError,
  SourceError,
  type TimerHandle,
  type Versioned,
  type WatchEvent,
  abortReason,
} from '@nitrox/core';
import { EventEmitter } from 'eventemitter3';
import { MarathonEventStream } from './event-stream.js';
import { type MarathonApi, MarathonClient } from './marathon-client.js';
import { eventImpact } from './marathon-events.js';
import type { MarathonEvent, MarathonTask } from './marathon-types.js';
import { PoolState } from './pool-state.js';
import { type Backoff, createBackoff } from './reconnect-backoff.js';
import type { MarathonSourceEvents, MarathonSourceStats } from './source-events.js';
import { type MarathonSourceOptions, type ResolvedSourceOptions, resolveSourceOptions } from './source-options.js';

type DirtyKind = 'tasks' | 'definition';

const maxReportedTasks = 10_000;

/**
 * Backend pools of Marathon apps, as a `ListWatch<BackendSet>` keyed by app id.
 *
 * @example
 * ```ts
 * const source = new MarathonSource({ url: 'http://marathon.mesos:8080', select: { group: 'external' }, port: 'http' });
 * const controller = new Controller({ source, reconcile: sinkReconciler(sink) });
 * source.start();
 * controller.start();
 * ```
 */
export class MarathonSource extends EventEmitter<MarathonSourceEvents> implements ListWatch<BackendSet> {
  readonly #o: ResolvedSourceOptions;
  readonly #clock: Clock;
  readonly #client: MarathonApi;
  readonly #state: PoolState;
  readonly #stream: MarathonEventStream | undefined;
  readonly #fetchBackoff: Backoff;
  readonly #debounced: Debounced<[]>;
  readonly #dirty = new Map<string, DirtyKind>();
  readonly #unresolved = new Set<string>();
  #dirtyAll = true;
  #running: Promise<void> | undefined;
  #again = false;
  #retryTimer: TimerHandle | undefined;
  #snapshotTimer: TimerHandle | undefined;
  #stop: AbortController | undefined;
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #s = { snapshots: 0, taskFetches: 0, appFetches: 0, fetchErrors: 0, events: 0, ignoredEvents: 0, malformed: 0, unresolvedTasks: 0 };

  /** @throws {@link ConfigError} for invalid options (naming the option, never echoing a credential). */
  constructor(options: MarathonSourceOptions) {
    super();
    this.#o = resolveSourceOptions(options);
    this.#clock = this.#o.clock;
    this.#client = this.#o.client;
    this.#state = new PoolState({
      ...this.#o,
      onUnresolved: (error) => {
        // Reported once per task (a refetch projects it again), from a bounded memory of reported tasks.
        const id = error.taskId ?? error.host;
        if (this.#unresolved.has(id)) return;
        this.#unresolved.add(id);
        if (this.#unresolved.size > maxReportedTasks) this.#unresolved.delete(this.#unresolved.values().next().value as string);
        this.#s.unresolvedTasks++;
        this.emit('unresolved', error);
      },
    });
    this.#fetchBackoff = createBackoff(this.#o.backoff, this.#clock, this.#o.random);
    this.#debounced = debounce(() => this.#kick(), {
      waitMs: this.#o.debounceMs,
      maxWaitMs: this.#o.maxWaitMs,
      clock: this.#clock,
    });
    if (this.#o.events) {
      const stream = new MarathonEventStream(this.#client, {
        eventTypes: this.#o.eventTypes,
        idleTimeoutMs: this.#o.idleTimeoutMs,
        backoff: this.#o.streamBackoff ?? this.#o.backoff ?? {},
        clock: this.#clock,
        random: this.#o.random,
      });
      stream.on('connected', () => this.#onConnected());
      stream.on('disconnected', (reason, delayMs) => this.emit('disconnected', reason, delayMs));
      stream.on('event', (event) => this.#onEvent(event));
      stream.on('malformed', (error) => {
        this.#s.malformed++;
        this.emit('malformed', error);
      });
      this.#stream = stream;
    }
  }

  /** Counters. */
  get stats(): MarathonSourceStats {
    const stream = this.#stream?.stats;
    return {
      ...this.#s,
      connects: stream?.connects ?? 0,
      disconnects: stream?.disconnects ?? 0,
      ...this.#state.writes,
      hostLookups: this.#o.resolver?.stats.lookups ?? 0,
      redirects: this.#client instanceof MarathonClient ? this.#client.stats.redirects : 0,
      leaderMoves: this.#client instanceof MarathonClient ? this.#client.stats.leaderMoves : 0,
    };
  }

  /** True while the event stream is open. */
  get connected(): boolean {
    return this.#stream?.connected ?? false;
  }

  /** True once the first full snapshot has been applied. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolve once synced; reject when `signal` aborts. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const waiter = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#syncWaiters = this.#syncWaiters.filter((w) => w !== waiter);
        reject(abortReason(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(waiter);
    });
  }

  /** The current pool of an app, if it is selected and known. */
  get(appId: string): Versioned<BackendSet> | undefined {
    return this.#state.store.get(appId);
  }

  /** Start the event stream and the first snapshot (idempotent). `list`/`watch` call it too. */
  start(): void {
    if (this.#stop !== undefined) return;
    this.#stop = new AbortController();
    this.#dirtyAll = true;
    this.#kick();
    this.#stream?.start();
  }

  /** Stop the stream, timers and fetches; the pools stay readable. */
  async stop(): Promise<void> {
    const stop = this.#stop;
    if (stop === undefined) return;
    stop.abort(new ShutdownError('marathon source stopped'));
    this.#debounced.cancel();
    if (this.#retryTimer !== undefined) this.#clock.clearTimeout(this.#retryTimer);
    if (this.#snapshotTimer !== undefined) this.#clock.clearTimeout(this.#snapshotTimer);
    this.#retryTimer = undefined;
    this.#snapshotTimer = undefined;
    await this.#stream?.stop();
    await this.#running?.catch(() => undefined);
    if (this.#o.ownsClient) await this.#client.close();
    this.#stop = undefined;
  }

  /** Every pool, once the first snapshot is in (starts the source if needed). */
  async list(signal: AbortSignal): Promise<ListResult<BackendSet>> {
    this.start();
    await this.waitForSync(signal);
    return this.#state.store.list(signal);
  }

  /** Changes of the pools after `fromRevision` (a revision from {@link MarathonSource.list}). */
  watch(fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent<BackendSet>> {
    this.start();
    return this.#state.store.watch(fromRevision, signal);
  }

  /** Ask for a full snapshot now (e.g. from an operator's "resync" button). */
  resync(): void {
    this.#dirtyAll = true;
    this.#kick();
  }

  #onConnected(): void {
    this.emit('connected');
    // Marathon cannot replay what happened while we were away: take a full snapshot now.
    this.resync();
  }

  #onEvent(event: MarathonEvent): void {
    this.#s.events++;
    this.emit('event', event);
    const impact = eventImpact(event);
    if (impact.kind === 'none') return;
    if (impact.kind === 'all') this.#dirtyAll = true;
    else {
      let marked = false;
      for (const appId of impact.appIds) {
        // An app we know and do not select cannot change a pool through its tasks: skip the fetch.
        if (impact.kind === 'tasks' && this.#state.selected(appId) === false) continue;
        if (this.#dirty.get(appId) !== 'definition') this.#dirty.set(appId, impact.kind);
        marked = true;
      }
      if (!marked) {
        this.#s.ignoredEvents++;
        return;
      }
    }
    this.#debounced.call();
  }

  #kick(): void {
    if (this.#stop === undefined || this.#stop.signal.aborted || this.#retryTimer !== undefined) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#work(this.#stop.signal).finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.#kick();
      }
    });
  }

  async #work(signal: AbortSignal): Promise<void> {
    if (!this.#dirtyAll && this.#dirty.size === 0) return;
    this.#debounced.cancel();
    const full = this.#dirtyAll || !this.#synced || this.#dirty.size > this.#o.maxAppFetches;
    const batch = full ? [] : [...this.#dirty];
    this.#dirtyAll = false;
    this.#dirty.clear();
    try {
      if (full) await this.#snapshot(signal);
      else await this.#fetchApps(batch, signal);
      this.#fetchBackoff.reset();
    } catch (error) {
      if (signal.aborted) return;
      if (full) this.#dirtyAll = true;
      this.#s.fetchErrors++;
      this.emit('error', isNitroxError(error) ? error : new SourceError('marathon fetch failed', { cause: error }));
      this.#retryTimer = this.#clock.setTimeout(() => {
        this.#retryTimer = undefined;
        this.#kick();
      }, this.#fetchBackoff.next());
    }
  }

  async #snapshot(signal: AbortSignal): Promise<void> {
    this.#s.snapshots++;
    const apps = await this.#client.listApps(signal);
    await this.#resolveHosts(apps.flatMap((app) => app.tasks ?? []), signal);
    if (signal.aborted) return;
    this.#state.applySnapshot(apps);
    this.#scheduleSnapshot();
    this.emit('snapshot', apps.length);
    if (!this.#synced) {
      this.#synced = true;
      const waiters = this.#syncWaiters;
      this.#syncWaiters = [];
      for (const resolve of waiters) resolve();
      this.emit('synced');
    }
  }

  #scheduleSnapshot(): void {
    if (this.#snapshotTimer !== undefined) this.#clock.clearTimeout(this.#snapshotTimer);
    this.#snapshotTimer = undefined;
    const interval = this.#o.snapshotIntervalMs;
    if (interval <= 0) return;
    const delay = interval * (0.9 + 0.2 * this.#o.random());
    this.#snapshotTimer = this.#clock.setTimeout(() => {
      this.#snapshotTimer = undefined;
      this.resync();
    }, delay);
  }

  async #fetchApps(batch: readonly [string, DirtyKind][], signal: AbortSignal): Promise<void> {
    const queue = [...batch];
    const failed: [string, DirtyKind][] = [];
    let firstError: unknown;
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const [appId, kind] = next;
        try {
          await this.#fetchApp(appId, kind, signal);
        } catch (error) {
          failed.push(next);
          firstError ??= error;
        }
      }
    };
    const workers = Math.min(this.#o.fetchConcurrency, queue.length);
    await Promise.all(Array.from({ length: workers }, worker));
    if (failed.length > 0) {
      for (const [appId, kind] of failed) if (this.#dirty.get(appId) !== 'definition') this.#dirty.set(appId, kind);
      throw firstError;
    }
  }

  async #fetchApp(appId: string, kind: DirtyKind, signal: AbortSignal): Promise<void> {
    if (kind === 'tasks' && this.#state.selected(appId) !== undefined) {
      this.#s.taskFetches++;
      const tasks = await this.#client.getAppTasks(appId, signal);
      await this.#resolveHosts(tasks ?? [], signal);
      if (signal.aborted || this.#state.applyTasks(appId, tasks)) return;
    }
    this.#s.appFetches++;
    const app = await this.#client.getApp(appId, signal);
    await this.#resolveHosts(app?.tasks ?? [], signal);
    if (!signal.aborted) this.#state.applyApp(appId, app);
  }

  /** Fill the hostname cache for these tasks' agents, so that the projection reads addresses synchronously. */
  async #resolveHosts(tasks: readonly MarathonTask[], signal: AbortSignal): Promise<void> {
    const resolver = this.#o.resolver;
    if (resolver === undefined || tasks.length === 0) return;
    const hosts = new Set<string>();
    for (const task of tasks) if (typeof task?.host === 'string') hosts.add(task.host);
    await resolver.prepare(hosts, signal);
  }
}
