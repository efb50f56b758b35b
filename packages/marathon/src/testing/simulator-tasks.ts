/**
 * The life cycle of simulated tasks: launch (TASK_STAGING, TASK_STARTING, TASK_RUNNING, then the first health
 * check after `healthMs`), health checks and their events, and kills (TASK_KILLING for the kill grace period,
 * then a terminal state). Steps run on real timers, or synchronously when their timing is 0; each transition
 * emits Marathon's `status_update_event` and `instance_changed_event`.
 */
import { randomUUID } from 'node:crypto';
import type { MarathonEvent, MarathonTaskState } from '../marathon-types.js';
import { agentAddress, agentName, healthCheckJson } from './simulator-json.js';
import type { SimAgentNaming, SimApp, SimTask, SimTiming } from './simulator-types.js';

const agents = 8;

/** Launches, checks and kills tasks, emitting Marathon's events. */
export class TaskLifecycle {
  readonly #emit: (eventType: string, fields: Record<string, unknown>) => void;
  readonly #ts: () => string;
  readonly #timing: Required<SimTiming>;
  readonly #naming: SimAgentNaming;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #gone = new Map<SimTask, (() => void)[]>();
  #nextPort = 31_000;
  #nextIp = 1;
  #nextAgent = 0;

  constructor(options: {
    emit: (event: MarathonEvent) => void;
    now: () => Date;
    timing: SimTiming | undefined;
    naming: SimAgentNaming;
  }) {
    this.#ts = () => options.now().toISOString();
    this.#emit = (eventType, fields) => options.emit({ eventType, timestamp: this.#ts(), ...fields });
    this.#timing = { startMs: 0, healthMs: 0, killGraceMs: 0, ...options.timing };
    this.#naming = options.naming;
  }

  /** The timings in use. */
  get timing(): Required<SimTiming> {
    return this.#timing;
  }

  /** Run `fn` after `ms` (at once when 0). */
  after(ms: number, fn: () => void): void {
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

  /** Cancel every pending step. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /**
   * The master loses (or regains) contact with an agent: its running tasks become TASK_UNREACHABLE (condition
   * `Unreachable`), or TASK_RUNNING again.
   */
  partition(app: SimApp, host: string, cut: boolean): void {
    for (const task of app.tasks.values()) {
      if (task.host !== host) continue;
      if (cut && task.state === 'TASK_RUNNING') this.#transition(app, task, 'TASK_UNREACHABLE', 'Unreachable');
      else if (!cut && task.state === 'TASK_UNREACHABLE') this.#transition(app, task, 'TASK_RUNNING', 'Running');
    }
  }

  /** The tasks of an app that are not being killed. */
  live(app: SimApp): SimTask[] {
    return [...app.tasks.values()].filter((t) => t.state !== 'TASK_KILLING');
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
  launch(app: SimApp, ready: () => void): void {
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
    this.after(this.#timing.startMs, () => {
      if (!alive()) return;
      this.#transition(app, task, 'TASK_STARTING', 'Starting');
      this.after(this.#timing.startMs, () => {
        if (!alive()) return;
        task.startedAt = this.#ts();
        this.#transition(app, task, 'TASK_RUNNING', 'Running');
        if (!app.def.healthChecks) {
          ready();
          return;
        }
        task.onHealthy = ready;
        this.after(this.#timing.healthMs, () => {
          if (alive()) this.check(app, task);
        });
      });
    });
  }

  /** One health check of a task: records the result and emits Marathon's health events when it changes. */
  check(app: SimApp, task: SimTask): void {
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

  /** Kill a task: TASK_KILLING for the grace period, then the terminal state; `gone` runs at the end. */
  kill(app: SimApp, task: SimTask, state: MarathonTaskState, gone: () => void): void {
    const waiting = this.#gone.get(task);
    if (waiting !== undefined) {
      waiting.push(gone); // already being killed: wait for the same end
      return;
    }
    this.#gone.set(task, [gone]);
    task.onHealthy = undefined;
    this.#transition(app, task, 'TASK_KILLING', 'Killing');
    this.after(this.#timing.killGraceMs, () => {
      app.tasks.delete(task.id);
      const condition = state === 'TASK_KILLED' ? 'Killed' : state === 'TASK_FAILED' ? 'Failed' : state === 'TASK_LOST' ? 'Gone' : 'Finished';
      this.#transition(app, task, state, condition);
      const callbacks = this.#gone.get(task) ?? [];
      this.#gone.delete(task);
      for (const callback of callbacks) callback();
    });
  }
}
