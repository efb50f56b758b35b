/**
 * `EtcdLeaseLock`: the core's `LeaseLock` in etcd. The record is JSON at one key, written by transactions that
 * compare the key's `mod_revision` (the record's version), and it names the holder's etcd lease. The lease is
 * kept alive only by the holder's renewals (one keepalive before each renewal write, never in the background),
 * with a TTL of at least the record's lease duration, so it outlives the holder's term (which ends
 * `renewDeadlineMs` after the renewal was sent) and expires only after a holder stopped renewing. A read that
 * finds the holder's lease expired reports the lease released (holder `''`), so a successor takes over at once
 * instead of waiting a second lease duration, and a leader whose keepalive fails sees itself replaced at its next
 * renewal. The record key itself carries no lease: it survives, and its transition count (the core's fencing
 * token) only grows. The etcd-native fencing token is the revision of the write that began this holder's term.
 */
import { ConfigError, ConflictError, type LeaseLock, type LeaseRecord, SourceError, untilAborted, type VersionedLeaseRecord } from '@nitrox/core';
import { type Etcd3, EtcdLeaseInvalidError, type Lease } from 'etcd3';
import { toNitroxError } from './etcd-errors.js';
import { createClient } from './etcd-client.js';

/** Options of {@link EtcdLeaseLock}. */
export interface EtcdLeaseLockOptions {
  /** etcd client URLs. Ignored when `client` is given. */
  endpoints?: string[];
  /** An `etcd3` client to use (the lock then does not close it). */
  client?: Etcd3;
  /** The key of the lock record, e.g. `/nitrox/leader`. */
  key: string;
  /**
   * Deadline of one request to etcd. The elector stops waiting for an answer on its own deadline; this one ends
   * the gRPC call itself, so calls to a member that stopped answering do not pile up. @defaultValue 10_000
   */
  requestTimeoutMs?: number;
}

interface StoredRecord extends LeaseRecord {
  /** The holder's etcd lease ID (decimal), `'0'` when released. */
  leaseId: string;
}

/**
 * A `LeaseLock` over an etcd lease and a transaction on the lock key.
 *
 * @example
 * ```ts
 * const lock = new EtcdLeaseLock({ endpoints: ['http://127.0.0.1:2379'], key: '/nitrox/leader' });
 * const elector = new LeaderElector({ lock, identity: hostname() });
 * ```
 */
export class EtcdLeaseLock implements LeaseLock {
  /** The etcd client in use. */
  readonly client: Etcd3;
  /** The key of the lock record. */
  readonly key: string;
  readonly #key: Buffer;
  readonly #ownsClient: boolean;
  readonly #requestTimeoutMs: number;
  #lease: Lease | undefined;
  #leaseId = '0';
  #leaseTtl = 0;
  /** Holder of the record as last read or written, and that record's version. */
  #seen: { version: string; holder: string } | undefined;
  #termRevision: number | undefined;

  /** Does no I/O. @throws {@link ConfigError} when an option is invalid. */
  constructor(options: EtcdLeaseLockOptions) {
    if (typeof options.key !== 'string' || options.key === '') throw new ConfigError('key', 'must be a non-empty string');
    if (options.client === undefined && (!Array.isArray(options.endpoints) || options.endpoints.length === 0)) {
      throw new ConfigError('endpoints', 'must list at least one etcd client URL (or pass client)');
    }
    const timeout = options.requestTimeoutMs ?? 10_000;
    if (!(timeout > 0)) throw new ConfigError('requestTimeoutMs', `must be positive, got ${timeout}`);
    this.#requestTimeoutMs = timeout;
    this.#ownsClient = options.client === undefined;
    this.client = options.client ?? createClient(options.endpoints as string[]);
    this.key = options.key;
    this.#key = Buffer.from(options.key);
  }

  /**
   * The etcd revision of the write with which this lock's holder began its current term (took the record from
   * another holder, or created it), or `undefined` before any. Revisions are cluster-wide and only grow, so a
   * later term always has a larger token: a peer that remembers the largest token it saw can refuse a stale
   * leader's write (or a write can be a transaction that compares the lock key's `mod_revision`).
   */
  get fencingToken(): number | undefined {
    return this.#termRevision;
  }

