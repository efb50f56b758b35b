/**
 * The shared shapes of the Marathon simulator: app definitions as a test (or a Marathon client's JSON) gives
 * them, the state of apps and tasks, and the timings of task life cycles.
 */
import type { MarathonTaskState } from '../marathon-types.js';

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
  /** Define a health check; new tasks get their first result after `timing.healthMs`. @defaultValue `false` */
  readonly healthChecks?: boolean;
  /** Whether new tasks pass their health checks. @defaultValue `true` */
  readonly startHealthy?: boolean;
  /** IP-per-task networking: tasks get their own address and listen on `containerPorts`. @defaultValue `false` */
  readonly ipPerTask?: boolean;
  /** Container ports of an IP-per-task app, by port index. @defaultValue `[8080, 8081, …]` */
  readonly containerPorts?: readonly number[];
  /** Other Marathon fields (`cmd`, `cpus`, `mem`, …) kept and echoed back as given. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * Life-cycle timings of simulated tasks (real milliseconds). Zero makes a step synchronous: a task is running
 * (and healthy) in the same call that launched it, and a killed task is gone at once.
 */
export interface SimTiming {
  /** Time a new task spends in TASK_STAGING and then TASK_STARTING (each). @defaultValue `0` */
  readonly startMs?: number;
  /** Time from TASK_RUNNING to the first health check result (no `healthCheckResults` until then). @defaultValue `0` */
  readonly healthMs?: number;
  /** Kill grace period: a killed task stays visible as TASK_KILLING this long. @defaultValue `0` */
  readonly killGraceMs?: number;
}

/** How agents register: by IP (`10.0.0.n`), or by hostname (`mesos-agent-n.example`, Mesos' default). */
export type SimAgentNaming = 'ip' | 'hostname';

/** One simulated task. */
export interface SimTask {
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
  /** `undefined` until the first health check ran (or after a leader failover lost the results). */
  healthy: boolean | undefined;
  /** What the next health check will report. */
  passes: boolean;
  /** Called once when the task first becomes healthy (a deployment waits for it). */
  onHealthy?: (() => void) | undefined;
}

/** One simulated app. */
export interface SimApp {
  def: {
    id: string;
    instances: number;
    labels: Record<string, string>;
    ports: string[];
    healthChecks: boolean;
    startHealthy: boolean;
    ipPerTask: boolean;
    containerPorts: number[];
    extra: Record<string, unknown>;
  };
  version: string;
  versions: string[];
  lastScalingAt: string;
  lastConfigChangeAt: string;
  tasks: Map<string, SimTask>;
}

/** A deployment in progress, as `/v2/deployments` shows it. */
export interface SimDeployment {
  readonly id: string;
  readonly version: string;
  readonly appId: string;
  readonly action: string;
}
