/**
 * Prometheus metrics of the controller (prom-client, one private registry per process). Event-driven values
 * (reconciles, errors, stale discards, sink requests) are counted as they happen; values that components keep
 * as stats (queue depth, informer restarts and relists, seconds since the last successful sync) are read at
 * scrape time through registered probes, so nothing polls between scrapes. Names and labels are documented in
 * docs/metrics.md.
 */
import type { SinkCounters, SourceCounters } from '@nitrox/plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Redactor } from './redactor.js';

/** Counters a source exposes as a stats snapshot (monotonic): the plugin contract's. */
export type { SourceCounters };

/** Result label of a reconcile. */
export type ReconcileOutcome = 'success' | 'error' | 'held-empty' | 'not-leading';

/** The metric set of one nitrox process. */
export class NitroxMetrics {
  /** The registry served on `/metrics`. */
  readonly registry = new Registry();
  readonly #now: () => number;
  readonly #redactor: Redactor | undefined;
  readonly #queueProbes = new Map<string, () => number>();
  readonly #sourceProbes = new Map<string, () => SourceCounters>();
  readonly #syncedProbes = new Map<string, () => boolean>();
  readonly #contactProbes = new Map<string, () => number | undefined>();
  readonly #sinkProbes = new Map<string, () => { readonly ok: number; readonly error: number }>();
  readonly #sinkCounterProbes = new Map<string, () => SinkCounters>();
  readonly #lastSuccess = new Map<string, number>();
  readonly #lastSeen = new Map<string, number>();

  /** `nitrox_reconcile_total{mapping,result}`. */
  readonly reconciles: Counter<'mapping' | 'result'>;
  /** `nitrox_reconcile_duration_seconds{mapping}`. */
  readonly reconcileDuration: Histogram<'mapping'>;
  /** `nitrox_reconcile_errors_total{mapping,code}`. */
  readonly reconcileErrors: Counter<'mapping' | 'code'>;
  /** `nitrox_stale_discarded_total{mapping}`. */
  readonly staleDiscarded: Counter<'mapping'>;
  /** `nitrox_sink_changes_total{mapping,change}`. */
  readonly sinkChanges: Counter<'mapping' | 'change'>;
  /** `nitrox_pool_members{mapping}`. */
  readonly poolMembers: Gauge<'mapping'>;
  /** `nitrox_leader`. */
  readonly leader: Gauge;
  /** `nitrox_lease_errors_total`. */
  readonly leaseErrors: Counter;