  /** Read the record; a holder whose etcd lease expired is reported as released (holder `''`). */
  async get(signal?: AbortSignal): Promise<VersionedLeaseRecord | undefined> {
    try {
      const res = await untilAborted(this.client.kv.range({ key: this.#key }, this.#call()), signal);
      const kv = res.kvs[0];
      if (kv === undefined) {
        this.#seen = undefined;
        return undefined;
      }
      const stored = JSON.parse(kv.value.toString('utf8')) as StoredRecord;
      const version = String(kv.mod_revision);
      let holder = stored.holderIdentity;
      if (holder !== '' && stored.leaseId !== '0') {
        const ttl = await untilAborted(this.client.leaseClient.leaseTimeToLive({ ID: stored.leaseId }, this.#call()), signal);
        if (Number(ttl.TTL) < 0) {
          holder = '';
          if (stored.leaseId === this.#leaseId) this.#dropLease();
        }
      }
      this.#seen = { version, holder };
      const { leaseId: _leaseId, ...record } = stored;
      return { ...record, holderIdentity: holder, version };
    } catch (err) {
      throw toNitroxError(err, `etcd lease lock ${this.key}: read`);
    }
  }

  /** Create the record. @throws ConflictError when it exists. */
  async create(record: LeaseRecord, signal?: AbortSignal): Promise<void> {
    try {
      const leaseId = await this.#keepAlive(record, undefined, signal);
      const res = await untilAborted(
        this.client.kv.txn({
          compare: [{ key: this.#key, target: 'Create', result: 'Equal', create_revision: 0 }],
          success: [{ request_put: { key: this.#key, value: encode(record, leaseId) } }],
          failure: [{ request_range: { key: this.#key } }],
        }, this.#call()),
        signal,
      );
      if (!res.succeeded) throw new ConflictError(this.key, 0, modRevisionOf(res));
      this.#termRevision = Number(res.header.revision);
      this.#seen = { version: String(res.header.revision), holder: record.holderIdentity };
    } catch (err) {
      throw toNitroxError(err, `etcd lease lock ${this.key}: create`);
    }
  }

  /** Replace the record if its version is `ifVersion`. @throws ConflictError otherwise. */
  async update(record: LeaseRecord, ifVersion: string, signal?: AbortSignal): Promise<void> {
    const release = record.holderIdentity === '';
    try {
      const leaseId = release ? '0' : await this.#keepAlive(record, ifVersion, signal);
      const res = await untilAborted(
        this.client.kv.txn({
          compare: [{ key: this.#key, target: 'Mod', result: 'Equal', mod_revision: ifVersion }],
          success: [{ request_put: { key: this.#key, value: encode(record, leaseId) } }],
          failure: [{ request_range: { key: this.#key } }],
        }, this.#call()),
        signal,
      );
      if (!res.succeeded) throw new ConflictError(this.key, Number(ifVersion), modRevisionOf(res));
      const newTerm = this.#seen === undefined || this.#seen.version !== ifVersion || this.#seen.holder !== record.holderIdentity;
      if (!release && (newTerm || this.#termRevision === undefined)) this.#termRevision = Number(res.header.revision);
      this.#seen = { version: String(res.header.revision), holder: record.holderIdentity };
      if (release) await this.#revoke();
    } catch (err) {
      throw toNitroxError(err, `etcd lease lock ${this.key}: update`);
    }
  }

  /**
   * The lease to write into the record: for a renewal (the replaced record is this holder's), this lock's lease
   * after one keepalive; for a new term, a freshly granted one.
   * @throws `SourceError` when a renewal's keepalive finds the lease expired: the term is lost.
   */
  async #keepAlive(record: LeaseRecord, ifVersion: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const ttl = Math.max(1, Math.ceil(record.leaseDurationMs / 1000));
    const seen = this.#seen;
    const renewal = ifVersion !== undefined && seen?.version === ifVersion && seen.holder === record.holderIdentity;
    if (renewal && this.#lease !== undefined && ttl <= this.#leaseTtl) {
      try {
        await untilAborted(this.#lease.keepaliveOnce(this.#call()), signal);
        return this.#leaseId;
      } catch (err) {
        if (err instanceof EtcdLeaseInvalidError) {
          this.#dropLease();
          throw new SourceError(`etcd lease lock ${this.key}: the holder's lease expired; the term is lost`, { cause: err, retryable: false });
        }
        throw err;
      }
    }
    await this.#revoke();
    const lease = this.client.lease(ttl, { autoKeepAlive: false, ...this.#call() });
    lease.on('lost', () => {}); // losses surface through keepaliveOnce and the reads above
    this.#lease = lease;
    this.#leaseTtl = ttl;
    this.#leaseId = await untilAborted(lease.grant(), signal);
    return this.#leaseId;
  }

  /** gRPC call options of one request: its deadline. */
  #call(): { deadline: number } {
    return { deadline: Date.now() + this.#requestTimeoutMs };
  }

  #dropLease(): void {
    this.#lease?.release();
    this.#lease = undefined;
    this.#leaseId = '0';
    this.#termRevision = undefined;
  }

  async #revoke(): Promise<void> {
    const lease = this.#lease;
    this.#dropLease();
    await lease?.revoke(this.#call()).catch(() => {});
  }

  /** `etcd lease lock <key>`. */
  describe(): string {
    return `etcd lease lock ${this.key}`;
  }

  /** Revoke this lock's etcd lease (best effort) and close the client when the lock created it. */
  async close(): Promise<void> {
    await this.#revoke();
    if (this.#ownsClient) this.client.close();
  }
}

function encode(record: LeaseRecord, leaseId: string): Buffer {
  const stored: StoredRecord = { ...record, leaseId };
  return Buffer.from(JSON.stringify(stored));
}

function modRevisionOf(res: unknown): number {
  const kv = (res as { responses?: { response_range?: { kvs?: { mod_revision: string }[] } }[] }).responses?.[0]?.response_range?.kvs?.[0];
  return kv === undefined ? 0 : Number(kv.mod_revision);
}
