/**
 * Options of {@link HaproxySink}, their defaults and eager validation (a `ConfigError` naming the option).
 * Defaults are the safe ones: dynamic servers named `nitrox-…` (servers without the prefix are never
 * touched), no removal on an empty set, a bounded drain, a restart check every 200 ms (one short connection each).
 */
import { type Clock, ConfigError, systemClock } from '@nitrox/core';
import type { MemberMode } from './member-plan.js';
import { RuntimeApiClient, type RuntimeApiClientOptions } from './runtime-api-client.js';
import { ServerStateFile } from './server-state-file.js';
import { isSafeName } from './validation.js';

/** The structured logger the sink writes to (a pino-compatible subset). */
export interface HaproxyLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

const silent: HaproxyLogger = { info: () => {}, warn: () => {} };

/** Options of a {@link HaproxySink}. */
export interface HaproxySinkOptions {
  /** A client to use (the sink does not close it), or options to create one (closed by `stop`). */
  readonly client: RuntimeApiClient | RuntimeApiClientOptions;
  /** The administrator's backend of a pool (it must exist; `balance` dynamic in dynamic mode). @defaultValue the key */
  readonly backend?: string | ((key: string) => string);
  /**
   * `dynamic`: `add server`/`del server` (HAProxy ≥ 2.4 with a dynamic algorithm); `slots`: the backend's
   * `server-template <serverPrefix> N 0.0.0.0:0 disabled` slots, set with `set server … addr … port`.
   * @defaultValue `'dynamic'`
   */
  readonly mode?: MemberMode;
  /** Name prefix of the servers the sink adds (or of the template's slots). Others are never touched. @defaultValue `'nitrox-'` */
  readonly serverPrefix?: string;
  /** Weight of a member that names none (0–256). @defaultValue 1 (HAProxy's default) */
  readonly defaultWeight?: number;
  /** Add servers with `check` and start it with `enable health` (the backend's check settings apply). @defaultValue false */
  readonly check?: boolean;
  /** Let an empty desired set remove every owned server. @defaultValue false */
  readonly allowEmpty?: boolean;
  /**
   * Remove a member with `drain` → wait → `maint` → `del server` (3 commands). Off: `maint` → wait → `del server`
   * (2 commands): maintenance takes no new request and lets those in flight finish, but unlike drain it also
   * refuses requests that stick to the server (cookies, stick tables).
   * @defaultValue true
   */
  readonly drainFirst?: boolean;
  /** Longest wait for a drained server's sessions to end before it is forced out. @defaultValue 10_000 */
  readonly drainTimeoutMs?: number;
  /** How often sessions are read while draining. @defaultValue 50 */
  readonly drainPollMs?: number;
  /** How often `show info` is read to notice a reload or restart (0: only at applies); a reload leaves dynamic servers out for about this long. @defaultValue 200 */
  readonly restartCheckIntervalMs?: number;
  /**
   * Slot mode only: a server-state file (a path, or one shared with other sinks) that the sink rewrites after
   * every change, so that a reload restores the members before the new worker takes traffic. HAProxy must load
   * it (`server-state-file` + `load-server-state-from-file`), and the slots must be declared with a host name
   * and `init-addr last,<ip>` for the address to come back. Sinks writing one file must share one instance (two
   * instances on one path each drop the other's backends). @defaultValue none
   */
  readonly stateFile?: string | ServerStateFile;
  /** Time source. @defaultValue the system clock */
  readonly clock?: Clock;
  /** Logger. @defaultValue silent */
  readonly logger?: HaproxyLogger;
}

/** Defaults of {@link HaproxySinkOptions}. */
export const haproxySinkDefaults = {
  mode: 'dynamic' as MemberMode,
  serverPrefix: 'nitrox-',
  defaultWeight: 1,
  check: false,
  allowEmpty: false,
  drainFirst: true,
  drainTimeoutMs: 10_000,
  drainPollMs: 50,
  restartCheckIntervalMs: 200,
} as const;

/** Options with every default filled in. */
export interface ResolvedHaproxySinkOptions {
  readonly client: RuntimeApiClient;
  readonly ownsClient: boolean;
  readonly backend: (key: string) => string;
  readonly mode: MemberMode;
  readonly serverPrefix: string;
  readonly defaultWeight: number;
  readonly check: boolean;
  readonly allowEmpty: boolean;
  readonly drainFirst: boolean;
  readonly drainTimeoutMs: number;
  readonly drainPollMs: number;
  readonly restartCheckIntervalMs: number;
  readonly stateFile: ServerStateFile | undefined;
  readonly clock: Clock;
  readonly logger: HaproxyLogger;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(name, `expected a non-negative number, got ${value}`);
  return value;
}

/**
 * Fill in defaults and validate.
 * @throws ConfigError naming the first bad option
 */
export function resolveHaproxySinkOptions(options: HaproxySinkOptions): ResolvedHaproxySinkOptions {
  const d = haproxySinkDefaults;
  const serverPrefix = options.serverPrefix ?? d.serverPrefix;
  if (!/^[A-Za-z0-9_.-]{1,20}$/.test(serverPrefix)) throw new ConfigError('serverPrefix', 'expected 1–20 letters, digits, ".", "_" or "-"');
  const defaultWeight = options.defaultWeight ?? d.defaultWeight;
  if (!Number.isInteger(defaultWeight) || defaultWeight < 0 || defaultWeight > 256) throw new ConfigError('defaultWeight', 'expected an integer 0–256');
  const mode = options.mode ?? d.mode;
  if (mode !== 'dynamic' && mode !== 'slots') throw new ConfigError('mode', 'expected "dynamic" or "slots"');
  const backend = options.backend;
  if (typeof backend === 'string' && !isSafeName(backend)) throw new ConfigError('backend', 'expected a backend name of letters, digits, ".", "_", ":" or "-"');
  const ownsClient = !(options.client instanceof RuntimeApiClient);
  const logger = options.logger ?? silent;
  const stateFile = options.stateFile;
  if (stateFile !== undefined && mode !== 'slots') throw new ConfigError('stateFile', 'needs mode "slots": HAProxy does not restore dynamic servers from a state file');
  if (stateFile === '') throw new ConfigError('stateFile', 'expected a file path');
  return {
    client: options.client instanceof RuntimeApiClient ? options.client : new RuntimeApiClient(options.client),
    ownsClient,
    backend: typeof backend === 'function' ? backend : (key) => backend ?? key,
    mode,
    serverPrefix,
    defaultWeight,
    check: options.check ?? d.check,
    allowEmpty: options.allowEmpty ?? d.allowEmpty,
    drainFirst: options.drainFirst ?? d.drainFirst,
    drainTimeoutMs: nonNegative('drainTimeoutMs', options.drainTimeoutMs ?? d.drainTimeoutMs),
    drainPollMs: nonNegative('drainPollMs', options.drainPollMs ?? d.drainPollMs) || 1,
    restartCheckIntervalMs: nonNegative('restartCheckIntervalMs', options.restartCheckIntervalMs ?? d.restartCheckIntervalMs),
    stateFile: typeof stateFile === 'string' ? new ServerStateFile(stateFile, logger) : stateFile,
    clock: options.clock ?? systemClock,
    logger,
  };
}