  /**
   * @param options.now - wall clock in ms (injectable for tests). @defaultValue `Date.now`
   * @param options.defaultMetrics - also collect prom-client's process metrics. @defaultValue true
   * @param options.redactor - secrets to keep out of label values (raw and as Prometheus escapes them). @defaultValue none
   */
  constructor(options: { now?: () => number; defaultMetrics?: boolean; redactor?: Redactor } = {}) {
    this.#now = options.now ?? Date.now;
    this.#redactor = options.redactor;
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'nitrox_process_' });

    const queueProbes = this.#queueProbes;
    new Gauge({
      name: 'nitrox_queue_depth',
      help: 'Keys waiting in the work queue of a mapping.',
      labelNames: ['mapping'],
      registers,
      collect() {
        this.reset();
        for (const [mapping, probe] of queueProbes) this.set({ mapping }, probe());
      },
    });
    this.reconciles = new Counter({
      name: 'nitrox_reconcile_total',
      help: 'Reconciles of a mapping by result (success, error, held-empty, not-leading).',
      labelNames: ['mapping', 'result'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'nitrox_reconcile_duration_seconds',
      help: 'Time one reconcile (observe + apply) took.',
      labelNames: ['mapping'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'nitrox_reconcile_errors_total',
      help: 'Failed reconciles of a mapping by error code.',
      labelNames: ['mapping', 'code'],
      registers,
    });
    this.staleDiscarded = new Counter({
      name: 'nitrox_stale_discarded_total',
      help: 'Desired states dropped because a newer one had already been applied.',
      labelNames: ['mapping'],
      registers,
    });
    const sinkProbes = this.#sinkProbes;
    const seen = this.#lastSeen;
    new Counter({
      name: 'nitrox_sink_requests_total',
      help: 'Requests made to a sink by result (ok, error).',
      labelNames: ['sink', 'result'],
      registers,
      collect() {
        for (const [sink, probe] of sinkProbes) {
          const counts = probe();
          for (const result of ['ok', 'error'] as const) {
            const key = `sink\u0000${sink}\u0000${result}`;
            const delta = counts[result] - (seen.get(key) ?? 0);
            seen.set(key, counts[result]);
            this.inc({ sink, result }, Math.max(0, delta));
          }
        }
      },
    });
    this.sinkChanges = new Counter({
      name: 'nitrox_sink_changes_total',
      help: 'Pool members changed in a sink by kind (added, updated, removed).',
      labelNames: ['mapping', 'change'],
      registers,
    });
    this.poolMembers = new Gauge({
      name: 'nitrox_pool_members',
      help: 'Members in the desired set last applied for a mapping.',
      labelNames: ['mapping'],
      registers,
    });
    this.leader = new Gauge({ name: 'nitrox_leader', help: '1 while this replica holds the lease (or runs without election).', registers });
    this.leaseErrors = new Counter({ name: 'nitrox_lease_errors_total', help: 'Failed attempts to acquire, renew or release the leader-election lease.', registers });

    const lastSuccess = this.#lastSuccess;
    const now = this.#now;
    new Gauge({
      name: 'nitrox_seconds_since_last_sync',
      help: 'Seconds since the last successful reconcile of a mapping (absent before the first).',
      labelNames: ['mapping'],
      registers,
      collect() {
        this.reset();
        for (const [mapping, at] of lastSuccess) this.set({ mapping }, (now() - at) / 1000);
      },
    });
    new Gauge({
      name: 'nitrox_last_sync_timestamp_seconds',
      help: 'Unix time of the last successful reconcile of a mapping.',
      labelNames: ['mapping'],
      registers,
      collect() {
        this.reset();
        for (const [mapping, at] of lastSuccess) this.set({ mapping }, at / 1000);
      },
    });

    const syncedProbes = this.#syncedProbes;
    new Gauge({
      name: 'nitrox_source_synced',
      help: '1 once every informer of a source has completed its initial list.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const [source, probe] of syncedProbes) this.set({ source }, probe() ? 1 : 0);
      },
    });

    const contactProbes = this.#contactProbes;
    new Gauge({
      name: 'nitrox_source_disconnected_seconds',
      help: 'Seconds a source has been out of contact with its peer (0 while in contact; absent when its plugin cannot tell).',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const [source, probe] of contactProbes) {
          const seconds = probe();
          if (seconds !== undefined) this.set({ source }, seconds);
        }
      },
    });
    const sourceCounter = (name: string, help: string, field: keyof SourceCounters) =>
      this.#probeCounter(name, help, 'source', this.#sourceProbes, field);
    sourceCounter('nitrox_watch_restarts_total', 'Watches of a source that ended and were restarted.', 'watchRestarts');
    sourceCounter('nitrox_relists_total', 'Relists of a source after a watch fell out of history (or a resync).', 'relists');
    sourceCounter('nitrox_lists_total', 'Full lists of a source (initial and relists).', 'lists');
    sourceCounter('nitrox_source_errors_total', 'Errors reported by a source (list/watch failures).', 'errors');
    sourceCounter('nitrox_malformed_events_total', 'Source events skipped because they had an unexpected shape.', 'malformed');
    sourceCounter('nitrox_source_events_total', 'Change events a source received from its peer (watch events, event-stream lines).', 'events');
    const sinkCounter = (name: string, help: string, field: keyof SinkCounters) => this.#probeCounter(name, help, 'sink', this.#sinkCounterProbes, field);
    sinkCounter('nitrox_sink_peer_restarts_total', 'Restarts or reloads of a sink\'s peer that the sink noticed.', 'peerRestarts');
    sinkCounter('nitrox_sink_reapplies_total', 'Pools a sink re-applied by itself, with no change from the source (after a peer restart).', 'reapplies');
    sinkCounter('nitrox_sink_state_writes_total', 'Writes of state a sink\'s peer loads when it starts (HAProxy\'s server-state file).', 'stateWrites');
    sinkCounter('nitrox_sink_background_errors_total', 'Failures of a sink\'s own background work (re-applies, restart checks, state writes).', 'errors');
  }

  /** A counter labelled `label`, fed from `probes`' monotonic stats (field `field`) at scrape time. */
  #probeCounter<C>(name: string, help: string, label: 'source' | 'sink', probes: ReadonlyMap<string, () => C>, field: keyof C): void {
    const seen = this.#lastSeen;
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        for (const [entry, probe] of probes) {
          const raw = probe()[field];
          const value = typeof raw === 'number' ? raw : 0;
          const key = `${name}\u0000${entry}`;
          const delta = value - (seen.get(key) ?? 0);
          seen.set(key, value);
          this.inc({ [label]: entry }, Math.max(0, delta));
        }
      },
    });
  }

  /** Report a mapping's queue depth at scrape time. */
  probeQueue(mapping: string, depth: () => number): void {
    this.#queueProbes.set(mapping, depth);
  }

  /**
   * Report a source's stats (summed over its informers), whether it synced, and (when its plugin can tell) the
   * seconds it has been out of contact, at scrape time.
   */
  probeSource(source: string, counters: () => SourceCounters, synced: () => boolean, disconnectedSeconds?: () => number | undefined): void {
    this.#sourceProbes.set(source, counters);
    this.#syncedProbes.set(source, synced);
    if (disconnectedSeconds) this.#contactProbes.set(source, disconnectedSeconds);
  }

  /** Record one reconcile. */
  reconciled(mapping: string, seconds: number, outcome: ReconcileOutcome, errorCode?: string): void {
    this.reconciles.inc({ mapping, result: outcome });
    this.reconcileDuration.observe({ mapping }, seconds);
    if (outcome === 'error') this.reconcileErrors.inc({ mapping, code: errorCode ?? 'UNKNOWN' });
    if (outcome === 'success') this.#lastSuccess.set(mapping, this.#now());
  }

  /** Make a mapping's series appear (at zero) before its first reconcile. */
  declareMapping(mapping: string): void {
    for (const result of ['success', 'error', 'held-empty', 'not-leading'] as const) this.reconciles.inc({ mapping, result }, 0);
    this.staleDiscarded.inc({ mapping }, 0);
  }

  /** Report a sink's request counts and (when its plugin has them) its background-work counters, at scrape time. */
  probeSink(sink: string, requests: () => { readonly ok: number; readonly error: number }, counters?: () => SinkCounters): void {
    this.#sinkProbes.set(sink, requests);
    if (counters) this.#sinkCounterProbes.set(sink, counters);
  }

  /** The Prometheus text exposition. */
  async render(): Promise<string> {
    const text = await this.registry.metrics();
    return this.#redactor ? this.#redactor.escapedText(text, prometheusEscaped) : text;
  }
}

/** A label value as the Prometheus text format writes it. */
function prometheusEscaped(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
