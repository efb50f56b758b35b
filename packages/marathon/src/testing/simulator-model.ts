/**
 * The state of the Marathon simulator: apps and their tasks, and the events Marathon emits when they change.
 * Operations are synchronous and emit the same event sequence a real Marathon does (api_post_event, deployment
 * events, status_update_event + instance_changed_event per task transition, health events), so a client sees
 * realistic storms: scaling an app to 100 instances publishes several hundred events in one burst.
 */
import type { MarathonApp, MarathonEvent, MarathonPort, MarathonTask, MarathonTaskState } from '../marathon-types.js';

/** The definition of a simulated app. */
export interface SimAppDefinition {
  /** App id, e.g. `/web` or `/prod/api` (a missing leading slash is added). */
  readonly id: string;
  /** Number of instances. @defaultValue `1` */
  readonly instances?: number;
  /** Labels (e.g. `{ HAPROXY_GROUP: 'external' }`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Port names; one host port is allocated per entry. @defaultValue `['http']` */
  readonly ports?: readonly string[];
  /** Define a health check; new tasks become healthy at once unless `startHealthy` is false. @defaultValue `false` */
  readonly healthChecks?: boolean;
  /** Whether new tasks pass their health checks. @defaultValue `true` */
  readonly startHealthy?: boolean;
  /** IP-per-task networking: tasks get their own address and listen on `containerPorts`. @defaultValue `false` */
  readonly ipPerTask?: boolean;
  /** Container ports of an IP-per-task app, by port index. @defaultValue `[8080, 8081, …]` */
  readonly containerPorts?: readonly number[];
}

interface SimTask {
  id: string;
  instanceId: string;
  appId: string;
  host: string;
  slaveId: string;
  ports: number[];
  ipAddress: string | undefined;
  state: MarathonTaskState;
  stagedAt: string;
  startedAt: string | undefined;
  version: string;
  healthy: boolean | undefined;
}

interface SimApp {
  def: { -readonly [K in keyof Required<Omit<SimAppDefinition, 'labels' | 'containerPorts'>>]: Required<SimAppDefinition>[K] } & {
    labels: Record<string, string>;
    containerPorts: number[];
  };
  version: string;
  tasks: Map<string, SimTask>;
}

const agents = 8;
let uuidCounter = 0;

function uuid(): string {
  uuidCounter++;
  return `${Date.now().toString(16)}-${uuidCounter.toString(16).padStart(8, '0')}`;
}

function normalizeId(id: string): string {
  return `/${id.split('/').filter((s) => s !== '').join('/')}`;
}

/** Apps, tasks and the events their changes produce. */
export class SimulatorModel {
  readonly #apps = new Map<string, SimApp>();
  readonly #publish: (event: MarathonEvent) => void;
  readonly #now: () => Date;
  #nextPort = 31_000;
  #nextIp = 1;
  #nextAgent = 0;

  constructor(publish: (event: MarathonEvent) => void, now: () => Date = () => new Date()) {
    this.#publish = publish;
    this.#now = now;
  }

