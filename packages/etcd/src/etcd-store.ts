/**
 * `EtcdStore<T>`: the versioned-store API of the core's `MemoryStore` kept in etcd under a key prefix, so that
 * several processes on several machines share one desired state. etcd's model is the core's: an item's version
 * is its key's `mod_revision`, the collection revision is the header revision of a read, compare-and-swap is a
 * transaction comparing `mod_revision` (0 = absent), a watch starts from any retained revision, and compaction
 * makes older revisions fail with `ExpiredError`. A list of a large prefix is read in pages, all pinned to the
 * revision of the first page, so it is one consistent snapshot. It is a `ListWatch`: an `Informer` or a
 * `Controller` consumes it unchanged.
 */
import { ConfigError, ConflictError, type ListResult, type ListWatch, type MalformedEventError, untilAborted, type Versioned, type WatchEvent } from '@nitrox/core';
import type { Etcd3, IKeyValue } from 'etcd3';
import { type Codec, jsonCodec } from './codec.js';
import { createClient } from './etcd-client.js';
import { toNitroxError } from './etcd-errors.js';
import { badRevision, itemOf, watchPrefix } from './prefix-watch.js';

/** Options of {@link EtcdStore}. */
export interface EtcdStoreOptions<T> {
  /** etcd client URLs, e.g. `['http://10.0.0.1:2379']`. Ignored when `client` is given. */
  endpoints?: string[];
  /** An `etcd3` client to use (the store then does not close it). */
  client?: Etcd3;
  /** Key prefix of this store's items in etcd; an item `k` lives at `prefix + k`. */
  prefix: string;
  /** Value encoding. @defaultValue JSON ({@link jsonCodec}) */
  codec?: Codec<T>;
  /**
   * Keys per page of a list: bounds the size of one etcd response (etcd refuses responses over 1.5 MiB by
   * default, its `--max-request-bytes`, and a large page holds the server longer). @defaultValue 1000
   */
  pageSize?: number;
  /**
   * A watch that receives nothing for this long ends, and the caller watches again (a half-open connection is
   * otherwise invisible). Keep it above the server's `--experimental-watch-progress-notify-interval` (10 min by
   * default), which makes etcd send a bookmark to every quiet watch. @defaultValue 660_000
   */
  idleTimeoutMs?: number;
  /**
   * Deadline of one request (a put, a delete, a get, one page of a list). A member that stopped answering (paused,
   * partitioned behind a half-open connection) otherwise holds the call for ever; after the deadline the client
   * tries the next endpoint on the next call. @defaultValue 10_000
   */
  requestTimeoutMs?: number;
  /** Called for each stored value that does not decode (it is skipped and counted in `malformed`). */
  onMalformed?: (error: MalformedEventError) => void;
}

/** Defaults of {@link EtcdStoreOptions}. */
export const etcdStoreDefaults = {
  pageSize: 1000,
  /** etcd's default progress-notify interval (10 min) plus a minute of margin. */
  idleTimeoutMs: 660_000,
  /** Long enough for a leader election of a loaded cluster (etcd's default election timeout is 1 s). */
  requestTimeoutMs: 10_000,
} as const;

/** Options of a compare-and-swap write (the same as `MemoryStore`'s). */
export interface EtcdWriteOptions {
  /** Write only if the key's current version (`mod_revision`) is this one (`0`: only if the key is absent). */
  ifVersion?: number;
  /** Abort the request. */
  signal?: AbortSignal;
}

const DECIMAL = /^\d+$/;

/**
 * A `ListWatch<T>` with compare-and-swap writes, kept in etcd.
 *
 * @example
 * ```ts
 * const store = new EtcdStore<BackendSet>({ endpoints: ['http://127.0.0.1:2379'], prefix: '/nitrox/desired/' });
 * const a = await store.put('web', { name: 'web', members: [] });
 * await store.put('web', next, { ifVersion: a.version }); // ConflictError if someone wrote in between
 * ```
 */
export class EtcdStore<T> implements ListWatch<T> {
  /** The etcd client in use. */
  readonly client: Etcd3;
  /** The key prefix. */
  readonly prefix: string;
  readonly #prefix: Buffer;
  readonly #end: Buffer;
  readonly #codec: Codec<T>;
  readonly #pageSize: number;
  readonly #idleTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #ownsClient: boolean;
  readonly #endpoints: string[] | undefined;
  /** Client of the watches, replaced when a watch idles out (its stream may hang on a half-open connection). */
  #watchClient: Etcd3 | undefined;
  readonly #onMalformed: ((error: MalformedEventError) => void) | undefined;
  #malformed = 0;

