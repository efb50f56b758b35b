/**
 * What the source knows: the app definitions from the last fetch, and the projected pools kept in a core
 * MemoryStore (so they can be listed and watched with revisions). Writes happen only when a pool really
 * changed, so a refetch that finds nothing new bumps no version and wakes no watcher. Apps that vanish,
 * terminate or stop matching the selector are deleted from the store.
 */
import { isIP } from 'node:net';
import { type BackendSet, MemoryStore } from '@nitrox/core';
import { type ProjectionContext, projectApp, type ResolvedProjectionOptions } from './backend-projection.js';
import { HealthMemory } from './health-memory.js';
import { type CachedHostResolver, HostResolutionError } from './host-resolver.js';
import type { MarathonApp, MarathonTask } from './marathon-types.js';

/** Counters of writes to the store. */
export interface PoolWrites {
  /** Pools created or changed. */
  readonly puts: number;
  /** Pools removed. */
  readonly deletes: number;
}

function sameSet(a: BackendSet, b: BackendSet): boolean {
  if (a.name !== b.name || a.members.length !== b.members.length) return false;
  return a.members.every((m, i) => {
    const n = b.members[i];
    return n !== undefined && m.address === n.address && m.port === n.port && m.weight === n.weight;
  });
}

function withoutTasks(app: MarathonApp): MarathonApp {
  if (app.tasks === undefined) return app;
  const { tasks: _tasks, ...definition } = app;
  return definition;
}

/** App definitions and projected pools. */
export class PoolState {
  /** The projected pools, keyed by app id. */
  readonly store: MemoryStore<BackendSet>;
  readonly #apps = new Map<string, MarathonApp>();
  readonly #projection: ResolvedProjectionOptions;
  readonly #select: (app: MarathonApp) => boolean;
  readonly #context: ProjectionContext;
  #puts = 0;
  #deletes = 0;

  constructor(options: {
    projection: ResolvedProjectionOptions;
    select: (app: MarathonApp) => boolean;
    historyLimit: number;
    resolver: CachedHostResolver | undefined;
    healthMemorySize: number;
    onUnresolved: (error: HostResolutionError) => void;
  }) {
    this.store = new MemoryStore<BackendSet>({ historyLimit: options.historyLimit });
    this.#projection = options.projection;
    this.#select = options.select;
    const resolver = options.resolver;
    this.#context = {
      health: new HealthMemory(options.healthMemorySize),
      hostAddress:
        resolver === undefined
          ? (host, taskId) => (isIP(host) !== 0 ? host : new HostResolutionError(host, taskId, { cause: 'resolveHostnames is off' }))
          : (host, taskId) => resolver.address(host, taskId),
      onUnresolved: (error) => options.onUnresolved(error as HostResolutionError),
    };
  }

  /** Writes so far. */
  get writes(): PoolWrites {
    return { puts: this.#puts, deletes: this.#deletes };
  }

  /** Number of apps known (selected or not). */
  get appCount(): number {
    return this.#apps.size;
  }

  /** `undefined` when the app is unknown, else whether the selector picks it. */
  selected(appId: string): boolean | undefined {
    const app = this.#apps.get(appId);
    return app === undefined ? undefined : this.#select(app);
  }

  /** Replace everything with a full snapshot (apps with embedded tasks). */
  applySnapshot(apps: readonly MarathonApp[]): void {
    const seen = new Set<string>();
    for (const app of apps) {
      if (typeof app?.id !== 'string' || app.id === '') continue;
      seen.add(app.id);
      this.applyApp(app.id, app);
    }
    for (const id of [...this.#apps.keys()]) if (!seen.has(id)) this.applyApp(id, undefined);
    for (const id of [...this.store.keys()]) if (!seen.has(id)) this.#remove(id);
  }

  /** Apply one app with its embedded tasks, or its absence. */
  applyApp(appId: string, app: MarathonApp | undefined): void {
    if (app === undefined) {
      this.#apps.delete(appId);
      this.#remove(appId);
      return;
    }
    this.#apps.set(appId, withoutTasks(app));
    this.#project(appId, app.tasks ?? []);
  }

  /**
   * Apply fresh tasks of a known app (`undefined` = the app is gone).
   *
   * @returns false when the app definition is unknown (fetch the app instead).
   */
  applyTasks(appId: string, tasks: readonly MarathonTask[] | undefined): boolean {
    if (tasks === undefined) {
      this.applyApp(appId, undefined);
      return true;
    }
    if (!this.#apps.has(appId)) return false;
    this.#project(appId, tasks);
    return true;
  }

  #project(appId: string, tasks: readonly MarathonTask[]): void {
    const app = this.#apps.get(appId);
    if (app === undefined || !this.#select(app)) {
      this.#remove(appId);
      return;
    }
    const next = projectApp(app, tasks, this.#projection, this.#context);
    const current = this.store.get(appId);
    if (current !== undefined && sameSet(current.value, next)) return;
    this.store.put(appId, next);
    this.#puts++;
  }

  #remove(appId: string): void {
    if (this.store.delete(appId) !== undefined) this.#deletes++;
  }
}
