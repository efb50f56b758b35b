/**
 * The state of the Marathon simulator: apps, their tasks and deployments, and the events Marathon (1.8)
 * emits as they change. Tasks go through Marathon's life cycle — TASK_STAGING, TASK_STARTING, TASK_RUNNING,
 * a first health result only after `timing.healthMs`, TASK_KILLING for the kill grace period — on real timers,
 * or synchronously when a timing is 0. Every operation is a deployment with a UUID; a configuration change
 * (labels, health checks, ports) or a restart replaces every task in a rolling restart with Marathon's default
 * upgrade strategy (all new tasks start at once, one old task is killed per new task that becomes healthy).
 */
import { randomUUID } from 'node:crypto';
import type { MarathonEvent, MarathonTaskState } from '../marathon-types.js';
import { groupJson, normalizeId } from './simulator-json.js';
import { TaskLifecycle } from './simulator-tasks.js';
import type { SimAgentNaming, SimApp, SimAppDefinition, SimDeployment, SimTask, SimTiming } from './simulator-types.js';

/** Options of {@link SimulatorModel}. */
export interface SimulatorModelOptions {
  readonly timing?: SimTiming;
  readonly agents?: SimAgentNaming;
  readonly now?: () => Date;
}

/** Apps, tasks, deployments and the events their changes produce. */
export class SimulatorModel {
  readonly #apps = new Map<string, SimApp>();
  readonly #deployments = new Map<string, SimDeployment>();
  readonly #publish: (event: MarathonEvent) => void;
  readonly #now: () => Date;
  readonly #tasks: TaskLifecycle;

  constructor(publish: (event: MarathonEvent) => void, options: SimulatorModelOptions = {}) {
    this.#publish = publish;
    this.#now = options.now ?? (() => new Date());
    this.#tasks = new TaskLifecycle({ emit: publish, now: this.#now, timing: options.timing, naming: options.agents ?? 'ip' });
  }