  /** Does no I/O (the client connects on first use). @throws {@link ConfigError} when an option is invalid. */
  constructor(options: EtcdStoreOptions<T>) {
    if (typeof options.prefix !== 'string' || options.prefix === '') throw new ConfigError('prefix', 'must be a non-empty string');
    if (options.client === undefined && (!Array.isArray(options.endpoints) || options.endpoints.length === 0)) {
      throw new ConfigError('endpoints', 'must list at least one etcd client URL (or pass client)');
    }
    const pageSize = options.pageSize ?? etcdStoreDefaults.pageSize;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new ConfigError('pageSize', `must be a positive integer, got ${pageSize}`);
    const idle = options.idleTimeoutMs ?? etcdStoreDefaults.idleTimeoutMs;
    if (!(idle > 0)) throw new ConfigError('idleTimeoutMs', `must be positive, got ${idle}`);
    const requestTimeout = options.requestTimeoutMs ?? etcdStoreDefaults.requestTimeoutMs;
    if (!(requestTimeout > 0)) throw new ConfigError('requestTimeoutMs', `must be positive, got ${requestTimeout}`);
    this.#requestTimeoutMs = requestTimeout;
    this.#ownsClient = options.client === undefined;
    this.#endpoints = options.client === undefined ? options.endpoints : undefined;
    this.client = options.client ?? createClient(options.endpoints as string[]);
    this.prefix = options.prefix;
    this.#prefix = Buffer.from(options.prefix);
    this.#end = prefixEnd(this.#prefix);
    this.#codec = options.codec ?? jsonCodec<T>();
    this.#pageSize = pageSize;
    this.#idleTimeoutMs = idle;
    this.#onMalformed = options.onMalformed;
  }

  /** How many stored values did not decode and were skipped. */
  get malformed(): number {
    return this.#malformed;
  }

  #key(key: string): Buffer {
    if (typeof key !== 'string' || key.length === 0) throw new ConfigError('key', 'must be a non-empty string');
    return Buffer.concat([this.#prefix, Buffer.from(key)]);
  }

  /** gRPC call options of one request: its deadline. */
  #call(): { deadline: number } {
    return { deadline: Date.now() + this.#requestTimeoutMs };
  }

  #skip(error: MalformedEventError): void {
    this.#malformed++;
    this.#onMalformed?.(error);
  }

