/**
 * The projection of one Marathon app and its tasks onto a {@link BackendSet}: only running tasks, only healthy
 * ones when the app has health checks, and for each the address and port chosen the way marathon-lb does —
 * `host` + `ports[i]` by default, the task's `ipAddresses` and the container port for IP-per-task apps. A port
 * is chosen by index or by name (looked up in `portDefinitions`, the container's port mappings, or the
 * IP-per-task discovery ports). Tasks that lack the chosen port or address are left out, never guessed, and
 * fields of the wrong type are treated as absent, so odd input never throws.
 */
import { type Backend, type BackendSet, ConfigError, normalizeBackendSet } from '@nitrox/core';
import type { HealthMemory } from './health-memory.js';
import type { MarathonApp, MarathonPort, MarathonTask } from './marathon-types.js';

/** How a task's address is chosen. */
export type AddressMode = 'auto' | 'host' | 'ip';

/** How health check results gate a task. */
export type HealthPolicy = 'all' | 'any' | 'ignore';

/** What becomes of tasks in `TASK_UNREACHABLE` / `TASK_LOST` (the agent is cut off from the master). */
export type UnreachablePolicy = 'keep' | 'drop';

/** Options of {@link projectApp}. */
export interface ProjectionOptions {
  /** The port to use: an index into the task's ports, or a port name. @defaultValue `0` */
  readonly port?: number | string;
  /**
   * `host`: the agent host and the host port; `ip`: the task's first IPv4 (else first) address and the container
   * port; `auto`: `ip` for IP-per-task apps, `host` otherwise. @defaultValue `'auto'`
   */
  readonly addressMode?: AddressMode;
  /**
   * With health checks defined, `all` keeps a task only when it has results and every one is alive (Marathon's
   * own notion of healthy), `any` when at least one is alive (marathon-lb), `ignore` skips the check.
   * @defaultValue `'all'`
   */
  readonly health?: HealthPolicy;
  /**
   * Tasks in `TASK_UNREACHABLE` or `TASK_LOST`: `keep` routes to them (marathon-lb's choice: a partition between
   * the Mesos master and an agent says nothing about the path from the load balancer to the task, and the
   * task may well still serve; when it is really gone, the load balancer's own monitor takes it out, and
   * Marathon's replacement joins the pool when it runs); `drop` leaves them out at once.
   * @defaultValue `'keep'`
   */
  readonly unreachableTasks?: UnreachablePolicy;
  /** The pool name of an app. @defaultValue the app id */
  readonly name?: (app: MarathonApp) => string;
}

/** The defaults of {@link ProjectionOptions}. */
export const projectionDefaults = {
  port: 0,
  addressMode: 'auto',
  health: 'all',
  unreachableTasks: 'keep',
} as const satisfies ProjectionOptions;

/** Validated projection options. */
export interface ResolvedProjectionOptions {
  readonly port: number | string;
  readonly addressMode: AddressMode;
  readonly health: HealthPolicy;
  readonly unreachableTasks: UnreachablePolicy;
  readonly name: (app: MarathonApp) => string;
}

/** Per-source state a projection reads: host resolution, remembered health, and where to report left-out tasks. */
export interface ProjectionContext {
  /** The address of an agent host (an IP as is); an `Error` leaves the task out. @defaultValue the host as is */
  readonly hostAddress?: (host: string, taskId: string) => string | Error;
  /** Last known health of tasks, used when a task has no results yet (after a leader failover). */
  readonly health?: HealthMemory;
  /** Called for each task left out because its host could not be turned into an address. */
  readonly onUnresolved?: (error: Error) => void;
}

/**
 * Validate projection options and fill in the defaults.
 *
 * @throws {@link ConfigError} naming the offending option.
 */
export function resolveProjectionOptions(options: ProjectionOptions = {}, path = ''): ResolvedProjectionOptions {
  const at = (name: string): string => (path ? `${path}.${name}` : name);
  const port = options.port ?? projectionDefaults.port;
  if (typeof port === 'number' ? !Number.isInteger(port) || port < 0 : typeof port !== 'string' || port === '') {
    throw new ConfigError(at('port'), 'must be a non-negative integer index or a port name');
  }
  const addressMode = options.addressMode ?? projectionDefaults.addressMode;
  if (!['auto', 'host', 'ip'].includes(addressMode)) throw new ConfigError(at('addressMode'), "must be 'auto', 'host' or 'ip'");
  const health = options.health ?? projectionDefaults.health;
  if (!['all', 'any', 'ignore'].includes(health)) throw new ConfigError(at('health'), "must be 'all', 'any' or 'ignore'");
  const unreachableTasks = options.unreachableTasks ?? projectionDefaults.unreachableTasks;
  if (!['keep', 'drop'].includes(unreachableTasks)) throw new ConfigError(at('unreachableTasks'), "must be 'keep' or 'drop'");
  const name = options.name ?? ((app: MarathonApp) => app.id);
  if (typeof name !== 'function') throw new ConfigError(at('name'), 'must be a function');
  return { port, addressMode, health, unreachableTasks, name };
}