  #ts(): string {
    return this.#now().toISOString();
  }

  #emit(eventType: string, fields: Record<string, unknown>): void {
    this.#publish({ eventType, timestamp: this.#ts(), ...fields });
  }

  /** Cancel every pending life-cycle step. */
  close(): void {
    this.#tasks.close();
  }

  /** The app, or an Error naming it as Marathon does. */
  app(id: string): SimApp {
    const app = this.#apps.get(normalizeId(id));
    if (app === undefined) throw new Error(`App '${normalizeId(id)}' does not exist`);
    return app;
  }

  /** True when the app exists. */
  has(id: string): boolean {
    return this.#apps.has(normalizeId(id));
  }

  /** Every app. */
  apps(): SimApp[] {
    return [...this.#apps.values()];
  }

  /** Ids of every app. */
  ids(): string[] {
    return [...this.#apps.keys()];
  }

  /** Deployments in progress. */
  deployments(): SimDeployment[] {
    return [...this.#deployments.values()];
  }

  /** Ids of the live (not killing) tasks of an app. */
  taskIds(id: string): string[] {
    return this.#tasks.live(this.app(id)).map((t) => t.id);
  }

  /** Find a task by id. @throws Error when unknown. */
  findTask(taskId: string): { app: SimApp; task: SimTask } {
    for (const app of this.#apps.values()) {
      const task = app.tasks.get(taskId);
      if (task !== undefined) return { app, task };
    }
    throw new Error(`Task '${taskId}' does not exist`);
  }

  /** Create an app and launch its instances. @returns the deployment id. @throws Error when it exists. */
  create(definition: SimAppDefinition): string {
    const id = normalizeId(definition.id);
    if (this.#apps.has(id)) throw new Error(`An app with id [${id}] already exists.`);
    const ports = [...(definition.ports ?? ['http'])];
    const version = this.#ts();
    const app: SimApp = {
      def: {
        id,
        instances: definition.instances ?? 1,
        labels: { ...definition.labels },
        ports,
        healthChecks: definition.healthChecks ?? false,
        startHealthy: definition.startHealthy ?? true,
        ipPerTask: definition.ipPerTask ?? false,
        containerPorts: [...(definition.containerPorts ?? ports.map((_, i) => 8080 + i))],
        extra: { ...definition.extra },
      },
      version,
      versions: [version],
      lastScalingAt: version,
      lastConfigChangeAt: version,
      tasks: new Map(),
    };
    this.#apps.set(id, app);
    this.#apiPost(app);
    return this.#deploy(app, 'StartApplication', (done) => this.#reach(app, app.def.instances, done));
  }

  /** Change the number of instances (starting or killing tasks). @returns the deployment id. */
  scale(id: string, instances: number): string {
    const app = this.app(id);
    app.def.instances = Math.max(0, instances);
    this.#newVersion(app, false);
    this.#apiPost(app);
    return this.#deploy(app, 'ScaleApplication', (done) => this.#reach(app, app.def.instances, done));
  }

  /**
   * Change an app's configuration. A change of labels, health checks or ports is an upgrade: every task is
   * replaced in a rolling restart. @returns the deployment id.
   */
  update(id: string, change: { labels?: Record<string, string>; healthChecks?: boolean; ports?: string[]; instances?: number }): string {
    const app = this.app(id);
    const config = change.labels !== undefined || change.healthChecks !== undefined || change.ports !== undefined;
    if (change.labels !== undefined) app.def.labels = { ...change.labels };
    if (change.healthChecks !== undefined) app.def.healthChecks = change.healthChecks;
    if (change.ports !== undefined) app.def.ports = [...change.ports];
    if (change.instances !== undefined) app.def.instances = Math.max(0, change.instances);
    if (!config) return this.scale(id, app.def.instances);
    this.#newVersion(app, true);
    this.#apiPost(app);
    return this.#deploy(app, 'RestartApplication', (done) => this.#rollingRestart(app, done));
  }

  /** Replace an app's labels (a configuration change: a rolling restart). */
  setLabels(id: string, labels: Readonly<Record<string, string>>): string {
    return this.update(id, { labels: { ...labels } });
  }

  /** Restart every task of an app (`POST /v2/apps/{id}/restart`). @returns the deployment id. */
  restart(id: string): string {
    const app = this.app(id);
    this.#newVersion(app, true);
    return this.#deploy(app, 'RestartApplication', (done) => this.#rollingRestart(app, done));
  }

  /** Delete an app: its tasks are killed and `app_terminated_event` follows. @returns the deployment id. */
  destroy(id: string): string {
    const app = this.app(id);
    return this.#deploy(app, 'StopApplication', (done) => {
      this.#apps.delete(app.def.id);
      let left = app.tasks.size;
      const finished = (): void => {
        if (--left > 0) return;
        this.#emit('app_terminated_event', { appId: app.def.id });
        done();
      };
      if (left === 0) {
        left = 1;
        finished();
      }
      for (const task of [...app.tasks.values()]) this.#tasks.kill(app, task, 'TASK_KILLED', finished);
    });
  }

  /**
   * Kill one task. Without `scale`, Marathon launches a replacement once it is gone; with it, the app shrinks.
   * @param state - the terminal state to report. @defaultValue `'TASK_KILLED'`
   */
  killTask(taskId: string, options: { scale?: boolean; state?: MarathonTaskState } = {}): SimTask {
    const { app, task } = this.findTask(taskId);
    if (options.scale) {
      app.def.instances = Math.max(0, app.def.instances - 1);
      this.#newVersion(app, false);
    }
    this.#tasks.kill(app, task, options.state ?? 'TASK_KILLED', () => {
      if (!options.scale && this.#apps.get(app.def.id) === app) this.#reach(app, app.def.instances, () => undefined);
    });
    return task;
  }

  /** Make a task's health checks pass or fail (the result changes at once). */
  setHealth(taskId: string, alive: boolean): void {
    const { app, task } = this.findTask(taskId);
    if (!app.def.healthChecks) throw new Error(`App '${app.def.id}' has no health checks`);
    task.passes = alive;
    this.#tasks.check(app, task);
  }

  /** Leader failover: the new leader has no health results until its checks run (after `afterMs`; never when 0). */
  loseHealth(afterMs = this.#tasks.timing.healthMs): void {
    for (const app of this.#apps.values()) {
      if (!app.def.healthChecks) continue;
      for (const task of app.tasks.values()) {
        task.healthy = undefined;
        if (afterMs > 0) this.#tasks.after(afterMs, () => this.#tasks.check(app, task));
      }
    }
  }

  /** Cut off (or reconnect) the agent `host` from the master: its tasks become TASK_UNREACHABLE (or running). */
  partitionAgent(host: string, cut: boolean): void {
    for (const app of this.#apps.values()) this.#tasks.partition(app, host, cut);
  }

  /** Run every health check now (results come back after a failover). */
  runHealthChecks(): void {
    for (const app of this.#apps.values()) {
      if (app.def.healthChecks) for (const task of app.tasks.values()) if (task.state === 'TASK_RUNNING') this.#tasks.check(app, task);
    }
  }

  #newVersion(app: SimApp, config: boolean): void {
    app.version = this.#ts();
    app.versions.push(app.version);
    app.lastScalingAt = app.version;
    if (config) app.lastConfigChangeAt = app.version;
  }

  #apiPost(app: SimApp): void {
    const appDefinition = { id: app.def.id, instances: app.def.instances, labels: { ...app.def.labels }, version: app.version };
    this.#emit('api_post_event', { clientIp: '127.0.0.1', uri: `/v2/apps${app.def.id}`, appDefinition });
  }

  #deploy(app: SimApp, action: string, work: (done: () => void) => void): string {
    const deployment: SimDeployment = { id: randomUUID(), version: app.version, appId: app.def.id, action };
    const step = { actions: [{ action, app: app.def.id }] };
    const original = groupJson([...this.#apps.values()].filter((a) => a === app), app.version);
    const plan = { id: deployment.id, version: app.version, original, target: original, steps: [step] };
    this.#deployments.set(deployment.id, deployment);
    this.#emit('group_change_success', { groupId: '/', version: app.version });
    this.#emit('deployment_info', { plan, currentStep: step });
    let finished = false;
    work(() => {
      if (finished) return;
      finished = true;
      this.#deployments.delete(deployment.id);
      this.#emit('deployment_step_success', { plan, currentStep: step });
      this.#emit('deployment_success', { id: deployment.id, plan });
    });
    return deployment.id;
  }

  #reach(app: SimApp, instances: number, done: () => void): void {
    const live = this.#tasks.live(app);
    let pending = Math.abs(instances - live.length);
    if (pending === 0) {
      done();
      return;
    }
    const one = (): void => {
      if (--pending === 0) done();
    };
    for (let i = live.length; i < instances; i++) this.#tasks.launch(app, one);
    // Marathon's default killSelection is YOUNGEST_FIRST.
    for (const task of live.slice(instances).reverse()) this.#tasks.kill(app, task, 'TASK_KILLED', one);
  }

  #rollingRestart(app: SimApp, done: () => void): void {
    const old = this.#tasks.live(app);
    const target = app.def.instances;
    let pending = target + old.length;
    const one = (): void => {
      if (--pending === 0) done();
    };
    if (pending === 0) {
      done();
      return;
    }
    // maximumOverCapacity 1 (start every new task at once), minimumHealthCapacity 1 (kill one old task per new
    // task that became healthy, so the healthy count never drops below the target).
    for (let i = 0; i < target; i++) {
      this.#tasks.launch(app, () => {
        one();
        const next = old.shift();
        if (next !== undefined) this.#tasks.kill(app, next, 'TASK_KILLED', one);
      });
    }
    if (target === 0) for (const task of old.splice(0)) this.#tasks.kill(app, task, 'TASK_KILLED', one);
  }
}
