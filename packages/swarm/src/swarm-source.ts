/**
 * The Docker Swarm source: a core `ListWatch<BackendSet>` (one set per selected service, keyed by name).
 * Swarm has no task events, so Engine events are interrupts (service and node events from the manager,
 * container events as hints naming their service) that trigger a targeted read of just the touched
 * services, and full polls (core Pollers: often while the stream is down, rarely while it is healthy)
 * repair anything missed. Interrupts are coalesced by a core debounce with a max wait, one pass reads many
 * services at once, and a service whose tasks are still starting (no event says when they run) is followed
 * with growing follow-up reads that replace its container hints, so a rolling update of many tasks costs a
 * dozen requests. Results land in a core MemoryStore, which versions only real changes and serves list/watch.
 */
import {
  abortReason,
  type BackendSet,
  type Clock,
  type Debounced,
  debounce,
  isNitroxError,
  type ListResult,
  type ListWatch,
  MemoryStore,
  type PollResult,
  Poller,
  type NitroxError,
  RetryBackoff,
  ShutdownError,
  SourceError,
  SyncLatch,
  systemClock,
  type TimerHandle,
  type Versioned,
  type WatchEvent,
} from '@nitrox/core';
import { EventEmitter } from 'eventemitter3';
import { projectService, sameBackendSet } from './backend-projection.js';
import { EngineClient, undefinedIfNotFound } from './engine-client.js';
import type { EngineEvent, SwarmService, SwarmTask } from './engine-types.js';
import { followEvents } from './event-follower.js';
import {
  type ResolvedSwarmSourceOptions,
  resolveSwarmSourceOptions,
  selects,
  type SwarmSourceEvents,
  type SwarmSourceOptions,
  type SwarmSourceStats,
} from './swarm-source-options.js';
import { isSettled, SettleTracker } from './settle-tracker.js';
import { SwarmState } from './swarm-state.js';

const containerHints = new Set(['start', 'die', 'stop', 'kill', 'destroy', 'oom']);

/**
 * Backend sets of swarm services, kept current from a manager's Engine API.
 * `version` is the store's (bumped only by a real change); `sourceVersion` stays unset: a set spans a service, its tasks and the nodes.
 *
 * @example
 * ```ts
 * const source = new SwarmSource({ connection: { socketPath: '/var/run/docker.sock' }, select: { labels: { 'nitrox.enable': 'true' } } });
 * const controller = new Controller({ source, reconcile: sinkReconciler(sink) });
 * controller.start(); // the controller's list() starts the source
 * ```
 */
export class SwarmSource extends EventEmitter<SwarmSourceEvents> implements ListWatch<BackendSet> {
  readonly #o: ResolvedSwarmSourceOptions;
  readonly #clock: Clock;
  readonly #client: Pick<EngineClient, 'services' | 'tasks' | 'nodes' | 'events'>;
  readonly #store: MemoryStore<BackendSet>;
  readonly #state = new SwarmState();
  readonly #keyOf = new Map<string, string>();
  readonly #dirty = { full: false, nodes: false, services: new Set<string>() };
  readonly #settling: SettleTracker;
  readonly #debounced: Debounced<[]>;
  readonly #stats = { fullPasses: 0, targetedPasses: 0, requests: 0, events: 0, malformed: 0, eventConnects: 0, errors: 0 };
  #controller: AbortController | undefined;
  #follower: Promise<void> | undefined;
  #runner: Promise<void> | undefined;
  readonly #healthyPoll: Poller<true>;
  readonly #fallbackPoll: Poller<true>;
  #writes = 0;
  #settleTimer: TimerHandle | undefined;
  #retryTimer: TimerHandle | undefined;
  readonly #retry = { full: false, nodes: false, services: new Set<string>() };
  #retryBackoff: RetryBackoff;
  #eventsUp = false;
  readonly #sync = new SyncLatch();
  #lastFullError: NitroxError | undefined;

