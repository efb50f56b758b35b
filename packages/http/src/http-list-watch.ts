/**
 * `HttpListWatch`: the follower side, a core `ListWatch` over the protocol `serveListWatch` speaks, so an
 * agent runs an unchanged `Informer`/`Controller` on it (the Informer does the backoff and relists). It keeps
 * its own mirror of what it delivered (item references, not copies) so that a relist after the server lost
 * its revision — history overrun, server restart — is a digest catch-up: only the differing buckets cross the
 * network, and `list()` returns the whole mirror, from which the Informer's mark-and-sweep emits only the real
 * changes. Watches use undici's body timeout as the idle timeout (bookmarks keep a healthy stream busy).
 */
import { createGunzip } from 'node:zlib';
import { ConfigError, ExpiredError, type ListResult, type ListWatch, type Versioned, type WatchEvent, type WatchStream, SourceError, TimeoutError } from '@nitrox/core';
import { Agent, type Dispatcher, errors, request } from 'undici';
import {
  applyCatchUp,
  buildDigest,
  buildSubDigests,
  decodeDigest,
  defaultItemsPerLeaf,
  differingLeaves,
  encodeDigest,
  fingerprintsOf,
  shapeFor,
} from './digest.js';
import { parseNdjson } from './ndjson.js';
import type { WireCatchUp, WireDigestAnswer, WireEvent, WireListPage } from './protocol.js';
import { type TokenSource, tokenReader } from './token.js';

/** Options of {@link HttpListWatch}. */
export interface HttpListWatchOptions {
  /** URL of the collection, e.g. `https://orchestrator:8443/pools`. */
  url: string;
  /** Bearer token (a string, `{ env }` or `{ file }`, re-read per request). */
  token?: TokenSource;
  /** Follow only keys starting with this. @defaultValue '' */
  prefix?: string;
  /** Items per list page. @defaultValue 1000 */
  pageSize?: number;
  /** Abort a watch that received nothing (bookmarks count) for this long. @defaultValue 30_000 (3 server bookmarks) */
  idleTimeoutMs?: number;
  /**
   * Abort a request whose answer has not begun (status and headers) after this long, and a list or catch-up
   * answer whose body goes silent this long: a server that accepts connections and never answers (a partition,
   * a hung process) fails the call instead of holding the Informer. @defaultValue 30_000
   */
  requestTimeoutMs?: number;
  /** Catch up by digest instead of relisting when the mirror has items. Off: no mirror is kept. @defaultValue true */
  catchUp?: boolean;
  /** Mirror items per digest leaf: a differing leaf costs this many items. @defaultValue 4 */
  itemsPerLeaf?: number;
  /** PEM certificate authority for a server with a private CA (TLS). */
  ca?: string | Buffer;
  /** An undici dispatcher of your own (proxy, pool sizes); `ca` is ignored then. */
  dispatcher?: Dispatcher;
}

/** Defaults of {@link HttpListWatchOptions}. */
export const httpListWatchDefaults = {
  prefix: '',
  /** The server's default page: one request per 1,000 items. */
  pageSize: 1000,
  /** Three of the server's default bookmark intervals (10 s): a healthy stream is never silent that long. */
  idleTimeoutMs: 30_000,
  requestTimeoutMs: 30_000,
  catchUp: true,
  itemsPerLeaf: defaultItemsPerLeaf,
} as const;

/** Counters of an {@link HttpListWatch}. */
export interface HttpListWatchStats {
  /** Full lists (all pages) and digest catch-ups (both rounds) done. */
  lists: number;
  catchUps: number;
  /** Items received by catch-ups. */
  catchUpItems: number;
  /** Body bytes received (compressed size), watches included. */
  bytesReceived: number;
  /** Body bytes sent (the digests). */
  bytesSent: number;
}

/** A `ListWatch` that follows a `serveListWatch` server. */
export class HttpListWatch<T> implements ListWatch<T> {
  readonly #url: URL;
  readonly #token: (() => string) | undefined;
  readonly #prefix: string;
  readonly #pageSize: number;
  readonly #idleTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #catchUp: boolean;
  readonly #itemsPerLeaf: number;
  readonly #dispatcher: Dispatcher | undefined;
  /** What this follower delivered: the last list or catch-up, then every watched change. */
  #mirror = new Map<string, Versioned<T>>();
  #sourceEpoch: string | undefined;
  #mirrored = false;
  readonly #stats: HttpListWatchStats = { lists: 0, catchUps: 0, catchUpItems: 0, bytesReceived: 0, bytesSent: 0 };

