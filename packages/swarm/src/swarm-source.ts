/**
 * The Docker Swarm source: a core `ListWatch<BackendSet>` (one set per selected service, keyed by name).
 * Swarm has no task events, so Engine events are interrupts (service and node events from the manager,
 * container events as hints naming their service) that trigger a targeted read of just the touched
 * services, and full polls (core Pollers: often while the stream is down, rarely while it is healthy)
 * repair anything missed. Interrupts are coalesced by a core debounce with a max wait, one pass reads many
 * services at once, and a service whose tasks are still starting (no event says when they run) is followed
 * with growing follow-up reads that replace its container hints, so a rolling update of many tasks costs a
 * dozen requests. A task dying leaves no event on the manager when it ran on a worker (and a manager's own
 * `die` can come before `/tasks` shows it), so a cheap task poll of the selected services (one request,
 * compared by digest) runs every `taskPollMs`. A manager restart must evict nobody: `unknown` nodes get a
 * grace period (node-grace.ts) and tasks that come back without ports keep theirs (swarm-state.ts). Results
 * land in a core MemoryStore, which versions only real changes and serves list/watch.
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
  type Poller,
  type NitroxError,
  ShutdownError,
  SourceError,
  SyncLatch,
  systemClock,
  type TimerHandle,
  type Versioned,
  type WatchEvent,
} from '@nitrox/core';
import { EventEmitter } from 'eventemitter3';
import { BackendSetWriter } from './backend-set-writer.js';
import { EngineClient } from './engine-client.js';
import type { EngineEvent } from './engine-types.js';
import { interruptOf } from './engine-events.js';
import { followEvents } from './event-follower.js';
import { FailedReads } from './failed-reads.js';
import { fullPoller } from './full-poll.js';
import { NodeGrace } from './node-grace.js';
import { Reachability } from './reachability.js';
import {
  type ResolvedSwarmSourceOptions,
  resolveSwarmSourceOptions,
  type SwarmSourceEvents,
  type SwarmSourceOptions,
  type SwarmSourceStats,
} from './swarm-source-options.js';
import { isSettled, SettleTracker } from './settle-tracker.js';
import { readFull, readTargeted } from './swarm-reads.js';
import { SwarmState } from './swarm-state.js';
import { applyTaskPoll, TaskPollSchedule, taskPollTargets } from './task-poll.js';

/** What one pass reads: everything, or some services, the nodes and/or the selected services' tasks. */
interface Work {
  full: boolean;
  nodes: boolean;
  tasks: boolean;
  services: Set<string>;
}

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
  readonly #sets: BackendSetWriter;
  readonly #grace: NodeGrace;
  readonly #reachability = new Reachability();
  readonly #dirty: Work = { full: false, nodes: false, tasks: false, services: new Set<string>() };
  readonly #settling: SettleTracker;
  readonly #debounced: Debounced<[]>;
  readonly #stats = { fullPasses: 0, targetedPasses: 0, taskPasses: 0, requests: 0, events: 0, malformed: 0, eventConnects: 0, errors: 0, outages: 0 };
  #controller: AbortController | undefined;
  #follower: Promise<void> | undefined;
  #runner: Promise<void> | undefined;
  readonly #healthyPoll: Poller<true>;
  readonly #fallbackPoll: Poller<true>;
  #writes = 0;
  #settleTimer: TimerHandle | undefined;
  #graceTimer: TimerHandle | undefined;
  readonly #taskPoll: TaskPollSchedule;
  readonly #failed: FailedReads;
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
    this.#sets = new BackendSetWriter(this.#store, this.#o, (service, ports) => this.emit('ambiguousPort', service, ports));
    this.#grace = new NodeGrace(this.#o.unknownNodeGraceMs);
    const pacing = { intervalMs: this.#o.taskPollMs, jitter: this.#o.pollJitter, random: this.#o.random ?? Math.random };
    this.#taskPoll = new TaskPollSchedule(this.#clock, pacing, () => {
      if (!this.#sync.isOpen) return this.#taskPoll.start(); // the first full read includes every task
      this.#dirty.tasks = true;
      void this.#flush();
    });
    this.#settling = new SettleTracker(this.#o);
    this.#failed = new FailedReads(this.#clock, { ...this.#o.backoff, ...(this.#o.random ? { random: this.#o.random } : {}) }, (work) => {
      this.#dirty.nodes ||= work.nodes;
      for (const id of work.services) this.#dirty.services.add(id);
      void this.#flush();
    });
    const fetch = async (): Promise<PollResult<true>> => {
      const before = this.#writes;
      this.#dirty.full = true;
      await this.#flush();
      if (this.#lastFullError !== undefined) throw this.#lastFullError; // reported already; the poller backs off
      return this.#writes > before ? { changed: true, value: true } : { changed: false };
    };
    const poller = (every: number): Poller<true> => fullPoller(fetch, every, { jitter: this.#o.pollJitter, clock: this.#clock, random: this.#o.random });
    this.#healthyPoll = poller(this.#o.pollIntervalMs);
    this.#fallbackPoll = poller(this.#o.fallbackPollMs);
    this.#debounced = debounce(() => void this.#flush(), { waitMs: this.#o.debounceMs, maxWaitMs: this.#o.maxWaitMs, clock: this.#clock });
  }

  /** Counters since construction. */
  get stats(): SwarmSourceStats {
    return { ...this.#stats };
  }

  /** True while the event stream is connected. */
  get eventsConnected(): boolean {
    return this.#eventsUp;
  }

  /**
   * Clock time (ms) since which every read of the Engine API has failed, or `undefined` while reads succeed:
   * a host turns "unreachable for longer than N" into readiness with it.
   */
  get unreachableSince(): number | undefined {
    return this.#reachability.unreachableSince;
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
    this.#taskPoll.start();
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
    for (const timer of [this.#settleTimer, this.#graceTimer]) if (timer !== undefined) this.#clock.clearTimeout(timer);
    this.#failed.cancel();
    this.#taskPoll.stop();
    this.#settleTimer = undefined;
    this.#graceTimer = undefined;
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
    const interrupt = interruptOf(event);
    if (interrupt === undefined) return;
    if (interrupt.nodes) this.#dirty.nodes = true;
    else if (interrupt.hint && this.#settling.has(interrupt.service)) return; // followed: its reads are scheduled
    else this.#dirty.services.add(interrupt.service);
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
          const work: Work = { ...this.#dirty, services: new Set(this.#dirty.services) };
          Object.assign(this.#dirty, { full: false, nodes: false, tasks: false });
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
    return this.#dirty.full || this.#dirty.nodes || this.#dirty.tasks || this.#dirty.services.size > 0;
  }

  async #pass(work: Work, signal: AbortSignal): Promise<void> {
    let requests = 0;
    const count = <T>(p: Promise<T>): Promise<T> => {
      requests++;
      this.#stats.requests++;
      return p;
    };
    const started = this.#clock.now();
    const kind = work.full ? 'full' : work.services.size > 0 || work.nodes ? 'targeted' : 'tasks';
    try {
      let affected: Iterable<string>;
      let checked: Iterable<string>;
      if (work.full) {
        const [services, tasks, nodes] = await readFull(this.#client, signal, count);
        const change = this.#state.replaceAll(services, tasks, nodes);
        affected = change.services;
        checked = [...this.#state.services.keys()];
        this.#grace.update(this.#state.nodes, this.#clock.now());
        this.#stats.fullPasses++;
      } else {
        const ids = [...work.services];
        // The task poll covers the selected services the targeted read does not (all of them: no filter).
        const polled = work.tasks ? taskPollTargets(this.#o.select, this.#sets.selectedIds(), ids) : undefined;
        const { services, tasks, nodes, polledTasks } = await readTargeted(this.#client, { ids, nodes: work.nodes, polled }, signal, count);
        const change = this.#state.replaceServices(ids, services, tasks);
        const nodesChanged = nodes !== undefined && this.#state.replaceNodes(nodes);
        if (nodes !== undefined) this.#grace.update(this.#state.nodes, this.#clock.now());
        const poll = applyTaskPoll(this.#state, polled, polledTasks, ids);
        if (poll.vanished) this.#dirty.full = true; // a selected service is gone: read everything again
        for (const id of poll.unknown) this.#dirty.services.add(id); // a service created since the last read
        const fromPoll = poll.changed;
        affected = [...(nodesChanged ? this.#state.services.keys() : []), ...change.services, ...fromPoll];
        checked = ids; // the task poll itself reads again soon: it starts no follow-up reads
        if (kind === 'targeted') this.#stats.targetedPasses++;
        if (work.tasks) this.#stats.taskPasses++;
      }
      if (signal.aborted) return; // stopped meanwhile: arm no timer
      const changed = this.#sets.write(affected, this.#state, this.#grace.effective(this.#clock.now()));
      this.#writes += changed.length;
      this.#follow(checked);
      this.#scheduleGraceEnd();
      if (work.full) this.#markSynced();
      this.#failed.reset();
      if (requests > 0) this.#reachable(); // a pass with nothing to ask proves nothing
      if (work.tasks || work.full) this.#taskPoll.readDone(this.#clock.now() - started, true);
      this.emit('pass', { kind, requests, changed });
    } catch (error) {
      if (signal.aborted) return;
      const failure = isNitroxError(error) ? error : new SourceError('reading the swarm failed', { cause: error });
      if (work.full) this.#lastFullError = failure;
      if (this.#reachability.failed(this.#clock.now())) this.emit('unreachable', failure);
      this.#report(failure);
      if (work.tasks) this.#taskPoll.readDone(this.#clock.now() - started, false);
      // Full reads are retried by the pollers (and list()'s caller), task polls by their own timer.
      if (work.services.size > 0 || work.nodes) this.#failed.add(work);
    }
  }

  /** When an `unknown` node's grace ends, derive every set again (its members drop out then). */
  #scheduleGraceEnd(): void {
    const now = this.#clock.now();
    const end = this.#grace.nextExpiry(now);
    if (this.#graceTimer !== undefined) this.#clock.clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    if (end === undefined) return;
    this.#graceTimer = this.#clock.setTimeout(() => {
      this.#graceTimer = undefined;
      const changed = this.#sets.write(this.#state.services.keys(), this.#state, this.#grace.effective(this.#clock.now()));
      this.#writes += changed.length;
      this.#scheduleGraceEnd();
    }, end - now);
  }

  #reachable(): void {
    const outage = this.#reachability.succeeded(this.#clock.now());
    if (outage === undefined) return;
    this.#stats.outages++;
    this.emit('reachable', outage);
  }

  #markSynced(): void {
    this.#lastFullError = undefined;
    if (this.#sync.isOpen) return;
    this.#sync.open();
    this.emit('synced');
  }

  /** Keep reading services whose tasks are still converging; their `running` state has no event. */
  #follow(serviceIds: Iterable<string>): void {
    const now = this.#clock.now();
    for (const id of new Set(serviceIds)) {
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
