/**
 * Options of {@link NetScalerSink}, their defaults and eager validation (a `ConfigError` naming the option).
 * The defaults are the safe ones: ownership by a comment marker, no removal on an empty desired set, TLS
 * verified, HTTP servicegroups named after the application.
 */
import { type Clock, ConfigError, systemClock } from '@nitrox/core';
import { type NitroLogger, silentLogger } from './logger.js';
import { boundByIp, type ObservedMember } from './member-plan.js';
import type { BindMethod } from './member-writer.js';
import { NitroClient } from './nitro-client.js';
import type { NitroClientOptions } from './nitro-client-options.js';

/** When removals become allowed after start-up. */
export type StartupGuard = 'first-apply' | 'ready';

/** Options of a {@link NetScalerSink}. */
export interface NetScalerSinkOptions {
  /** A client to use (the sink does not close it), or options to create one (the sink closes it on `stop`). */
  readonly client: NitroClient | NitroClientOptions;
  /**
   * The administrator's lbvserver each servicegroup is bound to: one name for every application, or a
   * function of the key (`undefined`: do not bind). Nitrox never creates, changes or deletes an lbvserver.
   */
  readonly lbvserver: string | ((key: string) => string | undefined);
  /**
   * Create a missing lbvserver with these attributes (e.g. `{ servicetype: 'HTTP', ipv46: '10.0.0.10', port: 80 }`).
   * Without it a missing lbvserver is an error. Nitrox only ever creates it: it never changes or deletes one.
   * @defaultValue undefined (never create)
   */
  readonly createLbvserver?: Readonly<Record<string, string | number>>;
  /** Prefix of servicegroup names. @defaultValue `''` */
  readonly servicegroupPrefix?: string;
  /**
   * Servicegroup name of an application.
   * @defaultValue prefix + key, characters NetScaler refuses replaced by `_`, cut to 127
   */
  readonly servicegroupName?: (key: string) => string;
  /** `servicetype` of created servicegroups. @defaultValue `'HTTP'` */
  readonly servicetype?: string;
  /**
   * Comment written on the servicegroups Nitrox creates; a servicegroup carrying it is Nitrox's.
   * @defaultValue `'managed-by=nitrox'`
   */
  readonly ownerComment?: string;
  /**
   * Also own servicegroups whose name starts with `servicegroupPrefix` (requires a non-empty prefix).
   * @defaultValue false
   */
  readonly ownByPrefix?: boolean;
  /**
   * Whether a member is Nitrox's. Foreign members are never removed or re-weighted.
   * @defaultValue members bound by IP (server named after its IP), which is how Nitrox binds
   */
  readonly isOwnedMember?: (member: ObservedMember) => boolean;
  /**
   * Let an empty desired set (or a deleted application) remove every owned member. Off, an empty set
   * changes nothing: a source that suddenly returns nothing cannot wipe a pool.
   * @defaultValue false
   */
  readonly allowEmpty?: boolean;
  /**
   * `first-apply`: an application's members may be removed once the sink has received a desired set for it
   * (until then `apply(key, undefined)` is observe-only). `ready`: no removal at all until `markReady()` is
   * called (e.g. after every source has synced; adds and weight changes go ahead), and from then on
   * `apply(key, undefined)` of an application never seen is trusted as a deletion (still subject to `allowEmpty`).
   * @defaultValue `'first-apply'`
   */
  readonly startupGuard?: StartupGuard;
  /**
   * Unbind members gracefully, letting their connections drain. NITRO's unbind takes no graceful argument
   * (`graceful`/`delay` of a member binding are read-only; they belong to `disable serviceGroup`), so this
   * sets `autodisablegraceful: YES` on the servicegroup: on creation, and on an existing Nitrox servicegroup
   * when its ownership is verified. Unbinds then drain the member before it goes.
   * @defaultValue false
   */
  readonly graceful?: boolean;
  /**
   * With `graceful`, the longest drain in seconds (`autodisabledelay` of the servicegroup).
   * @defaultValue none (drain until the connections close)
   */
  readonly gracefulDelaySeconds?: number;
  /**
   * Unbind surplus members in bulk: one `POST servicegroup_servicegroupmember_binding?action=unbind` per
   * `bulkSize` members, as the official NITRO SDKs do for a bulk delete of a binding. Off, each removal is
   * one `DELETE …?args=servername:…,port:…` (for firmware that refuses the bulk form).
   * @defaultValue true
   */
  readonly bulkUnbind?: boolean;
  /**
   * How members are added. `put`: `PUT servicegroup_servicegroupmember_binding` — an array of up to
   * `bulkSize` members with `X-NITRO-ONERROR: continue`, one object for a single member — the form of the
   * NITRO docs (binding add = PUT) and the NITRO Python SDK; if the appliance refuses the array as a whole,
   * each member is sent alone and later adds go one request each. `post`: one `POST` of one object per
   * member, the form adc-nitro-go and the Terraform provider send, for appliances that refuse `PUT`.
   * The lbvserver binding follows the same method (one object). Which client sends what: docs/netscaler.md.
   * @defaultValue `'put'`
   */
  readonly bindMethod?: BindMethod;
  /** Most records per bulk request. @defaultValue 100 */
  readonly bulkSize?: number;
  /**
   * Weight of a member that names none (NetScaler's default). A desired member whose weight is not an
   * integer from 1 to 100 is refused before sending (a non-retryable `invalid-weight` failure).
   * @defaultValue 1
   */
  readonly defaultWeight?: number;
  /**
   * How long a confirmed servicegroup ownership and lbvserver binding are trusted before `apply` reads
   * them again, in milliseconds (0: every apply). Members are read on every apply regardless.
   * @defaultValue 300000
   */
  readonly verifyIntervalMs?: number;
  /** @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** @defaultValue a silent logger */
  readonly logger?: NitroLogger;
}

