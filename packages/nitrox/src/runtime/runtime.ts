/**
 * The controller application at run time: one source runtime per `sources:` entry (shared by its mappings),
 * one sink runtime per `sinks:` entry, and one core `Controller` per mapping whose reconcile applies the
 * mapping's desired pool to its sink. With leader election configured, sources run on every replica (a warm
 * cache makes fail-over fast) but controllers run only while this replica holds the lease. `stop()` is the
 * graceful shutdown: stop the controllers letting in-flight applies finish, stop watching, log out of sinks.
 * Every mapping's pool is a key of its controller from the start (the sink's actual keys), so a pool whose app
 * vanished while nitrox was down is reconciled at start and at every resync, as `plan` predicts. Just before each
 * apply a leader checks that its term still holds by its own clock: after a pause (GC, a blocked event loop) the
 * term may have ended before the timer that stops the controllers has run, and then nothing is written.
 */
import {
  type BackendSet,
  type Clock,
  Controller,
  type LeaseLock,
  type ListWatch,
  LeaderElector,
  RequeueError,
  type Sink,
  isNitroxError,
  sleep,
  systemClock,
} from '@nitrox/core';
import { EventEmitter } from 'eventemitter3';
import type { Logger } from 'pino';
import type { SinkRuntime, SourceRuntime } from '@nitrox/plugin';
import type { ResolvedConfig, ResolvedMapping } from '../config/load-config.js';
import { mappingKeyed, sourceMapping } from './mapping-view.js';
import type { Readiness } from '../ops/http-server.js';
import { errorFields } from '../ops/logger.js';
import type { NitroxMetrics } from '../ops/metrics.js';
import type { AdapterFactories } from './factories.js';
import { LeaseHealth } from './lease-health.js';
import { poolAction } from './pool-action.js';
import { SourceContact } from './source-contact.js';

/** One completed reconcile of a mapping. */
export interface ConvergedEvent {
  /** Mapping name. */
  readonly mapping: string;
  /** Pool name in the sink. */
  readonly pool: string;
  /** Members in the applied desired set. */
  readonly members: number;
  /** Members added, re-weighted and removed. */
  readonly added: number;
  readonly updated: number;
  readonly removed: number;
  /** Write requests the apply made (0 when the pool already matched). */
  readonly writes: number;
  /** Time the apply took. */
  readonly durationMs: number;
  /** Why the reconcile ran: `change`, `resync`, `retry` or `requeue`. */
  readonly reason: string;
}

/** Events of a {@link NitroxRuntime}. */
export interface RuntimeEvents {
  converged: (event: ConvergedEvent) => void;
  reconcileError: (mapping: string, error: Error) => void;
  /** The mapping's desired set is empty and held (allowEmpty is false): its members are kept. */
  held: (mapping: string) => void;
  leading: (isLeader: boolean) => void;
}

/** Options of a {@link NitroxRuntime}. */
export interface RuntimeOptions {
  /** The loaded configuration. */
  readonly config: ResolvedConfig;
  /** Builds the source and sink runtimes (see `createFactories`). */
  readonly factories: AdapterFactories;
  /** Where to log. */
  readonly logger: Logger;
  /** Where to count. */
  readonly metrics: NitroxMetrics;
  /** Lease lock for leader election; required when the configuration enables it. */
  readonly leaseLock?: LeaseLock;
  /** Identity in the lease. @defaultValue `hostname-pid` */
  readonly identity?: string;
  /** Time source of controllers and election. @defaultValue systemClock */
  readonly clock?: Clock;
}

interface MappingRuntime {
  readonly mapping: ResolvedMapping;
  readonly source: SourceRuntime;
  readonly sink: SinkRuntime;
  readonly view: ListWatch<BackendSet>;
  controller: Controller<BackendSet> | undefined;
  /** While an empty desired set is held: since when, and when it was last logged. */
  held?: { readonly since: number; loggedAt: number } | undefined;
}

/** How often a held pool is logged again while it stays held. */
const heldLogIntervalMs = 60_000;

