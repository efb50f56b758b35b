/**
 * `NetScalerSink`: keeps one servicegroup per application equal to its desired `BackendSet`, the original
 * Nitrox contract. `apply` reads the members, then adds only the missing (one bulk request per `bulkSize`),
 * changes weights in place (bulk), and removes only the surplus it owns; equal sets make zero writes. The
 * servicegroup is created (with the owner comment) and bound to the administrator's lbvserver when missing.
 * Safety: a servicegroup without Nitrox's marker is never changed; foreign members are never touched; no
 * removal happens before the sink has received a desired set for the application (nor before `markReady()`
 * with `startupGuard: 'ready'`); an empty desired set removes nothing unless `allowEmpty`.
 */
import { type ApplyResult, type Backend, type BackendSet, normalizeBackendSet, type Sink, SinkError } from '@nitrox/core';
import { type MemberFailure, NetScalerApplyError, NitroError } from './errors.js';
import { type ObservedMember, planMembers } from './member-plan.js';
import type { NitroClient } from './nitro-client.js';
import { NitroErrorCode, type NitroItemResult, type ServicegroupMemberRecord, type ServicegroupRecord } from './nitro-types.js';
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
  /** Member changes that failed. */
  readonly failures: number;
}

interface KeyState {
  known: boolean;
  verifiedAt: number | undefined;
}

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

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
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
  #stats = { applies: 0, writes: 0, added: 0, updated: 0, removed: 0, guardedStartup: 0, guardedEmpty: 0, failures: 0 };

  /** @throws ConfigError when an option is invalid. Does no I/O. */
  constructor(options: NetScalerSinkOptions) {
    this.#o = resolveSinkOptions(options);
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
    const state = this.#keys.get(key) ?? { known: false, verifiedAt: undefined };
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
    const plan = planMembers(wanted, records.map(toObserved), { defaultWeight: o.defaultWeight, isOwned: o.isOwnedMember });
    let remove = plan.remove;
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
    const failures: MemberFailure[] = [];
    let added = 0;
    let updated = 0;
    let removed = 0;
    for (const chunk of chunks(plan.add, o.bulkSize)) {
      const body = chunk.map((b) => ({ servicegroupname: sg, ip: b.address, port: b.port, weight: b.weight ?? o.defaultWeight }));
      writes++;
      const results = await this.#bulk('POST', MEMBER, body, signal);
      chunk.forEach((member, i) => {
        const r = results[i] as NitroItemResult;
        if (r.errorcode === 0) added++;
        else if (r.errorcode !== NitroErrorCode.alreadyExists) failures.push(this.#failure('add', member, r));
      });
    }
    for (const chunk of chunks(plan.update, o.bulkSize)) {
      const body = chunk.map((u) => ({ servicegroupname: sg, servername: u.member.servername, port: u.member.port, weight: u.weight }));
      writes++;
      const results = await this.#bulk('PUT', 'servicegroup', body, signal);
      chunk.forEach((u, i) => {
        const r = results[i] as NitroItemResult;
        if (r.errorcode === 0) updated++;
        else failures.push(this.#failure('update', { address: u.member.ip, port: u.member.port, weight: u.weight }, r));
      });
    }
    if (o.bulkUnbind) {
      for (const chunk of chunks(remove, o.bulkSize)) {
        const body = chunk.map((m) => ({ servicegroupname: sg, servername: m.servername, port: m.port }));
        writes++;
        const results = await this.#bulk('POST', MEMBER, body, signal, 'unbind');
        chunk.forEach((m, i) => {
          const r = results[i] as NitroItemResult;
          if (r.errorcode === 0) removed++;
          else if (r.errorcode !== NitroErrorCode.noSuchResource) failures.push(this.#failure('remove', { address: m.ip, port: m.port }, r));
        });
      }
    } else {
      writes += remove.length;
      await Promise.all(
        remove.map(async (m) => {
          try {
            await o.client.remove(MEMBER, sg, { servername: m.servername, port: m.port }, signal);
            removed++;
          } catch (error) {
            if (error instanceof NitroError && error.errorcode === NitroErrorCode.noSuchResource) return;
            if (!(error instanceof NitroError)) throw error;
            failures.push(this.#failure('remove', { address: m.ip, port: m.port }, error));
          }
        }),
      );
    }
    const result: ApplyResult = { added, updated, removed, writes };
    this.#count(result, failures.length);
    if (failures.length > 0) {
      o.logger.warn({ key, servicegroup: sg, failed: failures.length, ...result }, 'some member changes failed');
      throw new NetScalerApplyError(sg, failures, result);
    }
    if (writes > 0) o.logger.info({ key, servicegroup: sg, ...result }, 'servicegroup converged');
    return result;
  }

  #count(result: ApplyResult, failures: number): void {
    this.#stats.writes += result.writes;
    this.#stats.added += result.added;
    this.#stats.updated += result.updated;
    this.#stats.removed += result.removed;
    this.#stats.failures += failures;
  }

  /** A bulk write (or bulk `action`) whose request-level failure becomes a failure of each item. */
  async #bulk(
    method: 'POST' | 'PUT',
    type: string,
    body: Record<string, unknown>[],
    signal?: AbortSignal,
    action?: string,
  ): Promise<NitroItemResult[]> {
    try {
      return await this.#o.client.bulk(method, type, body, {
        onError: 'continue',
        ...(action === undefined ? {} : { action }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (!(error instanceof NitroError)) throw error;
      const failed = { errorcode: error.errorcode ?? -1, message: error.message, severity: 'ERROR', retryable: error.retryable };
      return body.map(() => failed);
    }
  }

  #failure(
    operation: MemberFailure['operation'],
    member: Backend,
    r: { errorcode?: number | undefined; message: string; retryable?: boolean },
  ): MemberFailure {
    const errorcode = r.errorcode === -1 ? undefined : r.errorcode;
    const retryable = r.retryable ?? (errorcode !== NitroErrorCode.invalidArgument);
    return { operation, member, errorcode, message: (r as { nitroMessage?: string }).nitroMessage ?? r.message, retryable };
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
      await o.client.add(VSERVER_BINDING, { name: vs, servicegroupname: sg }, signal);
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
