/**
 * The member writes of one servicegroup, in the request forms Citrix's own clients use (docs/netscaler.md,
 * "Request forms"). Adds: with `bindMethod: 'put'`, one `PUT servicegroup_servicegroupmember_binding` of an
 * array per `bulkSize` members with `X-NITRO-ONERROR: continue` (a 207 names each failed item), one object when
 * there is a single member — the NITRO docs' and the NITRO Python SDK's form; when the appliance refuses the
 * array as a whole, each member is sent alone, and once that works the sink stops sending arrays. With
 * `bindMethod: 'post'`, one `POST` of one object per member, as adc-nitro-go and the Terraform provider do.
 * Members are added by `ip` and changed or unbound by `servername` — never both (the appliance answers 1092).
 * Weight changes: bulk `PUT servicegroup`. Removals: bulk `POST …?action=unbind`, or one `DELETE ?args=` each.
 */
import type { Backend } from '@nitrox/core';
import { type MemberFailure, NitroError } from './errors.js';
import type { NitroLogger } from './logger.js';
import type { ObservedMember } from './member-plan.js';
import type { NitroClient } from './nitro-client.js';
import { NitroErrorCode, type NitroItemResult, type NitroRecord } from './nitro-types.js';

/** How members are added: see the module comment. */
export type BindMethod = 'put' | 'post';

const MEMBER = 'servicegroup_servicegroupmember_binding';

/** Settings of a {@link MemberWriter}. */
export interface MemberWriterOptions {
  readonly client: NitroClient;
  readonly bindMethod: BindMethod;
  readonly bulkSize: number;
  readonly bulkUnbind: boolean;
  readonly defaultWeight: number;
  readonly logger: NitroLogger;
}

/** What one kind of write did. */
export interface WriteOutcome {
  /** Members changed. */
  readonly done: number;
  /** Members that failed. */
  readonly failures: MemberFailure[];
  /** Adds the appliance answered 273 to ("Resource already exists"). */
  readonly existing: Backend[];
  /** Write requests sent. */
  readonly writes: number;
}

type ItemResult = NitroItemResult & { readonly retryable?: boolean };

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const ok: ItemResult = { errorcode: 0, message: 'Done', severity: 'NONE' };

/** The result of a request-level NitroError, for every item it carried. */
function failedWith(error: unknown): ItemResult {
  if (!(error instanceof NitroError)) throw error;
  return { errorcode: error.errorcode ?? -1, message: error.nitroMessage ?? error.message, severity: 'ERROR', retryable: error.retryable };
}

function failure(operation: MemberFailure['operation'], member: Backend, r: ItemResult): MemberFailure {
  const errorcode = r.errorcode === -1 ? undefined : r.errorcode;
  const retryable = r.retryable ?? (errorcode !== NitroErrorCode.invalidArgument && errorcode !== NitroErrorCode.bothArguments);
  return { operation, member, errorcode, message: r.message, retryable };
}

/** Member writes of a sink; remembers across applies whether the appliance takes bulk binding adds. */
export class MemberWriter {
  readonly #o: MemberWriterOptions;
  #bulkAddRefused = false;

  constructor(options: MemberWriterOptions) {
    this.#o = options;
  }

  /** Whether the appliance refused a bulk binding add and members now go one request each. */
  get bulkAddRefused(): boolean {
    return this.#bulkAddRefused;
  }

