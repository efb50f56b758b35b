/**
 * The shapes of the Marathon REST API that this package reads: apps, tasks, health results and the event bus
 * documents. Only the fields Nitrox uses are typed; everything else Marathon sends is carried along untouched.
 * Field names follow Marathon's JSON exactly (`/v2/apps?embed=apps.tasks`, `/v2/apps/{id}/tasks`, `/v2/events`).
 */

/** One address of an IP-per-task task. */
export interface MarathonIpAddress {
  readonly ipAddress: string;
  readonly protocol?: 'IPv4' | 'IPv6' | string;
}

/** The result of one health check of a task. */
export interface MarathonHealthCheckResult {
  readonly alive: boolean;
  readonly consecutiveFailures?: number;
  readonly firstSuccess?: string | null;
  readonly lastSuccess?: string | null;
  readonly lastFailure?: string | null;
  readonly lastFailureCause?: string | null;
  readonly instanceId?: string;
  readonly taskId?: string;
}

/** Mesos task states as Marathon reports them. */
export type MarathonTaskState =
  | 'TASK_STAGING'
  | 'TASK_STARTING'
  | 'TASK_RUNNING'
  | 'TASK_FINISHED'
  | 'TASK_FAILED'
  | 'TASK_KILLING'
  | 'TASK_KILLED'
  | 'TASK_LOST'
  | 'TASK_ERROR'
  | 'TASK_DROPPED'
  | 'TASK_GONE'
  | 'TASK_UNREACHABLE'
  | 'TASK_UNKNOWN'
  | (string & {});

/** One task as `/v2/apps/{id}/tasks` and `embed=apps.tasks` return it. */
export interface MarathonTask {
  readonly id: string;
  readonly appId: string;
  readonly host: string;
  readonly state?: MarathonTaskState;
  readonly ports?: readonly number[];
  readonly servicePorts?: readonly number[];
  readonly ipAddresses?: readonly MarathonIpAddress[];
  readonly slaveId?: string;
  readonly stagedAt?: string;
  readonly startedAt?: string | null;
  readonly version?: string;
  readonly healthCheckResults?: readonly MarathonHealthCheckResult[];
}

/** A named port of an app (`portDefinitions`, `container.portMappings`, `ipAddress.discovery.ports`). */
export interface MarathonPort {
  readonly name?: string;
  readonly port?: number;
  readonly number?: number;
  readonly containerPort?: number;
  readonly hostPort?: number;
  readonly servicePort?: number;
  readonly protocol?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** One app definition, as `/v2/apps` returns it (tasks only with `embed=apps.tasks`). */
export interface MarathonApp {
  readonly id: string;
  readonly instances?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly healthChecks?: readonly unknown[];
  readonly portDefinitions?: readonly MarathonPort[];
  readonly container?: {
    readonly type?: string;
    readonly portMappings?: readonly MarathonPort[] | null;
    readonly docker?: { readonly network?: string; readonly portMappings?: readonly MarathonPort[] | null } | null;
  } | null;
  /** Set (non-null) for IP-per-task apps in the Marathon 1.4 format. */
  readonly ipAddress?: {
    readonly networkName?: string;
    readonly discovery?: { readonly ports?: readonly MarathonPort[] };
  } | null;
  /** Marathon 1.5+ networking: a `container` mode means IP-per-task. */
  readonly networks?: readonly { readonly mode?: string; readonly name?: string }[];
  readonly version?: string;
  readonly tasks?: readonly MarathonTask[];
}

/** An event bus document: every event has an `eventType`; the rest depends on the type. */
export interface MarathonEvent {
  readonly eventType: string;
  readonly timestamp?: string;
  readonly [field: string]: unknown;
}