/** Default values of the optional {@link NetScalerSinkOptions}. */
export const netScalerSinkDefaults = {
  servicegroupPrefix: '',
  servicetype: 'HTTP',
  ownerComment: 'managed-by=nitrox',
  ownByPrefix: false,
  allowEmpty: false,
  startupGuard: 'first-apply' as StartupGuard,
  graceful: false,
  bulkUnbind: true,
  bindMethod: 'put' as BindMethod,
  bulkSize: 100,
  defaultWeight: 1,
  verifyIntervalMs: 300_000,
} as const;

/** Validated sink options. */
export interface ResolvedSinkOptions {
  readonly client: NitroClient;
  readonly ownsClient: boolean;
  readonly lbvserver: (key: string) => string | undefined;
  readonly createLbvserver: Readonly<Record<string, string | number>> | undefined;
  readonly servicegroupPrefix: string;
  readonly servicegroupName: (key: string) => string;
  readonly servicetype: string;
  readonly ownerComment: string;
  readonly ownByPrefix: boolean;
  readonly isOwnedMember: (member: ObservedMember) => boolean;
  readonly allowEmpty: boolean;
  readonly startupGuard: StartupGuard;
  readonly graceful: boolean;
  readonly gracefulDelaySeconds: number | undefined;
  readonly bulkUnbind: boolean;
  readonly bindMethod: BindMethod;
  readonly bulkSize: number;
  readonly defaultWeight: number;
  readonly verifyIntervalMs: number;
  readonly clock: Clock;
  readonly logger: NitroLogger;
}