  /** Bind `members` (by `ip`) to `sg`. */
  async add(sg: string, members: readonly Backend[], signal?: AbortSignal): Promise<WriteOutcome> {
    const o = this.#o;
    const record = (b: Backend): NitroRecord => ({ servicegroupname: sg, ip: b.address, port: b.port, weight: b.weight ?? o.defaultWeight });
    const outcome = { done: 0, failures: [] as MemberFailure[], existing: [] as Backend[], writes: 0 };
    const settle = (member: Backend, r: ItemResult): void => {
      if (r.errorcode === 0) outcome.done++;
      else if (r.errorcode === NitroErrorCode.alreadyExists) outcome.existing.push(member);
      else outcome.failures.push(failure('add', member, r));
    };
    const one = async (member: Backend): Promise<ItemResult> => {
      outcome.writes++;
      try {
        if (o.bindMethod === 'post') await o.client.add(MEMBER, record(member), signal);
        else await o.client.update(MEMBER, record(member), signal);
        return ok;
      } catch (error) {
        return failedWith(error);
      }
    };
    const singly = async (list: readonly Backend[]): Promise<ItemResult[]> => Promise.all(list.map(one));
    for (const chunk of chunks(members, o.bulkSize)) {
      if (o.bindMethod === 'post' || this.#bulkAddRefused || chunk.length === 1) {
        for (const [i, r] of (await singly(chunk)).entries()) settle(chunk[i] as Backend, r);
        continue;
      }
      outcome.writes++;
      let results: ItemResult[];
      try {
        results = await o.client.bulk('PUT', MEMBER, chunk.map(record), { onError: 'continue', ...(signal ? { signal } : {}) });
      } catch (error) {
        results = chunk.map(() => failedWith(error));
      }
      if (results.every((r) => r.wholeRequest === true && r.errorcode !== NitroErrorCode.noSuchResource)) {
        // Refused as a whole (no per-item answer), and not because the servicegroup is gone: try each member
        // alone, the single-object form.
        results = await singly(chunk);
        if (results.some((r) => r.errorcode === 0)) {
          this.#bulkAddRefused = true;
          o.logger.warn({ servicegroup: sg }, 'the appliance refused a bulk binding add; adding members one request each from now on');
        }
      }
      for (const [i, r] of results.entries()) settle(chunk[i] as Backend, r);
    }
    return outcome;
  }

  /** Change the weight of members in place: bulk `PUT servicegroup {servicegroupname, servername, port, weight}`. */
  async update(
    sg: string,
    changes: ReadonlyArray<{ readonly member: ObservedMember; readonly weight: number }>,
    signal?: AbortSignal,
  ): Promise<WriteOutcome> {
    const outcome = { done: 0, failures: [] as MemberFailure[], existing: [] as Backend[], writes: 0 };
    for (const chunk of chunks(changes, this.#o.bulkSize)) {
      const body = chunk.map((u) => ({ servicegroupname: sg, servername: u.member.servername, port: u.member.port, weight: u.weight }));
      outcome.writes++;
      const results = await this.#bulk('servicegroup', body, signal);
      chunk.forEach((u, i) => {
        const r = results[i] as ItemResult;
        if (r.errorcode === 0) outcome.done++;
        else outcome.failures.push(failure('update', { address: u.member.ip, port: u.member.port, weight: u.weight }, r));
      });
    }
    return outcome;
  }

  /** Unbind members by `servername` and `port`; an absent member (258) counts as gone. */
  async remove(sg: string, members: readonly ObservedMember[], signal?: AbortSignal): Promise<WriteOutcome> {
    const o = this.#o;
    const outcome = { done: 0, failures: [] as MemberFailure[], existing: [] as Backend[], writes: 0 };
    const settle = (m: ObservedMember, r: ItemResult): void => {
      if (r.errorcode === 0) outcome.done++;
      else if (r.errorcode !== NitroErrorCode.noSuchResource) outcome.failures.push(failure('remove', { address: m.ip, port: m.port }, r));
    };
    if (o.bulkUnbind) {
      for (const chunk of chunks(members, o.bulkSize)) {
        const body = chunk.map((m) => ({ servicegroupname: sg, servername: m.servername, port: m.port }));
        outcome.writes++;
        const results = await this.#bulk(MEMBER, body, signal, 'unbind');
        for (const [i, m] of chunk.entries()) settle(m, results[i] as ItemResult);
      }
      return outcome;
    }
    outcome.writes += members.length;
    await Promise.all(
      members.map(async (m) => {
        try {
          await o.client.remove(MEMBER, sg, { servername: m.servername, port: m.port }, signal);
          settle(m, ok);
        } catch (error) {
          settle(m, failedWith(error));
        }
      }),
    );
    return outcome;
  }

  /** A bulk `PUT` (or `POST ?action=`) whose request-level failure becomes a failure of each item. */
  async #bulk(type: string, body: NitroRecord[], signal?: AbortSignal, action?: string): Promise<ItemResult[]> {
    try {
      return await this.#o.client.bulk(action === undefined ? 'PUT' : 'POST', type, body, {
        onError: 'continue',
        ...(action === undefined ? {} : { action }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      return body.map(() => failedWith(error));
    }
  }
}