/** True for IP-per-task apps (a non-null `ipAddress`, or a `container` network mode). */
export function isIpPerTask(app: MarathonApp): boolean {
  if (typeof app.ipAddress === 'object' && app.ipAddress !== null) return true;
  return Array.isArray(app.networks) && app.networks.some((n) => n?.mode === 'container');
}

/** The port objects of a list, or `undefined` when it is absent or empty (so the next source is tried). */
function arrayOr(value: unknown): readonly MarathonPort[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const ports = value.filter((p) => typeof p === 'object' && p !== null) as MarathonPort[];
  return ports.length > 0 ? ports : undefined;
}

function portList(app: MarathonApp, ipMode: boolean): readonly MarathonPort[] {
  const mappings = arrayOr(app.container?.portMappings) ?? arrayOr(app.container?.docker?.portMappings);
  const definitions = arrayOr(app.portDefinitions);
  if (ipMode) return arrayOr(app.ipAddress?.discovery?.ports) ?? mappings ?? definitions ?? [];
  return definitions ?? mappings ?? [];
}

function portIndex(app: MarathonApp, port: number | string, ipMode: boolean): number | undefined {
  if (typeof port === 'number') return port;
  const index = portList(app, ipMode).findIndex((p) => p.name === port);
  return index >= 0 ? index : undefined;
}

function validPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65_536;
}

function containerPort(app: MarathonApp, index: number): number | undefined {
  const p = portList(app, true)[index];
  const value = p?.number ?? p?.containerPort ?? p?.port;
  return validPort(value) ? value : undefined;
}

/**
 * True when the task counts as running: Mesos `TASK_RUNNING`, and with `unreachable: 'keep'` also
 * `TASK_UNREACHABLE` and `TASK_LOST` (see {@link ProjectionOptions.unreachableTasks}).
 */
export function isRunning(task: MarathonTask, unreachable: UnreachablePolicy = 'drop'): boolean {
  if (task.state === undefined) return typeof task.startedAt === 'string';
  if (task.state === 'TASK_RUNNING') return true;
  return unreachable === 'keep' && (task.state === 'TASK_UNREACHABLE' || task.state === 'TASK_LOST');
}

function isHealthy(app: MarathonApp, task: MarathonTask, policy: HealthPolicy, memory: HealthMemory | undefined): boolean {
  if (policy === 'ignore' || (app.healthChecks?.length ?? 0) === 0) return true;
  const results = Array.isArray(task.healthCheckResults) ? task.healthCheckResults : [];
  // No results yet: a new task (not healthy), or a known task after a leader failover (as healthy as it was).
  if (results.length === 0) return memory?.recall(task.id) === true;
  const healthy = policy === 'all' ? results.every((r) => r?.alive === true) : results.some((r) => r?.alive === true);
  memory?.remember(task.id, healthy);
  return healthy;
}

function memberOf(
  app: MarathonApp,
  task: MarathonTask,
  options: ResolvedProjectionOptions,
  context: ProjectionContext,
): Backend | undefined {
  const ipMode = options.addressMode === 'ip' || (options.addressMode === 'auto' && isIpPerTask(app));
  const index = portIndex(app, options.port, ipMode);
  if (index === undefined) return undefined;
  if (ipMode) {
    const addresses = Array.isArray(task.ipAddresses) ? task.ipAddresses : [];
    const address = (addresses.find((a) => a?.protocol === 'IPv4') ?? addresses[0])?.ipAddress;
    const port = containerPort(app, index) ?? (Array.isArray(task.ports) ? task.ports[index] : undefined);
    if (typeof address !== 'string' || address === '' || !validPort(port)) return undefined;
    return { address, port };
  }
  const port = Array.isArray(task.ports) ? task.ports[index] : undefined;
  if (typeof task.host !== 'string' || task.host === '' || !validPort(port)) return undefined;
  const address = context.hostAddress === undefined ? task.host : context.hostAddress(task.host, String(task.id));
  if (typeof address !== 'string') {
    context.onUnresolved?.(address);
    return undefined;
  }
  return { address, port };
}

/**
 * Project one app and its tasks onto its backend pool (normalized: de-duplicated and sorted). `context` adds
 * hostname resolution and remembered health (the source passes its own); without it hosts are used as they are.
 *
 * @example
 * ```ts
 * projectApp(app, app.tasks ?? [], resolveProjectionOptions({ port: 'http' }));
 * ```
 */
export function projectApp(
  app: MarathonApp,
  tasks: readonly MarathonTask[],
  options: ResolvedProjectionOptions,
  context: ProjectionContext = {},
): BackendSet {
  const members: Backend[] = [];
  for (const task of tasks) {
    if (typeof task !== 'object' || task === null) continue;
    if (!isRunning(task, options.unreachableTasks) || !isHealthy(app, task, options.health, context.health)) continue;
    const member = memberOf(app, task, options, context);
    if (member !== undefined) members.push(member);
  }
  return normalizeBackendSet({ name: options.name(app), members });
}