const allowedName = /[^A-Za-z0-9_#.:@= -]/g;

/** The default servicegroup name: `prefix + key`, refused characters replaced by `_`, at most 127. */
export function defaultServicegroupName(prefix: string, key: string): string {
  let name = `${prefix}${key}`.replace(allowedName, '_');
  if (!/^[A-Za-z0-9_]/.test(name)) name = `_${name}`;
  return name.slice(0, 127);
}

function int(path: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(path, `must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function bool(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(path, 'must be a boolean');
  return value;
}

/**
 * Validate sink options and apply defaults.
 * @throws ConfigError naming the first invalid option.
 */
export function resolveSinkOptions(options: NetScalerSinkOptions): ResolvedSinkOptions {
  const d = netScalerSinkDefaults;
  if (options.client === undefined || options.client === null) throw new ConfigError('client', 'is required');
  const ownsClient = !(options.client instanceof NitroClient);
  const { lbvserver } = options;
  if (typeof lbvserver === 'string') {
    if (lbvserver === '') throw new ConfigError('lbvserver', 'must be a non-empty name');
  } else if (typeof lbvserver !== 'function') {
    throw new ConfigError('lbvserver', 'must be a name or a function of the key');
  }
  const prefix = options.servicegroupPrefix ?? d.servicegroupPrefix;
  if (typeof prefix !== 'string') throw new ConfigError('servicegroupPrefix', 'must be a string');
  const ownByPrefix = bool('ownByPrefix', options.ownByPrefix ?? d.ownByPrefix);
  if (ownByPrefix && prefix === '') throw new ConfigError('ownByPrefix', 'requires a non-empty servicegroupPrefix');
  const ownerComment = options.ownerComment ?? d.ownerComment;
  if (typeof ownerComment !== 'string' || ownerComment === '') {
    throw new ConfigError('ownerComment', 'must be a non-empty string');
  }
  const servicetype = options.servicetype ?? d.servicetype;
  if (typeof servicetype !== 'string' || !/^[A-Z0-9_]+$/.test(servicetype)) {
    throw new ConfigError('servicetype', 'must be a NetScaler service type such as HTTP, TCP or SSL');
  }
  const startupGuard = options.startupGuard ?? d.startupGuard;
  if (startupGuard !== 'first-apply' && startupGuard !== 'ready') {
    throw new ConfigError('startupGuard', 'must be "first-apply" or "ready"');
  }
  const create = options.createLbvserver;
  if (create !== undefined && (typeof create !== 'object' || create === null || 'name' in create)) {
    throw new ConfigError('createLbvserver', 'must be an attribute object without a name (the name comes from lbvserver)');
  }
  const bindMethod = options.bindMethod ?? d.bindMethod;
  if (bindMethod !== 'put' && bindMethod !== 'post') throw new ConfigError('bindMethod', 'must be "put" or "post"');
  const delay = options.gracefulDelaySeconds;
  if (delay !== undefined) int('gracefulDelaySeconds', delay, 0);
  const client = options.client instanceof NitroClient ? options.client : createClient(options);
  return {
    client,
    ownsClient,
    lbvserver: typeof lbvserver === 'string' ? () => lbvserver : lbvserver,
    createLbvserver: create,
    servicegroupPrefix: prefix,
    servicegroupName: options.servicegroupName ?? ((key) => defaultServicegroupName(prefix, key)),
    servicetype,
    ownerComment,
    ownByPrefix,
    isOwnedMember: options.isOwnedMember ?? boundByIp,
    allowEmpty: bool('allowEmpty', options.allowEmpty ?? d.allowEmpty),
    startupGuard,
    graceful: bool('graceful', options.graceful ?? d.graceful),
    gracefulDelaySeconds: delay,
    bulkUnbind: bool('bulkUnbind', options.bulkUnbind ?? d.bulkUnbind),
    bindMethod,
    bulkSize: int('bulkSize', options.bulkSize ?? d.bulkSize, 1, 10_000),
    defaultWeight: int('defaultWeight', options.defaultWeight ?? d.defaultWeight, 1, 100),
    verifyIntervalMs: int('verifyIntervalMs', options.verifyIntervalMs ?? d.verifyIntervalMs, 0),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
  };
}

function createClient(options: NetScalerSinkOptions): NitroClient {
  const clientOptions = options.client as NitroClientOptions;
  try {
    return new NitroClient({
      ...clientOptions,
      ...(clientOptions.logger === undefined && options.logger !== undefined ? { logger: options.logger } : {}),
      ...(clientOptions.clock === undefined && options.clock !== undefined ? { clock: options.clock } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`client.${error.path}`, error.message.replace(`${error.path}: `, ''));
    throw error;
  }
}