  /**
   * Store `value` under `key`; its version is the revision of the write.
   * @throws {@link ConflictError} when `ifVersion` is given and differs from the stored version (0 = absent).
   * @throws `SourceError` when etcd fails.
   */
  async put(key: string, value: T, options: EtcdWriteOptions = {}): Promise<Versioned<T>> {
    const k = this.#key(key);
    const put = { request_put: { key: k, value: Buffer.from(this.#codec.encode(value)) } };
    try {
      if (options.ifVersion === undefined) {
        const res = await untilAborted(this.client.kv.put(put.request_put, this.#call()), options.signal);
        return { key, version: Number(res.header.revision), value };
      }
      const res = await untilAborted(
        this.client.kv.txn({
          compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: options.ifVersion }],
          success: [put],
          failure: [{ request_range: { key: k } }],
        }, this.#call()),
        options.signal,
      );
      if (!res.succeeded) throw conflict(key, options.ifVersion, res);
      return { key, version: Number(res.header.revision), value };
    } catch (err) {
      throw toNitroxError(err, `etcd put ${key}`);
    }
  }

  /**
   * Remove `key`.
   * @returns the removed item, or `undefined` when the key was absent.
   * @throws {@link ConflictError} when `ifVersion` is given and differs from the stored version (0 = absent).
   */
  async delete(key: string, options: EtcdWriteOptions = {}): Promise<Versioned<T> | undefined> {
    const k = this.#key(key);
    const del = { request_delete_range: { key: k, prev_kv: true } };
    try {
      const res = await untilAborted(
        this.client.kv.txn({
          compare: options.ifVersion === undefined ? [] : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: options.ifVersion }],
          success: [del],
          failure: [{ request_range: { key: k } }],
        }, this.#call()),
        options.signal,
      );
      if (!res.succeeded) throw conflict(key, options.ifVersion ?? 0, res);
      const prev = (res as TxnResult).responses?.[0]?.response_delete_range?.prev_kvs?.[0];
      if (prev === undefined) return undefined;
      const item = itemOf(prev, this.#prefix, this.#codec);
      return item instanceof Error ? ({ key, version: Number(prev.mod_revision), value: undefined } as unknown as Versioned<T>) : item;
    } catch (err) {
      throw toNitroxError(err, `etcd delete ${key}`);
    }
  }

  /** The current item of `key`, or `undefined` (a linearizable read). */
  async get(key: string, signal?: AbortSignal): Promise<Versioned<T> | undefined> {
    try {
      const res = await untilAborted(this.client.kv.range({ key: this.#key(key) }, this.#call()), signal);
      const kv = res.kvs[0];
      if (kv === undefined) return undefined;
      const item = itemOf(kv, this.#prefix, this.#codec);
      if (item instanceof Error) {
        this.#skip(item);
        return undefined;
      }
      return item;
    } catch (err) {
      throw toNitroxError(err, `etcd get ${key}`);
    }
  }

  /**
   * Every item under the prefix and the revision of the read, in pages of `pageSize` keys, each page read at
   * the revision of the first (one consistent snapshot). Values that do not decode are skipped and counted.
   * @throws `ExpiredError` when that revision is compacted while the pages are read (relist).
   */
  async list(signal?: AbortSignal): Promise<ListResult<T>> {
    const items: Versioned<T>[] = [];
    let revision = 0;
    let from = this.#prefix;
    try {
      for (;;) {
        const res = await untilAborted(
          this.client.kv.range({ key: from, range_end: this.#end, limit: this.#pageSize, revision }, this.#call()),
          signal,
        );
        if (revision === 0) revision = Number(res.header.revision);
        for (const kv of res.kvs) this.#collect(kv, items);
        const last = res.kvs[res.kvs.length - 1];
        if (!res.more || last === undefined) break;
        from = Buffer.concat([last.key, Buffer.from([0])]);
      }
    } catch (err) {
      throw toNitroxError(err, `etcd list ${this.prefix}`);
    }
    return { revision: String(revision), items };
  }

  #collect(kv: IKeyValue, items: Versioned<T>[]): void {
    const item = itemOf(kv, this.#prefix, this.#codec);
    if (item instanceof Error) this.#skip(item);
    else items.push(item);
  }

  /**
   * Stream every change under the prefix strictly after `fromRevision` (bookmarks on a quiet watch, from etcd's
   * progress notifications). Ends when the stream drops or idles; the caller watches again from the last
   * revision it saw.
   * @throws `ExpiredError` (from the iterator) when `fromRevision` is compacted or not an etcd revision.
   */
  watch(fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent<T>> {
    return {
      [Symbol.asyncIterator]: () => {
        if (typeof fromRevision !== 'string' || !DECIMAL.test(fromRevision)) return rejecting(badRevision(fromRevision));
        const client = this.#watcher();
        return watchPrefix(
          {
            client,
            onIdle: () => this.#replaceWatcher(client),
            prefix: this.#prefix,
            codec: this.#codec,
            fromRevision: Number(fromRevision),
            idleTimeoutMs: this.#idleTimeoutMs,
            onMalformed: (e) => this.#skip(e),
          },
          signal,
        );
      },
    };
  }

  /**
   * The client for watches. `etcd3` runs every watch of a client on one gRPC stream, so a stream stuck on a
   * member that stopped answering would take every re-watch with it: the store keeps a client of its own for
   * watches and replaces it when a watch idles out. With a caller's `client` there is no endpoint list to build
   * one from; watches then use that client.
   */
  #watcher(): Etcd3 {
    if (this.#endpoints === undefined) return this.client;
    this.#watchClient ??= createClient(this.#endpoints);
    return this.#watchClient;
  }

  #replaceWatcher(client: Etcd3): void {
    if (this.#watchClient !== client) return;
    this.#watchClient = undefined;
    client.close();
  }

  /** Close the clients the store created. */
  close(): void {
    if (this.#ownsClient) this.client.close();
    this.#watchClient?.close();
    this.#watchClient = undefined;
  }
}

type TxnResult = {
  responses?: {
    response_range?: { kvs?: IKeyValue[] };
    response_delete_range?: { prev_kvs?: IKeyValue[] };
  }[];
};

function conflict(key: string, expected: number, res: unknown): ConflictError {
  const kv = (res as TxnResult).responses?.[0]?.response_range?.kvs?.[0];
  return new ConflictError(key, expected, kv === undefined ? 0 : Number(kv.mod_revision));
}

/** The end of the key range that holds every key starting with `prefix` (etcd's prefix range end). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function rejecting<T>(error: Error): AsyncIterator<T> {
  return { next: () => Promise.reject(error), return: () => Promise.resolve({ done: true, value: undefined }) };
}
