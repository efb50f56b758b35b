/**
 * The projection of one Marathon app and its tasks onto a {@link BackendSet}: only running tasks, only healthy
 * ones when the app has health checks, and for each the address and port chosen the way marathon-lb does —
 * `host` + `ports[i]` by default, the task's `ipAddresses` and the container port for IP-per-task apps. A port
 * is chosen by index or by name (looked up in `portDefinitions`, the container's port mappings, or the
 * IP-per-task discovery ports). Tasks that lack the chosen port or address are left out, never guessed, and
 * fields of the wrong type are treated as absent, so odd input never throws.
 */
import { type Backend, type BackendSet, ConfigError, normalizeBackendSet } from '@nitrox/core';
import type { MarathonApp, MarathonPort, MarathonTask } from './marathon-types.js';

/** How a task's address is chosen. */
export type AddressMode = 'auto' | 'host' | 'ip';

/** How health check results gate a task. */
export type HealthPolicy = 'all' | 'any' | 'ignore';

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
  /** The pool name of an app. @defaultValue the app id */
  readonly name?: (app: MarathonApp) => string;
}

/** The defaults of {@link ProjectionOptions}. */
export const projectionDefaults = {
  port: 0,
  addressMode: 'auto',
  health: 'all',
} as const satisfies ProjectionOptions;

/** Validated projection options. */
export interface ResolvedProjectionOptions {
  readonly port: number | string;
  readonly addressMode: AddressMode;
  readonly health: HealthPolicy;
  readonly name: (app: MarathonApp) => string;
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
  const name = options.name ?? ((app: MarathonApp) => app.id);
  if (typeof name !== 'function') throw new ConfigError(at('name'), 'must be a function');
  return { port, addressMode, health, name };
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

/** True when the task counts as running (Mesos `TASK_RUNNING`). */
export function isRunning(task: MarathonTask): boolean {
  return task.state === undefined ? typeof task.startedAt === 'string' : task.state === 'TASK_RUNNING';
}

function isHealthy(app: MarathonApp, task: MarathonTask, policy: HealthPolicy): boolean {
  if (policy === 'ignore' || (app.healthChecks?.length ?? 0) === 0) return true;
  const results = Array.isArray(task.healthCheckResults) ? task.healthCheckResults : [];
  if (results.length === 0) return false;
  return policy === 'all' ? results.every((r) => r?.alive === true) : results.some((r) => r?.alive === true);
}

function memberOf(app: MarathonApp, task: MarathonTask, options: ResolvedProjectionOptions): Backend | undefined {
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
  return { address: task.host, port };
}

/**
 * Project one app and its tasks onto its backend pool (normalized: de-duplicated and sorted).
 *
 * @example
 * ```ts
 * projectApp(app, app.tasks ?? [], resolveProjectionOptions({ port: 'http' }));
 * ```
 */
export function projectApp(app: MarathonApp, tasks: readonly MarathonTask[], options: ResolvedProjectionOptions): BackendSet {
  const members: Backend[] = [];
  for (const task of tasks) {
    if (typeof task !== 'object' || task === null) continue;
    if (!isRunning(task) || !isHealthy(app, task, options.health)) continue;
    const member = memberOf(app, task, options);
    if (member !== undefined) members.push(member);
  }
  return normalizeBackendSet({ name: options.name(app), members });
}
