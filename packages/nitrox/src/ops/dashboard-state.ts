/**
 * What the live dashboard shows, kept from the runtime's own events (`converged`, `reconcileError`, `held`,
 * `leading`): every mapping with its source and sink, desired versus actual members and the last change, the last
 * reconcile, the last error and the held state; plus the leadership, readiness and each source's contact with its
 * peer. Subscribers get a full snapshot with every change. Contact and readiness have no event of their own: while
 * someone subscribes they are compared every `refreshMs` (in memory, no I/O) and a snapshot goes out when they
 * changed. Error texts pass through the redactor: a configured secret never reaches a browser.
 */
import { type Clock, type TimerHandle, systemClock } from '@nitrox/core';
import type { ResolvedConfig } from '../config/load-config.js';
import type { ConvergedEvent, NitroxRuntime } from '../runtime/runtime.js';
import type { Redactor } from './redactor.js';

/** One mapping as the dashboard shows it. */
export interface MappingStatus {
  readonly name: string;
  readonly source: string;
  readonly app: string;
  readonly sink: string;
  readonly pool: string;
  /** Members the source wants, as of the last reconcile; `null` before the first one. */
  desired: number | null;
  /** Members the pool has, as of the last reconcile (a held pool keeps its members); `null` before the first one. */
  actual: number | null;
  /** Members the pool had before the last reconcile that wrote; `null` before the first one. */
  before: number | null;
  /** Members added, re-weighted and removed by the last reconcile that wrote. */
  added: number;
  updated: number;
  removed: number;
  /** Last reconcile (ISO time) and why it ran. */
  lastReconcile: string | null;
  lastReason: string | null;
  /** The last reconcile's error, cleared by the next success. */
  error: string | null;
  /** True while an empty desired set is held (allowEmpty is false). */
  held: boolean;
}

/** One source's health. */
export interface SourceStatus {
  readonly name: string;
  readonly type: string;
  readonly synced: boolean;
  /** Seconds out of contact with its peer: 0 in contact, `null` when the source cannot tell. */
  readonly downSeconds: number | null;
}

/** The whole dashboard. */
export interface DashboardSnapshot {
  readonly leader: boolean;
  readonly notes: readonly string[];
  readonly ready: boolean;
  readonly waiting: readonly string[];
  readonly sources: readonly SourceStatus[];
  readonly mappings: readonly MappingStatus[];
}

/** What changed, sent with the snapshot that follows it. */
export interface DashboardChange {
  readonly kind: 'converged' | 'error' | 'held' | 'leading' | 'health';
  readonly mapping?: string;
  readonly text: string;
  /** ISO time. */
  readonly at: string;
}

/** Receives every change with the snapshot after it. */
export type DashboardListener = (change: DashboardChange, snapshot: DashboardSnapshot) => void;

/** Options of {@link DashboardState}. */
export interface DashboardStateOptions {
  readonly runtime: NitroxRuntime;
  readonly config: ResolvedConfig;
  /** Applied to error texts. */
  readonly redactor?: Redactor;
  /** Contact and readiness are compared this often while someone subscribes. @defaultValue 2000 */
  readonly refreshMs?: number;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
}

/** The dashboard's state, fed by the runtime's events. */
export class DashboardState {
  readonly #options: DashboardStateOptions;
  readonly #clock: Clock;
  readonly #mappings = new Map<string, MappingStatus>();
  readonly #listeners = new Set<DashboardListener>();
  #timer: TimerHandle | undefined;
  #lastHealth = '';

  /** Subscribes to the runtime's events at once. */
  constructor(options: DashboardStateOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    for (const m of options.config.mappings) {
      this.#mappings.set(m.name, {
        name: m.name, source: m.source, app: m.app, sink: m.sink, pool: m.pool,
        desired: null, actual: null, before: null, added: 0, updated: 0, removed: 0,
        lastReconcile: null, lastReason: null, error: null, held: false,
      });
    }
    const { runtime } = options;
    runtime.on('converged', (e) => this.#converged(e));
    runtime.on('reconcileError', (mapping, err) => {
      const text = options.redactor ? options.redactor.text(err.message) : err.message;
      this.#update(mapping, { error: text }, 'error', `${mapping}: ${text}`);
    });
    runtime.on('held', (mapping) => this.#update(mapping, { held: true, desired: 0, error: null }, 'held', `${mapping}: desired pool is empty, holding the current members`));
    runtime.on('leading', (leading) => this.#emit({ kind: 'leading', text: leading ? 'this replica leads: controllers running' : 'this replica stopped leading', at: this.#now() }));
  }

  /** The current state. */
  snapshot(): DashboardSnapshot {
    const { runtime } = this.#options;
    const readiness = runtime.readiness();
    const sources = [...runtime.sources.values()].map((s) => {
      const since = s.disconnectedSince?.();
      const downSeconds = s.disconnectedSince === undefined ? null : since === undefined ? 0 : Math.max(0, Math.round((this.#clock.now() - since) / 1000));
      return { name: s.name, type: s.type, synced: s.hasSynced(), downSeconds };
    });
    return {
      leader: runtime.isLeader,
      notes: readiness.notes ?? [],
      ready: readiness.ready,
      waiting: readiness.waiting,
      sources,
      mappings: [...this.#mappings.values()].map((m) => ({ ...m })),
    };
  }

  /** Receive every change; returns the unsubscribe function. */
  subscribe(listener: DashboardListener): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#lastHealth = this.#health();
      this.#arm();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer !== undefined) {
        this.#clock.clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      const health = this.#health();
      if (health !== this.#lastHealth) {
        this.#lastHealth = health;
        this.#emit({ kind: 'health', text: 'source contact or readiness changed', at: this.#now() });
      }
      if (this.#listeners.size > 0) this.#arm();
      else this.#timer = undefined;
    }, this.#options.refreshMs ?? 2_000);
  }

  /** Current subscribers (a closed connection must leave none behind). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  #converged(e: ConvergedEvent): void {
    const before = e.members - e.added + e.removed;
    const wrote = e.writes > 0;
    const text = wrote ? `${e.mapping}: ${before} → ${e.members} members (+${e.added} −${e.removed}${e.updated ? ` ~${e.updated}` : ''})` : `${e.mapping}: already converged (${e.members} members)`;
    this.#update(
      e.mapping,
      {
        desired: e.members, actual: e.members, error: null, held: false, lastReason: e.reason,
        ...(wrote ? { before, added: e.added, updated: e.updated, removed: e.removed } : {}),
      },
      'converged',
      text,
    );
  }

  #update(mapping: string, patch: Partial<MappingStatus>, kind: DashboardChange['kind'], text: string): void {
    const m = this.#mappings.get(mapping);
    if (!m) return;
    Object.assign(m, patch, { lastReconcile: this.#now() });
    this.#emit({ kind, mapping, text, at: m.lastReconcile as string });
  }

  #emit(change: DashboardChange): void {
    if (this.#listeners.size === 0) return;
    const snapshot = this.snapshot();
    for (const listener of this.#listeners) listener(change, snapshot);
  }

  #health(): string {
    const s = this.snapshot();
    return JSON.stringify([s.ready, s.waiting, s.notes, s.sources]);
  }

  #now(): string {
    return new Date().toISOString();
  }
}
