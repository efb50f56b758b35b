/**
 * The swarm source's public surface besides the class: options, their defaults (with the reason for each),
 * the eager validation that turns a bad value into a {@link ConfigError} naming the option before any I/O
 * happens, and the events and counters it reports.
 */
import { type Clock, ConfigError, type NitroxError } from '@nitrox/core';
import type { EngineClient, EngineConnectionOptions } from './engine-client.js';
import { type ProjectionOptions, projectionDefaults } from './backend-projection.js';
import type { SwarmOutage } from './reachability.js';

/** Which services the source turns into backend sets. Both conditions must hold when both are given. */
export interface ServiceSelector {
  /** Only services with one of these names. */
  readonly names?: readonly string[];
  /** Only services carrying every one of these labels; `true` means "present, any value". */
  readonly labels?: Readonly<Record<string, string | true>>;
}

/** Options of `SwarmSource`. */
export interface SwarmSourceOptions extends ProjectionOptions {
  /** How to reach the manager's Engine API (ignored when `client` is given). @defaultValue docker-modem's defaults (`DOCKER_HOST` or `/var/run/docker.sock`) */
  readonly connection?: EngineConnectionOptions;
  /** A ready client (tests inject fakes through this). */
  readonly client?: Pick<EngineClient, 'services' | 'tasks' | 'nodes' | 'events'>;
  /** Which services to follow. @defaultValue every service */
  readonly select?: ServiceSelector;
  /** Follow the `/events` stream as interrupts; `false` = polling alone. @defaultValue true */
  readonly events?: boolean;
  /** Full poll period while the event stream is healthy (the safety net). @defaultValue 15_000 */
  readonly pollIntervalMs?: number;
  /** Full poll period while the event stream is down or disabled. @defaultValue 2_000 */
  readonly fallbackPollMs?: number;
  /** Jitter added to every poll delay, as a fraction of it. @defaultValue 0.1 */
  readonly pollJitter?: number;
  /** Quiet time that closes a burst of interrupts before the fetch. @defaultValue 50 */
  readonly debounceMs?: number;
  /** Longest an interrupt waits under constant churn. @defaultValue 500 */
  readonly maxWaitMs?: number;
  /** Follow-up fetch period of a service whose tasks are still converging. @defaultValue 250 */
  readonly settlePollMs?: number;
  /** Stop following an unsettled service after this long (the regular poll goes on). @defaultValue 120_000 */
  readonly settleTimeoutMs?: number;
  /**
   * Period of the task poll: one `GET /tasks` of the selected services' desired-running tasks, compared per
   * service by digest (a dead task on a worker produces no event on the manager: this is how it leaves the
   * pool within a second). The period grows with the cost of a read (a read never takes more than 5 % of the
   * time) and backs off while reads fail. 0 = off (dead tasks then wait for the full poll). @defaultValue 500
   */
  readonly taskPollMs?: number;
  /**
   * How long a node the manager reports as `unknown` (after a manager restart, before the node reconnects)
   * keeps the members it had when last `ready`; a node reported `down` loses them at once. 0 = no grace.
   * @defaultValue 60_000
   */
  readonly unknownNodeGraceMs?: number;
  /**
   * Reopen the event stream after this long without a line: the Engine sends no heartbeats, so a half-open
   * connection would otherwise go unnoticed (the poll keeps the sets correct meanwhile, only slower). 0 = never.
   * @defaultValue 300_000
   */
  readonly eventsIdleTimeoutMs?: number;
  /** Event stream reconnect backoff. @defaultValue core RetryBackoff defaults (800 ms doubling to 30 s, full jitter) */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number; readonly resetAfterMs?: number };
  /** Changes kept for `watch` replay. @defaultValue 1000 */
  readonly historyLimit?: number;
  /** Time source. @defaultValue systemClock */
  readonly clock?: Clock;
  /** Randomness in [0, 1) for jitter. @defaultValue Math.random */
  readonly random?: () => number;
}

/** Defaults of {@link SwarmSourceOptions}. */
export const swarmSourceDefaults = {
  ...projectionDefaults,
  events: true,
  /** Traefik's swarm provider polls every 15 s; events make anything faster unnecessary. */
  pollIntervalMs: 15_000,
  /** Without events, polling is the only signal: poll often, it costs three small requests. */
  fallbackPollMs: 2_000,
  pollJitter: 0.1,
  /** A scale or rolling update emits its events within a few ms of each other (12–25 ms apart, measured on the test bed). */
  debounceMs: 50,
  maxWaitMs: 500,
  /** Containers start 350–500 ms after the service update on an idle node. */
  settlePollMs: 250,
  settleTimeoutMs: 120_000,
  /** A dead task leaves the pool ≤ 0.55 s after the manager stops listing it; ~120 small requests a minute at idle. */
  taskPollMs: 500,
  /** Nodes came back from `unknown` 2–7 s after a manager restart on the test bed; a node really gone turns `down`. */
  unknownNodeGraceMs: 60_000,
  /** A quiet swarm then costs one reconnect and two full reads per 5 min, against 20 reads of the 15 s poll. */
  eventsIdleTimeoutMs: 300_000,
  historyLimit: 1000,
} as const;