  #ts(): string {
    return this.#now().toISOString();
  }

  #emit(eventType: string, fields: Record<string, unknown>): void {
    this.#publish({ eventType, timestamp: this.#ts(), ...fields });
  }

  #app(id: string): SimApp {
    const app = this.#apps.get(normalizeId(id));
    if (app === undefined) throw new Error(`App '${normalizeId(id)}' does not exist`);
    return app;
  }

  /** True when the app exists. */
  has(id: string): boolean {
    return this.#apps.has(normalizeId(id));
  }

  /** Ids of every app. */
  ids(): string[] {
    return [...this.#apps.keys()];
  }

  /** The app as `/v2/apps` shows it, with tasks when asked. */
  toJson(id: string, withTasks: boolean): MarathonApp {
    const app = this.#app(id);
    const d = app.def;
    const portDefs: MarathonPort[] = d.ports.map((name) => ({ port: 0, protocol: 'tcp', name, labels: {} }));
    const json: Record<string, unknown> = {
      id: d.id,
      instances: d.instances,
      labels: { ...d.labels },
      healthChecks: d.healthChecks ? [{ protocol: 'MESOS_HTTP', path: '/health', portIndex: 0 }] : [],
      portDefinitions: d.ipPerTask ? [] : portDefs,
      container: null,
      ipAddress: d.ipPerTask
        ? { networkName: 'dcos', discovery: { ports: d.ports.map((name, i) => ({ name, number: d.containerPorts[i], protocol: 'tcp' })) } }
        : null,
      version: app.version,
    };
    if (withTasks) json.tasks = this.tasksJson(id);
    return json as unknown as MarathonApp;
  }

  /** The live tasks of an app as `/v2/apps/{id}/tasks` shows them. */
  tasksJson(id: string): MarathonTask[] {
    const app = this.#app(id);
    return [...app.tasks.values()].map((t) => {
      const task: Record<string, unknown> = {
        appId: t.appId,
        host: t.host,
        id: t.id,
        ipAddresses: [{ ipAddress: t.ipAddress ?? t.host, protocol: 'IPv4' }],
        ports: app.def.ipPerTask ? [] : [...t.ports],
        servicePorts: [],
        slaveId: t.slaveId,
        state: t.state,
        stagedAt: t.stagedAt,
        startedAt: t.startedAt ?? null,
        version: t.version,
      };
      if (app.def.healthChecks && t.healthy !== undefined) {
        task.healthCheckResults = [
          {
            alive: t.healthy,
            consecutiveFailures: t.healthy ? 0 : 1,
            firstSuccess: t.startedAt ?? null,
            lastSuccess: t.healthy ? this.#ts() : null,
            lastFailure: t.healthy ? null : this.#ts(),
            lastFailureCause: t.healthy ? null : 'HTTP 503',
            instanceId: t.instanceId,
          },
        ];
      }
      return task as unknown as MarathonTask;
    });
  }

  /** Ids of the live tasks of an app. */
  taskIds(id: string): string[] {
    return [...this.#app(id).tasks.keys()];
  }

  /** Create an app and launch its instances. @throws Error when it exists. */
  create(definition: SimAppDefinition): void {
    const id = normalizeId(definition.id);
    if (this.#apps.has(id)) throw new Error(`An app with id [${id}] already exists.`);
    const ports = [...(definition.ports ?? ['http'])];
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
      },
      version: this.#ts(),
      tasks: new Map(),
    };
    this.#apps.set(id, app);
    this.#emit('api_post_event', { clientIp: '127.0.0.1', uri: '/v2/apps', appDefinition: this.toJson(id, false) });
    this.#deploy(app, 'StartApplication', () => this.#reach(app, app.def.instances));
  }

  /** Change the number of instances (starting or killing tasks). */
  scale(id: string, instances: number): void {
    const app = this.#app(id);
    app.def.instances = instances;
    app.version = this.#ts();
    this.#emit('api_post_event', { clientIp: '127.0.0.1', uri: `/v2/apps${app.def.id}`, appDefinition: this.toJson(id, false) });
    this.#deploy(app, 'ScaleApplication', () => this.#reach(app, instances));
  }

  /** Replace the labels of an app (a definition change, like `PUT /v2/apps/{id}`). */
  setLabels(id: string, labels: Readonly<Record<string, string>>): void {
    const app = this.#app(id);
    app.def.labels = { ...labels };
    app.version = this.#ts();
    this.#emit('api_post_event', { clientIp: '127.0.0.1', uri: `/v2/apps${app.def.id}`, appDefinition: this.toJson(id, false) });
    this.#deploy(app, 'RestartApplication', () => undefined);
  }

  /** Delete an app: its tasks are killed and `app_terminated_event` follows. */
  destroy(id: string): void {
    const app = this.#app(id);
    this.#deploy(app, 'StopApplication', () => {
      for (const task of [...app.tasks.values()]) this.#kill(app, task, 'TASK_KILLED');
      this.#apps.delete(app.def.id);
      this.#emit('app_terminated_event', { appId: app.def.id });
    });
  }

  /**
   * Kill one task. Without `scale`, Marathon launches a replacement; with it, the app shrinks by one.
   * @param state - the terminal state to report. @defaultValue `'TASK_KILLED'`
   */
  killTask(taskId: string, options: { scale?: boolean; state?: MarathonTaskState } = {}): void {
    const { app, task } = this.#findTask(taskId);
    this.#kill(app, task, options.state ?? 'TASK_KILLED');
    if (options.scale) app.def.instances = Math.max(0, app.def.instances - 1);
    else this.#reach(app, app.def.instances);
  }

  /** Make a task's health check pass or fail. */
  setHealth(taskId: string, alive: boolean): void {
    const { app, task } = this.#findTask(taskId);
    if (!app.def.healthChecks) throw new Error(`App '${app.def.id}' has no health checks`);
    if (task.healthy === alive) return;
    task.healthy = alive;
    if (!alive) {
      this.#emit('failed_health_check_event', { appId: app.def.id, taskId: task.id, instanceId: task.instanceId, healthCheck: {} });
    }
    this.#emit('health_status_changed_event', { appId: app.def.id, taskId: task.id, instanceId: task.instanceId, version: app.version, alive });
    this.#emit('instance_health_changed_event', { instanceId: task.instanceId, runSpecId: app.def.id, runSpecVersion: app.version, healthy: alive });
  }

  #findTask(taskId: string): { app: SimApp; task: SimTask } {
    for (const app of this.#apps.values()) {
      const task = app.tasks.get(taskId);
      if (task !== undefined) return { app, task };
    }
    throw new Error(`Task '${taskId}' does not exist`);
  }

  #deploy(app: SimApp, action: string, work: () => void): void {
    const id = uuid();
    const step = { actions: [{ action, app: app.def.id }] };
    const plan = { id, version: app.version, steps: [step] };
    this.#emit('deployment_info', { plan, currentStep: step });
    work();
    this.#emit('deployment_step_success', { plan, currentStep: step });
    this.#emit('deployment_success', { id, plan });
  }

  #reach(app: SimApp, instances: number): void {
    while (app.tasks.size < instances) this.#launch(app);
    const surplus = [...app.tasks.values()].slice(instances);
    for (const task of surplus) this.#kill(app, task, 'TASK_KILLED');
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
      ipAddresses: [{ ipAddress: task.ipAddress ?? task.host, protocol: 'IPv4' }],
      ports: app.def.ipPerTask ? [] : [...task.ports],
      version: app.version,
    });
    this.#emit('instance_changed_event', {
      instanceId: task.instanceId,
      condition,
      runSpecId: app.def.id,
      agentId: task.slaveId,
      host: task.host,
      runSpecVersion: app.version,
    });
  }

  #launch(app: SimApp): void {
    const agent = this.#nextAgent++ % agents;
    const key = uuid();
    const prefix = app.def.id.slice(1).replaceAll('/', '_');
    const task: SimTask = {
      id: `${prefix}.${key}`,
      instanceId: `${prefix}.marathon-${key}`,
      appId: app.def.id,
      host: `10.0.0.${agent + 1}`,
      slaveId: `agent-${agent + 1}-S0`,
      ports: app.def.ports.map(() => this.#nextPort++),
      ipAddress: app.def.ipPerTask ? `172.16.${(this.#nextIp >> 8) & 255}.${this.#nextIp++ & 255}` : undefined,
      state: 'TASK_STAGING',
      stagedAt: this.#ts(),
      startedAt: undefined,
      version: app.version,
      healthy: undefined,
    };
    app.tasks.set(task.id, task);
    this.#transition(app, task, 'TASK_STAGING', 'Staging');
    this.#transition(app, task, 'TASK_STARTING', 'Starting');
    task.startedAt = this.#ts();
    this.#transition(app, task, 'TASK_RUNNING', 'Running');
    if (app.def.healthChecks) this.setHealth(task.id, app.def.startHealthy);
  }

  #kill(app: SimApp, task: SimTask, state: MarathonTaskState): void {
    this.#transition(app, task, 'TASK_KILLING', 'Killing');
    app.tasks.delete(task.id);
    const condition = state === 'TASK_KILLED' ? 'Killed' : state === 'TASK_FAILED' ? 'Failed' : state === 'TASK_LOST' ? 'Gone' : 'Finished';
    this.#transition(app, task, state, condition);
  }
}