  /** @throws ConfigError on invalid options. Does no I/O. */
  constructor(options: SwarmSourceOptions = {}) {
    super();
    this.#o = resolveSwarmSourceOptions(options);
    this.#clock = this.#o.clock ?? systemClock;
    this.#client = this.#o.client ?? new EngineClient(this.#o.connection ?? {});
    this.#store = new MemoryStore<BackendSet>({ historyLimit: this.#o.historyLimit });
    this.#settling = new SettleTracker(this.#o);
    this.#retryBackoff = new RetryBackoff({ ...this.#o.backoff, clock: this.#clock, ...(this.#o.random ? { random: this.#o.random } : {}) });
    const fetch = async (): Promise<PollResult<true>> => {
      const before = this.#writes;
      this.#dirty.full = true;
      await this.#flush();
      if (this.#lastFullError !== undefined) throw this.#lastFullError; // reported already; the poller backs off
      return this.#writes > before ? { changed: true, value: true } : { changed: false };
    };
    // Fixed periods (grow/shrink 1); failed reads back off by doubling up to 30 s (the poller's error backoff).
    const poller = (every: number): Poller<true> =>
      new Poller({
        fetch,
        intervalMs: every,
        minIntervalMs: every,
        maxIntervalMs: Math.max(every, 30_000),
        growFactor: 1,
        shrinkFactor: 1,
        jitter: this.#o.pollJitter,
        clock: this.#clock,
        ...(this.#o.random ? { random: this.#o.random } : {}),
      });
    this.#healthyPoll = poller(this.#o.pollIntervalMs);
    this.#fallbackPoll = poller(this.#o.fallbackPollMs);
    this.#debounced = debounce(() => void this.#flush(), {
      waitMs: this.#o.debounceMs,
      maxWaitMs: this.#o.maxWaitMs,
      clock: this.#clock,
    });
  }

