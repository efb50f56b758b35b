/**
 * `NetScalerSink`: keeps one servicegroup per application equal to its desired `BackendSet`, the original
 * Nitrox contract. `apply` reads the members, then adds only the missing (in the forms of {@link MemberWriter}),
 * changes weights in place (bulk), and removes only the surplus it owns; equal sets make zero writes. The
 * servicegroup is created (with the owner comment) and bound to the administrator's lbvserver when missing.
 * Desired members NetScaler cannot take (host names, weights outside 1–100) are refused before sending.
 * Safety: a servicegroup without Nitrox's marker is never changed; foreign members are never touched; no
 * removal happens before the sink has received a desired set for the application (nor before `markReady()`
 * with `startupGuard: 'ready'`); an empty desired set — or one with no valid member — removes nothing unless
 * `allowEmpty`.
 */
import { type ApplyResult, type Backend, type BackendSet, backendKey, normalizeBackendSet, type Sink, SinkError } from '@nitrox/core';
import { type MemberFailure, NetScalerApplyError, NitroError } from './errors.js';
import { canonicalAddress, type ObservedMember, planMembers } from './member-plan.js';
import { rejectedMember, rejectionOf } from './member-validation.js';
import { MemberWriter } from './member-writer.js';
import type { NitroClient } from './nitro-client.js';
import { NitroErrorCode, type ServicegroupMemberRecord, type ServicegroupRecord } from './nitro-types.js';
import { type NetScalerSinkOptions, type ResolvedSinkOptions, resolveSinkOptions } from './sink-options.js';

const MEMBER = 'servicegroup_servicegroupmember_binding';
const VSERVER_BINDING = 'lbvserver_servicegroup_binding';

/** Counters of a sink since creation. */
export interface NetScalerSinkStats {
  readonly applies: number;
  readonly writes: number;
  readonly added: number;
  readonly updated: number;
  readonly removed: number;
  /** Removals withheld by the start-up guard. */
  readonly guardedStartup: number;
  /** Applies of an empty desired set ignored because `allowEmpty` is off. */
  readonly guardedEmpty: number;
  /** Member changes that failed (rejected ones included). */
  readonly failures: number;
  /**
   * Desired members refused before sending: an address that is not an IP, a weight outside 1–100, an add
   * the appliance answered "already exists" to without listing the member (see `MemberFailure.reason`).
   */
  readonly rejected: number;
}

interface KeyState {
  known: boolean;
  verifiedAt: number | undefined;
  /** `address:port` of adds answered 273 though the member was not listed (an IP another server holds?). */
  conflicts: Set<string>;
}

const ipConflict = {
  reason: 'ip-conflict',
  message:
    'the appliance answered "Resource already exists" to this add but does not list the member; another server probably holds this IP (retried at the next ownership check)',
} as const;

const memberKey = (b: Pick<Backend, 'address' | 'port'>): string => backendKey({ address: canonicalAddress(b.address), port: b.port });

const zero: ApplyResult = { added: 0, updated: 0, removed: 0, writes: 0 };

function toObserved(record: ServicegroupMemberRecord): ObservedMember {
  const ip = String(record.ip ?? record.servername ?? '');
  return {
    ip,
    servername: String(record.servername ?? ip),
    port: Number(record.port),
    weight: Number(record.weight ?? 1),
    state: typeof record.state === 'string' ? record.state : undefined,
  };
}

/**
 * A `Sink<BackendSet>` for NetScaler: one servicegroup per application, bound to an lbvserver.
 *
 * @example
 * ```ts
 * const sink = new NetScalerSink({
 *   client: { url: 'https://ns.example.com', username: 'nitrox', password: process.env.NS_PASSWORD ?? '' },
 *   lbvserver: 'vs-web',
 * });
 * await sink.start();
 * await sink.apply('web', { name: 'web', members: [{ address: '10.0.0.1', port: 8080 }] });
 * await sink.stop();
 * ```
 */
export class NetScalerSink implements Sink<BackendSet> {
  readonly #o: ResolvedSinkOptions;
  readonly #keys = new Map<string, KeyState>();
  readonly #locks = new Map<string, Promise<unknown>>();
  #ready = false;
  readonly #writer: MemberWriter;
  #stats = { applies: 0, writes: 0, added: 0, updated: 0, removed: 0, guardedStartup: 0, guardedEmpty: 0, failures: 0, rejected: 0 };