/** The running controller application. */
export class NitroxRuntime extends EventEmitter<RuntimeEvents> {
  /** Source runtimes by entry name. */
  readonly sources = new Map<string, SourceRuntime>();
  /** Sink runtimes by entry name. */
  readonly sinks = new Map<string, SinkRuntime>();
  readonly #options: RuntimeOptions;
  readonly #mappings: MappingRuntime[] = [];
  readonly #abort = new AbortController();
  #started = false;
  #stopping: Promise<void> | undefined;
  #election: Promise<void> | undefined;
  #controllersRunning = false;
  #shuttingDown = false;
  #controllerChange: Promise<void> = Promise.resolve();
  readonly #clock: Clock;
  readonly #contact: SourceContact;
  #lease: LeaseHealth | undefined;
  #elector: LeaderElector | undefined;

  /** Builds the adapter runtimes (no I/O). */
  constructor(options: RuntimeOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    const { config, factories, metrics } = options;
    for (const mapping of config.mappings) {
      let source = this.sources.get(mapping.source);
      if (!source) {
        source = factories.source(mapping.source);
        this.sources.set(mapping.source, source);
        const s = source;
        metrics.probeSource(s.name, () => s.counters(), () => s.hasSynced(), () => {
          const down = this.#contact.downMs(s);
          return down === undefined ? undefined : down / 1000;
        });
        s.onError((err) => options.logger.warn({ source: s.name, ...errorFields(err) }, 'source error; retrying with backoff'));
      }
      let sink = this.sinks.get(mapping.sink);
      if (!sink) {
        sink = factories.sink(mapping.sink);
        this.sinks.set(mapping.sink, sink);
        const k = sink;
        const counters = k.counters?.bind(k);
        metrics.probeSink(k.name, () => k.requests(), counters);
      }
      metrics.declareMapping(mapping.name);
      this.#mappings.push({ mapping, source, sink, view: mappingKeyed(source.view(sourceMapping(mapping)), mapping.name), controller: undefined });
    }
    this.#contact = new SourceContact({ sources: this.sources.values(), clock: this.#clock, logger: options.logger, graceMs: config.sourceGraceMs });
    if (config.leaderElection && !options.leaseLock) {
      throw new Error('leaderElection is configured but no lease lock was supplied');
    }
    metrics.leader.set(config.leaderElection ? 0 : 1);
  }

  /** True when this replica runs the controllers (always, without leader election). */
  get isLeader(): boolean {
    return this.#controllersRunning;
  }

