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
import { agentAddress, agentName, groupJson, healthCheckJson, normalizeId } from './simulator-json.js';
import type { SimAgentNaming, SimApp, SimAppDefinition, SimDeployment, SimTask, SimTiming } from './simulator-types.js';

const agents = 8;

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
  readonly #timing: Required<SimTiming>;
  readonly #naming: SimAgentNaming;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #gone = new Map<SimTask, (() => void)[]>();
  #nextPort = 31_000;
  #nextIp = 1;
  #nextAgent = 0;

  constructor(publish: (event: MarathonEvent) => void, options: SimulatorModelOptions = {}) {
    this.#publish = publish;
    this.#now = options.now ?? (() => new Date());
    this.#timing = { startMs: 0, healthMs: 0, killGraceMs: 0, ...options.timing };
    this.#naming = options.agents ?? 'ip';
  }

  #ts(): string {
    return this.#now().toISOString();
  }

  #emit(eventType: string, fields: Record<string, unknown>): void {
    this.#publish({ eventType, timestamp: this.#ts(), ...fields });
  }

  /** Run `fn` after `ms` (at once when 0). */
  #after(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  /** Cancel every pending life-cycle step. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
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
    return this.#live(this.app(id)).map((t) => t.id);
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
      for (const task of [...app.tasks.values()]) this.#kill(app, task, 'TASK_KILLED', finished);
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
    this.#kill(app, task, options.state ?? 'TASK_KILLED', () => {
      if (!options.scale && this.#apps.get(app.def.id) === app) this.#reach(app, app.def.instances, () => undefined);
    });
    return task;
  }

  /** Make a task's health checks pass or fail (the result changes at once). */
  setHealth(taskId: string, alive: boolean): void {
    const { app, task } = this.findTask(taskId);
    if (!app.def.healthChecks) throw new Error(`App '${app.def.id}' has no health checks`);
    task.passes = alive;
    this.#check(app, task);
  }

  /** Leader failover: the new leader has no health results until its checks run (after `afterMs`; never when 0). */
  loseHealth(afterMs = this.#timing.healthMs): void {
    for (const app of this.#apps.values()) {
      if (!app.def.healthChecks) continue;
      for (const task of app.tasks.values()) {
        task.healthy = undefined;
        if (afterMs > 0) this.#after(afterMs, () => this.#check(app, task));
      }
    }
  }

  /** Run every health check now (results come back after a failover). */
  runHealthChecks(): void {
    for (const app of this.#apps.values()) {
      if (app.def.healthChecks) for (const task of app.tasks.values()) if (task.state === 'TASK_RUNNING') this.#check(app, task);
    }
  }

  #live(app: SimApp): SimTask[] {
    return [...app.tasks.values()].filter((t) => t.state !== 'TASK_KILLING');
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
    const live = this.#live(app);
    let pending = Math.abs(instances - live.length);
    if (pending === 0) {
      done();
      return;
    }
    const one = (): void => {
      if (--pending === 0) done();
    };
    for (let i = live.length; i < instances; i++) this.#launch(app, one);
    // Marathon's default killSelection is YOUNGEST_FIRST.
    for (const task of live.slice(instances).reverse()) this.#kill(app, task, 'TASK_KILLED', one);
  }

  #rollingRestart(app: SimApp, done: () => void): void {
    const old = this.#live(app);
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
      this.#launch(app, () => {
        one();
        const next = old.shift();
        if (next !== undefined) this.#kill(app, next, 'TASK_KILLED', one);
      });
    }
    if (target === 0) for (const task of old.splice(0)) this.#kill(app, task, 'TASK_KILLED', one);
  }

  #transition(app: SimApp, task: SimTask, state: MarathonTaskState, condition: string): void {
    task.state = state;
    this.#emit('status_update_event', {
      slaveId: task.slaveId,
      taskId: task.id,
      taskStatus: state,
      message: '',
      appId: app.def.id,
      host: task.host,
      ipAddresses: [{ ipAddress: task.ipAddress ?? agentAddress(task.host), protocol: 'IPv4' }],
      ports: app.def.ipPerTask ? [] : [...task.ports],
      version: task.version,
    });
    this.#emit('instance_changed_event', {
      instanceId: task.instanceId,
      condition,
      runSpecId: app.def.id,
      agentId: task.slaveId,
      host: task.host,
      runSpecVersion: task.version,
    });
  }

  /** Launch a task; `ready` runs once it is running and (with health checks) healthy. */
  #launch(app: SimApp, ready: () => void): void {
    const agent = (this.#nextAgent++ % agents) + 1;
    const key = randomUUID();
    const prefix = app.def.id.slice(1).replaceAll('/', '_');
    const task: SimTask = {
      id: `${prefix}.${key}`,
      instanceId: `${prefix}.marathon-${key}`,
      appId: app.def.id,
      host: this.#naming === 'hostname' ? agentName(agent) : `10.0.0.${agent}`,
      slaveId: `agent-${agent}-S0`,
      ports: app.def.ports.map(() => this.#nextPort++),
      ipAddress: app.def.ipPerTask ? `172.16.${(this.#nextIp >> 8) & 255}.${this.#nextIp++ & 255}` : undefined,
      state: 'TASK_STAGING',
      stagedAt: this.#ts(),
      startedAt: undefined,
      version: app.version,
      healthy: undefined,
      passes: app.def.startHealthy,
    };
    app.tasks.set(task.id, task);
    const alive = (): boolean => app.tasks.get(task.id) === task && task.state !== 'TASK_KILLING';
    this.#transition(app, task, 'TASK_STAGING', 'Staging');
    this.#after(this.#timing.startMs, () => {
      if (!alive()) return;
      this.#transition(app, task, 'TASK_STARTING', 'Starting');
      this.#after(this.#timing.startMs, () => {
        if (!alive()) return;
        task.startedAt = this.#ts();
        this.#transition(app, task, 'TASK_RUNNING', 'Running');
        if (!app.def.healthChecks) {
          ready();
          return;
        }
        task.onHealthy = ready;
        this.#after(this.#timing.healthMs, () => {
          if (alive()) this.#check(app, task);
        });
      });
    });
  }

  /** One health check of a task: records the result and emits Marathon's health events when it changes. */
  #check(app: SimApp, task: SimTask): void {
    const alive = task.passes;
    if (!alive) this.#emit('failed_health_check_event', { appId: app.def.id, instanceId: task.instanceId, healthCheck: healthCheckJson() });
    if (task.healthy === alive) return;
    task.healthy = alive;
    this.#emit('health_status_changed_event', { appId: app.def.id, instanceId: task.instanceId, version: task.version, alive });
    this.#emit('instance_health_changed_event', {
      instanceId: task.instanceId,
      runSpecId: app.def.id,
      runSpecVersion: task.version,
      healthy: alive,
    });
    if (alive && task.onHealthy !== undefined) {
      const ready = task.onHealthy;
      task.onHealthy = undefined;
      ready();
    }
  }

  #kill(app: SimApp, task: SimTask, state: MarathonTaskState, gone: () => void): void {
    const waiting = this.#gone.get(task);
    if (waiting !== undefined) {
      waiting.push(gone); // already being killed: wait for the same end
      return;
    }
    this.#gone.set(task, [gone]);
    task.onHealthy = undefined;
    this.#transition(app, task, 'TASK_KILLING', 'Killing');
    this.#after(this.#timing.killGraceMs, () => {
      app.tasks.delete(task.id);
      const condition = state === 'TASK_KILLED' ? 'Killed' : state === 'TASK_FAILED' ? 'Failed' : state === 'TASK_LOST' ? 'Gone' : 'Finished';
      this.#transition(app, task, state, condition);
      const callbacks = this.#gone.get(task) ?? [];
      this.#gone.delete(task);
      for (const callback of callbacks) callback();
    });
  }
}