  /** @throws ConfigError when an option is invalid. Does no I/O. */
  constructor(options: NetScalerSinkOptions) {
    this.#o = resolveSinkOptions(options);
    const { client, bindMethod, bulkSize, bulkUnbind, defaultWeight, logger } = this.#o;
    this.#writer = new MemberWriter({ client, bindMethod, bulkSize, bulkUnbind, defaultWeight, logger });
  }

  /** The NITRO client in use. */
  get client(): NitroClient {
    return this.#o.client;
  }

  /** Counters since creation. */
  get stats(): NetScalerSinkStats {
    return { ...this.#stats };
  }

  /** Whether `markReady()` was called. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Log in (fails fast on bad credentials or an unreachable appliance). */
  async start(signal?: AbortSignal): Promise<void> {
    await this.#o.client.login(signal);
  }

  /** Log out and close connections, when the sink created its client. */
  async stop(): Promise<void> {
    if (this.#o.ownsClient) await this.#o.client.close();
  }

  /** Every source has delivered its complete state: removals are allowed (with `startupGuard: 'ready'`). */
  markReady(): void {
    this.#ready = true;
  }

  /** The servicegroup name used for `key`. */
  servicegroupName(key: string): string {
    return this.#o.servicegroupName(key);
  }

  /**
   * The members Nitrox owns in the application's servicegroup, or `undefined` when the servicegroup does not
   * exist or is not Nitrox's. Foreign members are left out.
   */
  async observe(key: string, signal?: AbortSignal): Promise<BackendSet | undefined> {
    const sg = this.#o.servicegroupName(key);
    const records = await this.#o.client.tryGet<ServicegroupMemberRecord>(MEMBER, { name: sg, ...(signal ? { signal } : {}) });
    if (records === undefined) return undefined;
    if (!(await this.#isOwnedGroup(sg, signal))) return undefined;
    const members: Backend[] = records
      .map(toObserved)
      .filter((m) => this.#o.isOwnedMember(m))
      .map((m) => ({ address: m.ip, port: m.port, weight: m.weight }));
    return normalizeBackendSet({ name: key, members });
  }

  /**
   * Make the application's servicegroup hold exactly `desired` (see the class comment for the guards).
   * @throws NetScalerApplyError listing the members that could not be changed (the rest were);
   *   NitroError when the appliance cannot be read; SinkError when the servicegroup is not Nitrox's or the
   *   lbvserver does not exist.
   */
  apply(key: string, desired: BackendSet | undefined, signal?: AbortSignal): Promise<ApplyResult> {
    // One apply per key at a time (a controller guarantees it; direct callers get it too).
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => this.#apply(key, desired, signal),
      () => this.#apply(key, desired, signal),
    );
    this.#locks.set(key, run);
    void run.then(
      () => this.#locks.get(key) === run && this.#locks.delete(key),
      () => this.#locks.get(key) === run && this.#locks.delete(key),
    );
    return run;
  }

  async #apply(key: string, desired: BackendSet | undefined, signal?: AbortSignal): Promise<ApplyResult> {
    const o = this.#o;
    this.#stats.applies++;
    const state = this.#keys.get(key) ?? { known: false, verifiedAt: undefined, conflicts: new Set<string>() };
    this.#keys.set(key, state);
    const sg = o.servicegroupName(key);
    if (desired === undefined && !state.known && !(o.startupGuard === 'ready' && this.#ready)) {
      // Start-up guard: nothing says this application is gone rather than not yet known.
      this.#stats.guardedStartup++;
      o.logger.info({ key, servicegroup: sg }, 'no desired state known yet; leaving servicegroup as it is');
      return zero;
    }
    if (desired !== undefined) state.known = true;
    const wanted = desired === undefined ? [] : desired.members;
    if (wanted.length === 0 && !o.allowEmpty) {
      this.#stats.guardedEmpty++;
      o.logger.warn({ key, servicegroup: sg }, 'empty desired set ignored (allowEmpty is off)');
      return zero;
    }
    let writes = 0;
    let verified = false;
    const opts = signal ? { signal } : {};
    let records = await o.client.tryGet<ServicegroupMemberRecord>(MEMBER, { name: sg, ...opts });
    if (records === undefined) {
      if (desired === undefined) return zero;
      writes += await this.#create(key, sg, signal);
      state.verifiedAt = o.clock.now();
      verified = true;
      records = [];
    } else if (state.verifiedAt === undefined || o.clock.now() - state.verifiedAt >= o.verifyIntervalMs || o.verifyIntervalMs === 0) {
      verified = true;
      if (!(await this.#isOwnedGroup(sg, signal))) {
        throw new SinkError(
          `servicegroup ${sg} exists but is not Nitrox's (no comment "${o.ownerComment}"${o.ownByPrefix ? ` nor prefix "${o.servicegroupPrefix}"` : ''}); leaving it alone`,
          { retryable: false },
        );
      }
      writes += await this.#ensureGraceful(sg, signal);
      writes += await this.#ensureBinding(key, sg, signal);
      state.verifiedAt = o.clock.now();
    }
    if (verified) state.conflicts.clear(); // an add refused as existing is tried again once per verification
    const plan = planMembers(wanted, records.map(toObserved), { defaultWeight: o.defaultWeight, isOwned: o.isOwnedMember });
    const failures: MemberFailure[] = [];
    const writable = (operation: MemberFailure['operation'], member: Backend): boolean => {
      const rejection = rejectionOf(member, o.defaultWeight);
      if (rejection !== undefined) failures.push(rejectedMember(operation, member, rejection));
      else if (operation === 'add' && state.conflicts.has(memberKey(member))) failures.push(rejectedMember(operation, member, ipConflict));
      else return true;
      return false;
    };
    const add = plan.add.filter((b) => writable('add', b));
    const update = plan.update.filter((u) => writable('update', { address: u.member.ip, port: u.member.port, weight: u.weight }));
    const rejected = failures.length;
    let remove = plan.remove;
    if (remove.length > 0 && !o.allowEmpty && wanted.every((b) => rejectionOf(b, o.defaultWeight) !== undefined)) {
      // Nothing desired can be written (host names, bad weights): like an empty set, this wipes nothing.
      this.#stats.guardedEmpty++;
      o.logger.warn({ key, servicegroup: sg, withheld: remove.length }, 'no desired member is valid; removals withheld (allowEmpty is off)');
      remove = [];
    }
    if (remove.length > 0 && o.startupGuard === 'ready' && !this.#ready) {
      this.#stats.guardedStartup += remove.length;
      o.logger.info({ key, servicegroup: sg, withheld: remove.length }, 'removals withheld until the sink is ready');
      remove = [];
    }
    if (remove.length > 0 && !verified && !(await this.#isOwnedGroup(sg, signal))) {
      // Ownership was confirmed by an earlier pass (verifyIntervalMs); a removal needs it confirmed now.
      state.verifiedAt = undefined;
      throw new SinkError(`servicegroup ${sg} is no longer Nitrox's; nothing changed`, { retryable: false });
    }
    const added = await this.#writer.add(sg, add, signal);
    for (const member of added.existing) state.conflicts.add(memberKey(member));
    const updated = await this.#writer.update(sg, update, signal);
    const removed = await this.#writer.remove(sg, remove, signal);
    failures.push(...added.failures, ...updated.failures, ...removed.failures);
    writes += added.writes + updated.writes + removed.writes;
    const result: ApplyResult = { added: added.done, updated: updated.done, removed: removed.done, writes };
    this.#count(result, failures.length, rejected);
    if (failures.length > 0) {
      o.logger.warn({ key, servicegroup: sg, failed: failures.length, rejected, ...result }, 'some member changes failed');
      throw new NetScalerApplyError(sg, failures, result);
    }
    if (writes > 0) o.logger.info({ key, servicegroup: sg, ...result }, 'servicegroup converged');
    return result;
  }

  #count(result: ApplyResult, failures: number, rejected: number): void {
    this.#stats.rejected += rejected;
    this.#stats.writes += result.writes;
    this.#stats.added += result.added;
    this.#stats.updated += result.updated;
    this.#stats.removed += result.removed;
    this.#stats.failures += failures;
  }

  async #isOwnedGroup(sg: string, signal?: AbortSignal): Promise<boolean> {
    const o = this.#o;
    if (o.ownByPrefix && sg.startsWith(o.servicegroupPrefix)) return true;
    const groups = await o.client.tryGet<ServicegroupRecord>('servicegroup', { name: sg, attrs: ['servicegroupname', 'comment'], ...(signal ? { signal } : {}) });
    return groups?.[0]?.comment === o.ownerComment;
  }

  /** The servicegroup attributes that make unbinds graceful (empty when `graceful` is off). */
  #gracefulAttrs(): Record<string, string | number> {
    const o = this.#o;
    if (!o.graceful) return {};
    return { autodisablegraceful: 'YES', ...(o.gracefulDelaySeconds === undefined ? {} : { autodisabledelay: o.gracefulDelaySeconds }) };
  }

  /** With `graceful`, turn graceful unbind on in an existing servicegroup where it is off; returns the writes made. */
  async #ensureGraceful(sg: string, signal?: AbortSignal): Promise<number> {
    const want = this.#gracefulAttrs();
    if (Object.keys(want).length === 0) return 0;
    const attrs = ['servicegroupname', ...Object.keys(want)];
    const groups = await this.#o.client.tryGet('servicegroup', { name: sg, attrs, ...(signal ? { signal } : {}) });
    const have = groups?.[0] ?? {};
    if (Object.entries(want).every(([k, v]) => String(have[k] ?? '') === String(v))) return 0;
    await this.#o.client.update('servicegroup', { servicegroupname: sg, ...want }, signal);
    return 1;
  }

  /** Create the servicegroup with the owner marker and bind it; returns the writes made. */
  async #create(key: string, sg: string, signal?: AbortSignal): Promise<number> {
    const o = this.#o;
    try {
      const record = { servicegroupname: sg, servicetype: o.servicetype, comment: o.ownerComment, ...this.#gracefulAttrs() };
      await o.client.add('servicegroup', record, signal);
    } catch (error) {
      // Created meanwhile by someone else: only go on if it is ours.
      if (!(error instanceof NitroError && error.errorcode === NitroErrorCode.alreadyExists)) throw error;
      if (!(await this.#isOwnedGroup(sg, signal))) throw new SinkError(`servicegroup ${sg} exists but is not Nitrox's; leaving it alone`, { retryable: false });
    }
    o.logger.info({ key, servicegroup: sg }, 'servicegroup created');
    const vs = o.lbvserver(key);
    if (vs === undefined) return 1;
    return 1 + (await this.#bind(vs, sg, signal));
  }

  /** Bind the servicegroup to its lbvserver when it is not bound; returns the writes made. */
  async #ensureBinding(key: string, sg: string, signal?: AbortSignal): Promise<number> {
    const vs = this.#o.lbvserver(key);
    if (vs === undefined) return 0;
    const bound = await this.#o.client.tryGet(VSERVER_BINDING, { name: vs, filter: { servicegroupname: sg }, ...(signal ? { signal } : {}) });
    if (bound?.some((b) => b.servicegroupname === sg)) return 0;
    return this.#bind(vs, sg, signal);
  }

  /** Bind; when the lbvserver is missing, create it if allowed, else fail. Returns the writes made. */
  async #bind(vs: string, sg: string, signal?: AbortSignal, created = false): Promise<number> {
    const o = this.#o;
    try {
      const binding = { name: vs, servicegroupname: sg };
      if (o.bindMethod === 'post') await o.client.add(VSERVER_BINDING, binding, signal);
      else await o.client.update(VSERVER_BINDING, binding, signal);
      return 1;
    } catch (error) {
      if (error instanceof NitroError && error.errorcode === NitroErrorCode.alreadyExists) return 1;
      if (!(error instanceof NitroError && error.errorcode === NitroErrorCode.noSuchResource)) throw error;
      if (o.createLbvserver === undefined || created) {
        throw new SinkError(`lbvserver ${vs} does not exist; Nitrox does not create it unless createLbvserver is set`, {
          retryable: true,
          peerCode: NitroErrorCode.noSuchResource,
        });
      }
    }
    try {
      await o.client.add('lbvserver', { ...o.createLbvserver, name: vs }, signal);
      o.logger.info({ lbvserver: vs }, 'lbvserver created (createLbvserver)');
    } catch (error) {
      if (!(error instanceof NitroError && error.errorcode === NitroErrorCode.alreadyExists)) throw error;
    }
    return 2 + (await this.#bind(vs, sg, signal, true));
  }
}