  /** @throws {@link ConfigError} when an option is invalid. No I/O happens here. */
  constructor(options: HttpListWatchOptions) {
    try {
      this.#url = new URL(options.url);
    } catch {
      throw new ConfigError('url', 'must be an absolute http(s) URL');
    }
    if (this.#url.protocol !== 'http:' && this.#url.protocol !== 'https:') throw new ConfigError('url', 'must be http: or https:');
    this.#token = options.token === undefined ? undefined : tokenReader(options.token);
    this.#prefix = options.prefix ?? httpListWatchDefaults.prefix;
    this.#pageSize = positive('pageSize', options.pageSize ?? httpListWatchDefaults.pageSize);
    this.#idleTimeoutMs = positive('idleTimeoutMs', options.idleTimeoutMs ?? httpListWatchDefaults.idleTimeoutMs);
    this.#requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs ?? httpListWatchDefaults.requestTimeoutMs);
    this.#catchUp = options.catchUp ?? httpListWatchDefaults.catchUp;
    this.#itemsPerLeaf = positive('itemsPerLeaf', options.itemsPerLeaf ?? httpListWatchDefaults.itemsPerLeaf);
    this.#dispatcher = options.dispatcher ?? (options.ca === undefined ? undefined : new Agent({ connect: { ca: options.ca } }));
  }

  /** A snapshot of the counters. */
  get stats(): HttpListWatchStats {
    return { ...this.#stats };
  }

  /** List: a digest catch-up when the mirror has items (falling back to a full list on 410), else every page. */
  async list(signal: AbortSignal): Promise<ListResult<T>> {
    const epoch = (): { epoch?: string } => (this.#sourceEpoch === undefined ? {} : { epoch: this.#sourceEpoch });
    if (this.#catchUp && this.#mirrored && this.#mirror.size > 0) {
      const revision = await this.#catchUpOnce(signal);
      if (revision !== undefined) return { revision, items: Array.from(this.#mirror.values()), ...epoch() };
    }
    const { revision, items } = await this.#fullList(signal);
    return { revision, items: Array.from(items.values()), ...epoch() };
  }

  /**
   * Stream the changes after `fromRevision`; `established` settles when the server accepted the watch (its 200),
   * so the Informer counts a healthy watch from then, not from a connect that may hang.
   * @throws {@link ExpiredError} on 410 or an `expired` line.
   */
  watch(fromRevision: string, signal: AbortSignal): WatchStream<T> {
    let resolve = (): void => {};
    const established = new Promise<void>((settle) => {
      resolve = settle;
    });
    return { established, [Symbol.asyncIterator]: () => this.#watch(fromRevision, signal, resolve) };
  }

  async #fullList(signal: AbortSignal): Promise<{ revision: string; items: Map<string, Versioned<T>> }> {
    for (;;) {
      const fresh = new Map<string, Versioned<T>>();
      let cont: string | undefined;
      let first: WireListPage<T> | undefined;
      let expired = false;
      do {
        const query = { limit: String(this.#pageSize), ...(cont === undefined ? {} : { continue: cont }) };
        const answer = await this.#json<WireListPage<T>>('GET', '', query, undefined, signal);
        if (answer === 'expired') {
          expired = true;
          break;
        }
        first ??= answer;
        for (const item of answer.items) fresh.set(item.key, item);
        cont = answer.continue;
      } while (cont !== undefined);
      if (expired || first === undefined) continue; // the snapshot of a paged list timed out: start over
      if (this.#catchUp) this.#mirror = fresh;
      this.#sourceEpoch = first.sourceEpoch;
      this.#mirrored = this.#catchUp;
      this.#stats.lists++;
      return { revision: first.revision, items: fresh };
    }
  }

  async #catchUpOnce(signal: AbortSignal): Promise<string | undefined> {
    const shape = shapeFor(this.#mirror.size, this.#itemsPerLeaf);
    const prints = Array.from(fingerprintsOf(this.#mirror.values()));
    const shapeQuery = { buckets: String(shape.buckets), fanOut: String(shape.fanOut) };
    const top = encodeDigest(buildDigest(prints, shape.buckets));
    const epoch = this.#sourceEpoch === undefined ? {} : { sourceEpoch: this.#sourceEpoch };
    const round1 = await this.#json<WireDigestAnswer>('POST', '/catch-up', { ...shapeQuery, ...epoch }, top, signal);
    if (round1 === 'expired') return undefined;
    this.#stats.bytesSent += top.length;
    const theirs = decodeDigest(Buffer.from(round1.subDigests, 'base64'), round1.buckets.length * shape.fanOut * 2);
    if (theirs === undefined) throw new SourceError('catch-up: the sub-digests do not match the differing buckets');
    const leaves = differingLeaves(buildSubDigests(prints, shape, round1.buckets), theirs, shape, round1.buckets);
    const wanted = encodeDigest(Uint32Array.from(leaves));
    const round2 = await this.#json<WireCatchUp<T>>('POST', '/catch-up', { ...shapeQuery, since: round1.revision }, wanted, signal);
    if (round2 === 'expired') return undefined;
    this.#stats.bytesSent += wanted.length;
    applyCatchUp(this.#mirror, shape, round2.leaves, round2.items);
    this.#stats.catchUps++;
    this.#stats.catchUpItems += round2.items.length;
    return round2.revision;
  }

  async #json<R>(method: 'GET' | 'POST', path: string, query: Record<string, string>, body: Uint8Array | undefined, signal: AbortSignal): Promise<R | 'expired'> {
    const res = await this.#request(method, path, query, body, signal, this.#requestTimeoutMs);
    let raw: Buffer;
    try {
      raw = Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (err instanceof errors.BodyTimeoutError) throw new TimeoutError(`${method} ${this.#url.pathname}${path}: the answer went silent for ${this.#requestTimeoutMs} ms`, { cause: err });
      throw new SourceError(`${method} ${this.#url.pathname}${path}: ${(err as Error).message}`, { cause: err });
    }
    this.#stats.bytesReceived += raw.length;
    if (res.statusCode === 410) return 'expired';
    const text = res.headers['content-encoding'] === 'gzip' ? await gunzip(raw) : raw.toString('utf8');
    if (res.statusCode !== 200) {
      const retryable = res.statusCode !== 400 && res.statusCode !== 401 && res.statusCode !== 403;
      throw new SourceError(`${method} ${this.#url.pathname}${path}: HTTP ${res.statusCode}`, { status: res.statusCode, ...errorCode(text), retryable });
    }
    try {
      return JSON.parse(text) as R;
    } catch (err) {
      throw new SourceError(`${method} ${this.#url.pathname}${path}: the answer is not JSON`, { cause: err });
    }
  }

  async #request(method: 'GET' | 'POST', path: string, query: Record<string, string>, body: Uint8Array | undefined, signal: AbortSignal, bodyTimeout: number): Promise<Dispatcher.ResponseData> {
    const url = new URL(this.#url);
    url.pathname = `${url.pathname.replace(/\/$/, '')}${path}`;
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    if (this.#prefix !== '') url.searchParams.set('prefix', this.#prefix);
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip' };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token()}`;
    if (body !== undefined) headers['content-type'] = 'application/octet-stream';
    try {
      return await request(url, {
        method,
        headers,
        signal,
        headersTimeout: this.#requestTimeoutMs,
        bodyTimeout,
        ...(body === undefined ? {} : { body }),
        ...(this.#dispatcher === undefined ? {} : { dispatcher: this.#dispatcher }),
      });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (err instanceof errors.HeadersTimeoutError) throw new TimeoutError(`${method} ${this.#url.pathname}${path}: no answer in ${this.#requestTimeoutMs} ms`, { cause: err });
      throw new SourceError(`${method} ${this.#url.pathname}${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  async *#watch(fromRevision: string, signal: AbortSignal, established: () => void): AsyncGenerator<WatchEvent<T>> {
    const res = await this.#request('GET', '', { watch: '1', revision: fromRevision }, undefined, signal, this.#idleTimeoutMs);
    if (res.statusCode !== 200) {
      const text = await res.body.text().catch(() => '');
      if (res.statusCode === 410) throw new ExpiredError(`revision ${fromRevision} is out of the server's history; relist`);
      throw new SourceError(`watch ${this.#url.pathname}: HTTP ${res.statusCode}`, { status: res.statusCode, ...errorCode(text) });
    }
    established();
    try {
      for await (const event of parseNdjson<WireEvent<T>>(res.body, (n) => {
        this.#stats.bytesReceived += n;
      })) {
        if (event.type === 'expired') throw new ExpiredError(`the server cut the watch off: ${event.message}`);
        if (event.type !== 'bookmark') this.#remember(event);
        yield event;
      }
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (err instanceof errors.BodyTimeoutError) throw new TimeoutError(`watch ${this.#url.pathname}: silent for ${this.#idleTimeoutMs} ms`, { cause: err });
      if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('NITROX_')) throw err;
      throw new SourceError(`watch ${this.#url.pathname}: ${(err as Error).message}`, { cause: err });
    } finally {
      res.body.destroy();
    }
  }

  #remember(event: Extract<WireEvent<T>, { item: Versioned<T> }>): void {
    if (!this.#mirrored) return;
    const { item } = event;
    const cached = this.#mirror.get(item.key);
    if (cached !== undefined && cached.version > item.version) return; // a concurrent watch from an older revision
    if (event.type === 'deleted') this.#mirror.delete(item.key);
    else this.#mirror.set(item.key, item);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(name, `must be a positive integer, got ${String(value)}`);
  return value;
}

/** The server's error code of an error answer, as `peerCode`. */
function errorCode(text: string): { peerCode?: string } {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return typeof code === 'string' ? { peerCode: code } : {};
  } catch {
    return {};
  }
}

async function gunzip(raw: Buffer): Promise<string> {
  const chunks: Buffer[] = [];
  const stream = createGunzip();
  stream.end(raw);
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