  /** Start sources, and controllers (at once, or when this replica becomes leader). */
  start(): void {
    if (this.#started) throw new Error('already started');
    this.#started = true;
    for (const source of this.sources.values()) source.start();
    this.#contact.start();
    const le = this.#options.config.leaderElection;
    if (!le) {
      this.#setControllers(true);
      return;
    }
    const lease = new LeaseHealth({
      clock: this.#clock,
      logger: this.#options.logger,
      lease: `${le.namespace}/${le.name}`,
      leaseDurationMs: le.leaseDuration,
      onError: () => this.#options.metrics.leaseErrors.inc(),
    });
    this.#lease = lease;
    lease.start();
    const elector = new LeaderElector({
      lock: lease.wrap(this.#options.leaseLock as LeaseLock),
      identity: this.#options.identity ?? defaultIdentity(),
      leaseDurationMs: le.leaseDuration,
      renewDeadlineMs: le.renewDeadline,
      retryPeriodMs: le.retryPeriod,
      clock: this.#clock,
    });
    this.#elector = elector;
    elector.on('error', (err) => lease.error(err));
    const signal = this.#abort.signal;
    this.#election = (async () => {
      while (!signal.aborted) {
        try {
          await elector.run(
            {
              onStartedLeading: (leaseSignal: AbortSignal) => {
                this.#options.logger.info({ lease: `${le.namespace}/${le.name}` }, 'became leader: starting controllers');
                this.#setControllers(true);
                leaseSignal.addEventListener('abort', () => this.#setControllers(false), { once: true });
              },
              onStoppedLeading: () => {
                if (!this.#shuttingDown) this.#options.logger.warn({}, 'lost the lease: stopping controllers');
                this.#setControllers(false);
              },
            },
            signal,
          );
        } catch (err) {
          if (!signal.aborted) this.#options.logger.error(errorFields(err), 'leader election failed; retrying');
        }
        this.#setControllers(false);
        if (!signal.aborted) await sleep(this.#clock, le.retryPeriod, signal).catch(() => undefined);
      }
    })();
  }

  #setControllers(run: boolean): void {
    if (run && this.#shuttingDown) return;
    if (run === this.#controllersRunning) return;
    this.#controllersRunning = run;
    this.#options.metrics.leader.set(run ? 1 : 0);
    this.emit('leading', run);
    // Shutting down, in-flight applies finish before the lease is released. A lost lease is different: another
    // replica may take it as soon as it expires, so in-flight applies are aborted at once (the next leader's
    // first pass repairs whatever they left half done).
    const drain = this.#shuttingDown;
    this.#controllerChange = this.#controllerChange.then(() => (run ? this.#startControllers() : this.#stopControllers(drain)));
  }

  async #startControllers(): Promise<void> {
    for (const m of this.#mappings) {
      const controller = new Controller<BackendSet>({
        name: m.mapping.name,
        source: m.view,
        reconcile: (_key, desired, ctx) => this.#reconcile(m, desired?.value, ctx.reason, ctx.signal),
        // The mapping's key is always "held by the sink": reconciled after the initial sync and at every resync
        // even when the source has no such app (an empty desired set then, subject to allowEmpty).
        actualKeys: () => [m.mapping.name],
        debounceMs: m.mapping.debounceMs,
        maxWaitMs: Math.max(m.mapping.maxWaitMs, m.mapping.debounceMs),
        resyncMs: m.mapping.resyncMs,
        ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      });
      controller.on('staleDiscarded', () => this.#options.metrics.staleDiscarded.inc({ mapping: m.mapping.name }));
      controller.on('error', (err, info) => {
        // Source errors are logged once per source (above); reconcile errors in #reconcile.
        if (info.phase === 'actual-keys') this.#options.logger.warn({ mapping: m.mapping.name, ...errorFields(err) }, 'controller error');
      });
      this.#options.metrics.probeQueue(m.mapping.name, () => controller.stats.queueDepth);
      m.controller = controller;
      controller.start();
    }
  }

  async #stopControllers(drain: boolean): Promise<void> {
    await Promise.all(
      this.#mappings.map(async (m) => {
        const controller = m.controller;
        m.controller = undefined;
        if (controller) await controller.stop({ drain });
      }),
    );
  }

  /**
   * Log a held pool when it becomes held and then once a minute while it stays held, naming the members kept (they
   * may point at another application by now: Mesos hands freed host ports to other tasks).
   */
  async #logHeld(m: MappingRuntime, sink: Sink<BackendSet>, signal: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    if (m.held !== undefined && now - m.held.loggedAt < heldLogIntervalMs) return;
    m.held = { since: m.held?.since ?? now, loggedAt: now };
    const { mapping } = m;
    const kept = await sink.observe(mapping.pool, signal).then(
      (actual) => actual?.members.map((b) => `${b.address}:${b.port}`),
      () => undefined,
    );
    this.#options.logger.warn(
      { mapping: mapping.name, pool: mapping.pool, app: mapping.app, heldForMs: Math.round(now - m.held.since), ...(kept ? { members: kept } : {}) },
      'desired pool is empty: holding the current members (set allowEmpty: true to let it empty the pool)',
    );
  }

  async #reconcile(m: MappingRuntime, desired: BackendSet | undefined, reason: string, signal: AbortSignal): Promise<void> {
    const { mapping } = m;
    const { logger, metrics } = this.#options;
    const started = performance.now();
    const action = poolAction(mapping, desired);
    const sink = m.sink.pool({ pool: mapping.pool, allowEmpty: mapping.allowEmpty, options: mapping.sinkOptions });
    if (action.kind === 'hold') {
      metrics.reconciled(mapping.name, 0, 'held-empty');
      this.emit('held', mapping.name);
      await this.#logHeld(m, sink, signal);
      return;
    }
    if (m.held !== undefined) {
      logger.info({ mapping: mapping.name, pool: mapping.pool, heldForMs: Math.round(this.#clock.now() - m.held.since) }, 'desired pool is no longer empty: applying it');
      m.held = undefined;
    }
    const le = this.#options.config.leaderElection;
    if (le && this.#elector && !this.#elector.holdsLease()) {
      // Another replica may hold the lease by now; the lease-loss timer stops this replica's controllers next.
      metrics.reconciled(mapping.name, 0, 'not-leading');
      logger.warn({ mapping: mapping.name, pool: mapping.pool, reason }, "not applied: this replica's lease term has ended by its own clock");
      throw new RequeueError(le.retryPeriod, 'not applied: the lease term has ended');
    }
    try {
      const members = action.desired.members;
      const result = await sink.apply(mapping.pool, action.desired, signal);
      const durationMs = performance.now() - started;
      metrics.reconciled(mapping.name, durationMs / 1000, 'success');
      metrics.poolMembers.set({ mapping: mapping.name }, members.length);
      if (result.added) metrics.sinkChanges.inc({ mapping: mapping.name, change: 'added' }, result.added);
      if (result.updated) metrics.sinkChanges.inc({ mapping: mapping.name, change: 'updated' }, result.updated);
      if (result.removed) metrics.sinkChanges.inc({ mapping: mapping.name, change: 'removed' }, result.removed);
      const event: ConvergedEvent = { mapping: mapping.name, pool: mapping.pool, members: members.length, ...pickCounts(result), durationMs, reason };
      if (result.writes > 0) logger.info({ ...event, durationMs: Math.round(durationMs) }, 'pool converged');
      else logger.debug({ mapping: mapping.name, reason }, 'pool already converged');
      this.emit('converged', event);
    } catch (err) {
      if (signal.aborted) {
        logger.info({ mapping: mapping.name, pool: mapping.pool }, 'apply aborted: this replica stopped leading');
        throw err;
      }
      const durationMs = performance.now() - started;
      const code = isNitroxError(err) ? err.code : 'UNKNOWN';
      metrics.reconciled(mapping.name, durationMs / 1000, 'error', code);
      logger.warn({ mapping: mapping.name, pool: mapping.pool, reason, ...errorFields(err) }, 'apply failed; will retry');
      this.emit('reconcileError', mapping.name, err as Error);
      throw err;
    }
  }

  /**
   * Ready when every source has synced once and none has been out of contact with its peer longer than
   * `readiness.sourceGrace`, and (with leader election) the lease lock answered within the lease duration. A
   * standby is ready (its caches are warm) and says so in `notes`.
   */
  readiness(): Readiness {
    const notes = [this.#leadership()];
    if (!this.#started) return { ready: false, waiting: ['start'], notes };
    const waiting = [...this.sources.values()].filter((s) => !s.hasSynced()).map((s) => `source ${s.name}`);
    waiting.push(...this.#contact.stale().filter((w) => !waiting.some((s) => w.startsWith(`${s} `))));
    const lease = this.#lease;
    if (lease?.unreachable()) waiting.push(`lease lock (no answer for ${Math.round(lease.unreachableMs() / 1000)} s)`);
    return { ready: waiting.length === 0, waiting, notes };
  }

  #leadership(): string {
    const le = this.#options.config.leaderElection;
    if (!le) return 'leadership: none (no leader election; this replica writes)';
    if (this.#controllersRunning) return `leadership: leader of lease ${le.namespace}/${le.name}`;
    const holder = this.#elector?.leader;
    return `leadership: standby${holder ? ` (lease ${le.namespace}/${le.name} held by ${holder})` : ` (lease ${le.namespace}/${le.name} not acquired yet)`}`;
  }

  /** Resolve when every source has synced. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.sources.values()].map((s) => s.waitForSync(signal)));
  }

  /** Graceful shutdown: controllers drain, sources stop, sinks log out. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      // Drain first, release the lease after: a successor must not start writing while our last apply runs.
      this.#shuttingDown = true;
      this.#contact.stop();
      this.#setControllers(false);
      await this.#controllerChange;
      this.#abort.abort();
      await this.#election?.catch(() => undefined);
      await Promise.all([...this.sources.values()].map((s) => s.stop().catch(() => undefined)));
      await Promise.all(
        [...this.sinks.values()].map((s) =>
          s.close().catch((err: unknown) => this.#options.logger.warn({ sink: s.name, ...errorFields(err) }, 'logout failed')),
        ),
      );
    })();
    return this.#stopping;
  }
}

function pickCounts(result: { added: number; updated: number; removed: number; writes: number }) {
  return { added: result.added, updated: result.updated, removed: result.removed, writes: result.writes };
}

/** `hostname-pid`, unique per replica. */
export function defaultIdentity(): string {
  return `${process.env.HOSTNAME ?? 'nitrox'}-${process.pid}`;
}