  /** Counters since construction. */
  get stats(): SwarmSourceStats {
    return { ...this.#stats };
  }

  /** True while the event stream is connected. */
  get eventsConnected(): boolean {
    return this.#eventsUp;
  }

  /** True once a full read has succeeded. */
  hasSynced(): boolean {
    return this.#sync.isOpen;
  }

  /** The current backend set of a service, by name. */
  get(name: string): Versioned<BackendSet> | undefined {
    return this.#store.get(name);
  }

  /** Start the event follower and the poll loop (idempotent). `list()` calls it. */
  start(): void {
    if (this.#controller !== undefined) return;
    const controller = new AbortController();
    this.#controller = controller;
    // The fallback poller reads everything at once, and polls until the event stream is up (or for good).
    this.#fallbackPoll.start();
    if (this.#o.events) {
      this.#follower = followEvents(
        {
          client: this.#client,
          types: ['service', 'node', 'container'],
          clock: this.#clock,
          ...(this.#o.random ? { random: this.#o.random } : {}),
          ...(this.#o.backoff ? { backoff: this.#o.backoff } : {}),
          idleTimeoutMs: this.#o.eventsIdleTimeoutMs,
          onEvent: (event) => this.#onEvent(event),
          onConnected: () => {
            this.#eventsUp = true;
            this.#stats.eventConnects++;
            this.emit('eventsConnected');
            // Anything may have happened while the stream was down: the healthy poller reads everything now.
            void this.#fallbackPoll.stop();
            this.#healthyPoll.start();
          },
          onDisconnected: (reason) => {
            this.#eventsUp = false;
            this.emit('eventsDisconnected', reason);
            void this.#healthyPoll.stop();
            this.#fallbackPoll.start(); // reads now, then every fallbackPollMs
          },
          onError: (error) => this.#report(error),
        },
        controller.signal,
      );
    }
  }

  /** Stop every loop and timer; pending reads are aborted. */
  async stop(): Promise<void> {
    const controller = this.#controller;
    if (controller === undefined) return;
    controller.abort();
    this.#debounced.cancel();
    for (const timer of [this.#settleTimer, this.#retryTimer]) if (timer !== undefined) this.#clock.clearTimeout(timer);
    this.#settleTimer = undefined;
    this.#retryTimer = undefined;
    await Promise.allSettled([this.#follower, this.#runner, this.#healthyPoll.stop(), this.#fallbackPoll.stop()]);
    this.#follower = undefined;
    this.#controller = undefined;
    this.#eventsUp = false;
    this.#sync.rejectWaiters(new ShutdownError('swarm source stopped before its first read'));
  }

  /**
   * Every backend set and the store revision. Starts the source when needed and waits for the first full
   * read, rejecting with its error (for example a 503 {@link SourceError}: not a swarm manager).
   */
  async list(signal: AbortSignal): Promise<ListResult<BackendSet>> {
    this.start();
    if (!this.#sync.isOpen) {
      // A running loop is busy with start()'s full read; otherwise (an earlier read failed) read again now.
      if (this.#runner === undefined) this.#dirty.full = true;
      await this.#flush();
      if (signal.aborted) throw abortReason(signal);
      if (!this.#sync.isOpen) throw this.#lastFullError ?? new SourceError('the first read of the swarm did not complete');
    }
    return this.#store.list(signal);
  }

  /** Changes after `fromRevision` (see core MemoryStore: ExpiredError when it is too old). */
  watch(fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent<BackendSet>> {
    return this.#store.watch(fromRevision, signal);
  }

  /** Resolve once the first full read succeeded. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.#sync.wait(signal);
  }

  /** Read everything now (as a poll would) and wait for it. */
  refresh(): Promise<void> {
    this.#dirty.full = true;
    return this.#flush();
  }

  #onEvent(event: EngineEvent): void {
    this.#stats.events++;
    if (event.Type === 'service') this.#dirty.services.add(event.Actor.ID);
    else if (event.Type === 'node') this.#dirty.nodes = true;
    else if (event.Type === 'container') {
      const service = event.Actor.Attributes['com.docker.swarm.service.id'];
      if (service === undefined || !(containerHints.has(event.Action) || event.Action.startsWith('health_status'))) return;
      // A service being followed is read on its own schedule: a rollout's container events add no reads.
      if (this.#settling.has(service)) return;
      this.#dirty.services.add(service);
    } else return;
    this.#debounced.call();
  }

  #report(error: NitroxError): void {
    if (error.code === 'NITROX_MALFORMED_EVENT') this.#stats.malformed++;
    else this.#stats.errors++;
    this.emit('error', error);
  }

  /** Run passes until nothing is dirty; concurrent callers share the running loop. */
  #flush(): Promise<void> {
    if (this.#runner !== undefined) return this.#runner;
    const runner: Promise<void> = (async () => {
      // Yield first: a loop that finds nothing to do must not clear #runner before it is assigned.
      await Promise.resolve();
      try {
        while (this.#controller !== undefined && !this.#controller.signal.aborted && this.#hasDirty()) {
          const work = { full: this.#dirty.full, nodes: this.#dirty.nodes, services: new Set(this.#dirty.services) };
          this.#dirty.full = false;
          this.#dirty.nodes = false;
          this.#dirty.services.clear();
          this.#debounced.cancel();
          await this.#pass(work, this.#controller.signal);
        }
      } finally {
        this.#runner = undefined; // only this loop runs: #flush starts no other while it is set
      }
    })();
    this.#runner = runner;
    return runner;
  }

  #hasDirty(): boolean {
    return this.#dirty.full || this.#dirty.nodes || this.#dirty.services.size > 0;
  }

  async #pass(work: { full: boolean; nodes: boolean; services: Set<string> }, signal: AbortSignal): Promise<void> {
    let requests = 0;
    const count = <T>(p: Promise<T>): Promise<T> => {
      requests++;
      this.#stats.requests++;
      return p;
    };
    try {
      let affected: Iterable<string>;
      let checked: Iterable<string>;
      if (work.full) {
        const [services, tasks, nodes] = await Promise.all([
          count(this.#client.services(signal)),
          count(this.#client.tasks(signal)),
          count(this.#client.nodes(signal)),
        ]);
        affected = this.#state.replaceAll(services, tasks, nodes).services;
        checked = [...this.#state.services.keys()];
        this.#stats.fullPasses++;
      } else {
        const ids = [...work.services];
        const [services, maybeTasks, nodes] = await Promise.all([
          ids.length > 0 ? count(this.#client.services(signal, { id: ids })) : Promise.resolve([] as SwarmService[]),
          ids.length > 0 ? count(this.#client.tasks(signal, ids).catch(undefinedIfNotFound)) : Promise.resolve([] as SwarmTask[]),
          work.nodes ? count(this.#client.nodes(signal)) : Promise.resolve(undefined),
        ]);
        // /tasks answers 404 when a filtered service is gone: ask again for those that still exist.
        const existing = services.map((s) => s.ID).filter((id): id is string => id !== undefined && ids.includes(id));
        const tasks = maybeTasks ?? (existing.length > 0 ? await count(this.#client.tasks(signal, existing)) : []);
        const change = this.#state.replaceServices(ids, services, tasks);
        const nodesChanged = nodes !== undefined && this.#state.replaceNodes(nodes);
        affected = nodesChanged ? [...this.#state.services.keys(), ...change.services] : change.services;
        checked = ids;
        this.#stats.targetedPasses++;
      }
      const changed = this.#write(affected);
      this.#follow(checked);
      if (work.full) this.#markSynced();
      this.#retryBackoff.reset();
      this.emit('pass', { kind: work.full ? 'full' : 'targeted', requests, changed });
    } catch (error) {
      if (signal.aborted) return;
      const failure = isNitroxError(error) ? error : new SourceError('reading the swarm failed', { cause: error });
      if (work.full) this.#lastFullError = failure;
      this.#report(failure);
      if (!work.full) this.#retryLater(work); // full reads are retried by the pollers (and list()'s caller)
    }
  }

  /** Read `work` again after a backoff with jitter (the poll would repair it too, but later). */
  #retryLater(work: { full: boolean; nodes: boolean; services: Set<string> }): void {
    this.#retry.full ||= work.full;
    this.#retry.nodes ||= work.nodes;
    for (const id of work.services) this.#retry.services.add(id);
    if (this.#retryTimer !== undefined) return;
    this.#retryTimer = this.#clock.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#dirty.full ||= this.#retry.full;
      this.#dirty.nodes ||= this.#retry.nodes;
      for (const id of this.#retry.services) this.#dirty.services.add(id);
      Object.assign(this.#retry, { full: false, nodes: false });
      this.#retry.services.clear();
      void this.#flush();
    }, this.#retryBackoff.next());
  }

  #markSynced(): void {
    this.#lastFullError = undefined;
    if (this.#sync.isOpen) return;
    this.#sync.open();
    this.emit('synced');
  }

  /** Derive the backend sets of `serviceIds` and write the ones that changed; returns changed keys. */
  #write(serviceIds: Iterable<string>): string[] {
    const changed: string[] = [];
    for (const id of new Set(serviceIds)) {
      const service = this.#state.services.get(id);
      const name = service?.Spec?.Name;
      const set =
        service !== undefined && name !== undefined && selects(this.#o.select, name, service.Spec?.Labels ?? {})
          ? projectService(service, this.#state.tasks.get(id) ?? [], this.#state.nodes, this.#o)
          : undefined;
      const oldKey = this.#keyOf.get(id);
      if (oldKey !== undefined && oldKey !== set?.name && this.#store.delete(oldKey) !== undefined) changed.push(oldKey);
      if (set === undefined) {
        this.#keyOf.delete(id);
        continue;
      }
      this.#keyOf.set(id, set.name);
      const current = this.#store.get(set.name);
      if (current === undefined || !sameBackendSet(current.value, set)) {
        this.#store.put(set.name, set);
        changed.push(set.name);
      }
    }
    this.#writes += changed.length;
    return changed;
  }

  /** Keep reading services whose tasks are still converging; their `running` state has no event. */
  #follow(serviceIds: Iterable<string>): void {
    const now = this.#clock.now();
    for (const id of serviceIds) {
      const service = this.#state.services.get(id);
      this.#settling.observe(id, service !== undefined, service === undefined || isSettled(service, this.#state.tasks.get(id) ?? []), now);
    }
    const delay = this.#settling.nextDelay();
    if (delay === undefined || this.#settleTimer !== undefined) return;
    this.#settleTimer = this.#clock.setTimeout(() => {
      this.#settleTimer = undefined;
      for (const id of this.#settling.ids()) this.#dirty.services.add(id);
      void this.#flush();
    }, delay);
  }
}