/** Options after defaults and validation. */
export type ResolvedSwarmSourceOptions = Required<
  Omit<SwarmSourceOptions, 'connection' | 'client' | 'select' | 'backoff' | 'clock' | 'random' | 'defaultTargetPort'>
> &
  Pick<SwarmSourceOptions, 'connection' | 'client' | 'select' | 'backoff' | 'clock' | 'random' | 'defaultTargetPort'>;

/** Apply defaults and validate. @throws {@link ConfigError} naming the first bad option. */
export function resolveSwarmSourceOptions(options: SwarmSourceOptions): ResolvedSwarmSourceOptions {
  const o = { ...swarmSourceDefaults, ...definedOnly(options) } as ResolvedSwarmSourceOptions;
  const positive = (name: keyof SwarmSourceOptions, min = 1): void => {
    const value = o[name as keyof ResolvedSwarmSourceOptions];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw new ConfigError(name, `must be a finite number >= ${min}, got ${String(value)}`);
    }
  };
  positive('pollIntervalMs', 10);
  positive('fallbackPollMs', 10);
  positive('settlePollMs', 10);
  positive('settleTimeoutMs', 0);
  positive('debounceMs', 0);
  positive('maxWaitMs', 0);
  positive('historyLimit', 1);
  positive('eventsIdleTimeoutMs', 0);
  positive('unknownNodeGraceMs', 0);
  if (o.taskPollMs !== 0) positive('taskPollMs', 10);
  if (o.maxWaitMs < o.debounceMs) throw new ConfigError('maxWaitMs', `must be >= debounceMs (${o.debounceMs})`);
  if (!(o.pollJitter >= 0 && o.pollJitter <= 1)) throw new ConfigError('pollJitter', `must be between 0 and 1, got ${o.pollJitter}`);
  if (o.ingressNodes !== 'all' && o.ingressNodes !== 'running') throw new ConfigError('ingressNodes', `must be 'all' or 'running'`);
  if (o.defaultTargetPort !== undefined && !(Number.isInteger(o.defaultTargetPort) && o.defaultTargetPort > 0 && o.defaultTargetPort < 65536)) {
    throw new ConfigError('defaultTargetPort', `must be a port number, got ${String(o.defaultTargetPort)}`);
  }
  if (o.select?.names !== undefined && !o.select.names.every((n) => typeof n === 'string' && n.length > 0)) {
    throw new ConfigError('select.names', 'must be non-empty strings');
  }
  if (o.client !== undefined && o.connection !== undefined) throw new ConfigError('client', 'give either client or connection, not both');
  return o;
}

/** True when `labels`/`name` pass `selector`. */
export function selects(selector: ServiceSelector | undefined, name: string, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return true;
  if (selector.names !== undefined && !selector.names.includes(name)) return false;
  for (const [key, wanted] of Object.entries(selector.labels ?? {})) {
    const actual = labels[key];
    if (actual === undefined || (wanted !== true && actual !== wanted)) return false;
  }
  return true;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** One read of the swarm, as reported by the `pass` event. */
export interface SwarmPass {
  /**
   * `full`: services, tasks and nodes; `targeted`: some services (and maybe nodes, and the task poll along);
   * `tasks`: the task poll alone.
   */
  readonly kind: 'full' | 'targeted' | 'tasks';
  /** Engine API requests made. */
  readonly requests: number;
  /** Backend set keys that changed (written or deleted). */
  readonly changed: readonly string[];
}

/** Events of {@link SwarmSource}. */
export interface SwarmSourceEvents {
  /** A request, the event stream or an event line failed; the source carries on. */
  error: (error: NitroxError) => void;
  /** The first full read succeeded. */
  synced: () => void;
  pass: (pass: SwarmPass) => void;
  eventsConnected: () => void;
  eventsDisconnected: (reason: NitroxError) => void;
  /** A read failed after reads had succeeded: the Engine API is unreachable (or failing) from now on. */
  unreachable: (error: NitroxError) => void;
  /** A read succeeded after an outage: the Engine API is reachable again (log it). */
  reachable: (outage: SwarmOutage) => void;
  /**
   * A selected service publishes several TCP target ports and carries no port label: its set uses the first
   * (lowest); label the service (`nitrox.port=<target port or port name>`) to choose. Once per service version.
   */
  ambiguousPort: (service: string, targetPorts: number[]) => void;
}

/** Counters of {@link SwarmSource}. */
export interface SwarmSourceStats {
  readonly fullPasses: number;
  readonly targetedPasses: number;
  /** Passes that included the task poll. */
  readonly taskPasses: number;
  readonly requests: number;
  readonly events: number;
  readonly malformed: number;
  readonly eventConnects: number;
  readonly errors: number;
  /** Outages ended (a read succeeded after failed ones). */
  readonly outages: number;
}
