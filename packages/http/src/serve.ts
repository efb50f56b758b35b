/**
 * `serveListWatch`: any core `ListWatch` as an HTTP resource for remote followers, in the shape of the
 * Kubernetes API server's list/watch. `GET /<collection>` lists (paged over one snapshot, with the revision
 * the whole list is consistent with); `?watch=1&revision=R` streams NDJSON changes strictly after R, with
 * bookmarks while quiet and `410` when R is out of history; `POST /<collection>/catch-up` answers the two
 * rounds of a digest catch-up (see digest.ts). `prefix` filters keys everywhere. The handler works standalone,
 * under `node:http`/`https`, or mounted in another server (it calls `next` for paths that are not its own).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { Informer, type ListWatch, type Versioned } from '@nitrox/core';
import { decodeDigest, maxBuckets, maxFanOut } from './digest.js';
import { FanOut } from './fan-out.js';
import { parseRevision, type WireError, type WireListPage } from './protocol.js';
import { resolveServeOptions, type ServeOptions, type ServeStats } from './server-options.js';
import { bearerMatches, tokenReader } from './token.js';
import { streamWatch } from './watch-stream.js';

const gzip = promisify(gzipCallback);

/** The body of `req`, or `undefined` when it is longer than `max` bytes. */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A Node HTTP handler serving one source, with its lifecycle and counters. */
export interface ListWatchHandler {
  /** Handle `req`; calls `next` (or answers 404) for paths outside the collection. */
  (req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  /** Start following the source (the first request does it too). */
  start(): void;
  /** Resolve once the source has been listed and requests are answered. */
  ready(signal?: AbortSignal): Promise<void>;
  /** End every open watch and stop following the source. */
  stop(): Promise<void>;
  /** A snapshot of the counters. */
  readonly stats: Readonly<ServeStats>;
  /** Followers parked on the shared buffer (for tests and metrics). */
  readonly idleWatches: number;
  /** The current revision (what a list now would return). */
  readonly revision: string;
}

interface PagedList<T> {
  readonly revision: string;
  readonly items: readonly Versioned<T>[];
  offset: number;
  expiresAt: number;
}

/**
 * Serve `source` to followers over HTTP.
 *
 * @throws {@link ConfigError} when an option is invalid.
 * @example
 * ```ts
 * const handler = serveListWatch(store, { collection: 'pools', token: { file: '/run/secrets/token' } });
 * http.createServer(handler).listen(8080);
 * ```
 */
export function serveListWatch<T>(source: ListWatch<T>, options: ServeOptions = {}): ListWatchHandler {
  const o = resolveServeOptions(options);
  const token = o.token === undefined ? undefined : tokenReader(o.token);
  const informer = new Informer<T>(source, { name: `serve ${o.collection}`, ...o.informer });
  const fanOut = new FanOut<T>(informer, { historyLimit: o.historyLimit, sourceEpoch: o.sourceEpoch });
  const stats: ServeStats = {
    listPages: 0, watchesOpen: 0, watches: 0, cutOff: 0, expired: 0, catchUps: 0, catchUpItems: 0,
    unauthorized: 0, tooMany: 0, badRequests: 0, unavailable: 0, bytesSent: 0,
  };
  const pages = new Map<string, PagedList<T>>();
  const open = new Set<ServerResponse>();
  const base = `/${o.collection}`;
  let started = false;
  let stopped = false;

  const send = async (req: IncomingMessage, res: ServerResponse, status: number, body: unknown): Promise<void> => {
    let bytes: Buffer = Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store', vary: 'accept-encoding' };
    if (bytes.length > o.compressAboveBytes && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      bytes = await gzip(bytes);
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(bytes.length);
    stats.bytesSent += bytes.length;
    res.writeHead(status, headers).end(bytes);
  };
  const fail = (req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): Promise<void> => {
    const error: WireError = { code, message };
    return send(req, res, status, error);
  };

  const list = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams, prefix: string): Promise<void> => {
    const now = Date.now();
    for (const [id, page] of pages) if (page.expiresAt <= now) pages.delete(id);
    const limit = query.has('limit') ? Number(query.get('limit')) : o.pageSize;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > o.pageSize * 10) {
      stats.badRequests++;
      return fail(req, res, 400, 'NITROX_CONFIG', `limit must be an integer from 1 to ${o.pageSize * 10}`);
    }
    const cont = query.get('continue');
    let id: string;
    let paged: PagedList<T>;
    if (cont === null) {
      id = randomUUID();
      paged = { ...fanOut.snapshot(prefix), offset: 0, expiresAt: 0 };
    } else {
      const found = pages.get(cont);
      if (found === undefined) return fail(req, res, 410, 'NITROX_EXPIRED', 'continue token expired; list again');
      id = cont;
      paged = found;
    }
    const items = paged.items.slice(paged.offset, paged.offset + limit);
    paged.offset += items.length;
    const more = paged.offset < paged.items.length;
    if (more) {
      paged.expiresAt = now + o.continueTtlMs;
      pages.set(id, paged);
    } else pages.delete(id);
    stats.listPages++;
    const body: WireListPage<T> = {
      revision: paged.revision,
      ...(fanOut.sourceEpoch === undefined ? {} : { sourceEpoch: fanOut.sourceEpoch }),
      items,
      ...(more ? { continue: id } : {}),
    };
    return send(req, res, 200, body);
  };

  const watch = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams, prefix: string): Promise<void> => {
    const from = parseRevision(query.get('revision') ?? '', fanOut.epoch);
    if (from === undefined || from < fanOut.oldest || from > fanOut.seq) {
      stats.expired++;
      return fail(req, res, 410, 'NITROX_EXPIRED', 'revision out of history (or of another server life); relist');
    }
    if (open.size >= o.maxWatches) {
      stats.tooMany++;
      res.setHeader('retry-after', '5');
      return fail(req, res, 429, 'NITROX_SOURCE', 'too many watches');
    }
    open.add(res);
    stats.watches++;
    stats.watchesOpen++;
    try {
      await streamWatch(fanOut, res, from, prefix, o, stats);
    } finally {
      open.delete(res);
      stats.watchesOpen--;
    }
  };

  const catchUp = async (req: IncomingMessage, res: ServerResponse, query: URLSearchParams, prefix: string): Promise<void> => {
    const buckets = Number(query.get('buckets'));
    const fanOutParam = Number(query.get('fanOut'));
    if (!Number.isSafeInteger(buckets) || buckets < 1 || buckets > maxBuckets || !Number.isSafeInteger(fanOutParam) || fanOutParam < 1 || fanOutParam > maxFanOut) {
      stats.badRequests++;
      return fail(req, res, 400, 'NITROX_CONFIG', `buckets must be an integer from 1 to ${maxBuckets}, fanOut from 1 to ${maxFanOut}`);
    }
    const shape = { buckets, fanOut: fanOutParam };
    const sinceParam = query.get('since');
    // Round 1 carries the top digest (2 uint32 per bucket); round 2 the leaves it wants (at most one per leaf).
    const count = sinceParam === null ? buckets * 2 : undefined;
    const body = await readBody(req, (count ?? Math.min(buckets * fanOutParam, maxBuckets)) * 4);
    const words = body === undefined ? undefined : decodeDigest(body, count ?? Math.floor(body.length / 4));
    if (words === undefined) {
      stats.badRequests++;
      return fail(req, res, 400, 'NITROX_CONFIG', 'the body must be the digest (8 bytes per bucket) or the leaves (4 bytes each)');
    }
    if (sinceParam === null) {
      if ((query.get('sourceEpoch') ?? undefined) !== fanOut.sourceEpoch) {
        stats.expired++;
        return fail(req, res, 410, 'NITROX_EXPIRED', 'the source renumbered its versions; relist');
      }
      return send(req, res, 200, fanOut.compareDigest(prefix, shape, words));
    }
    const since = parseRevision(sinceParam, fanOut.epoch);
    const answer = since === undefined ? undefined : fanOut.leafContent(prefix, shape, since, Array.from(words));
    if (answer === undefined) {
      stats.expired++;
      return fail(req, res, 410, 'NITROX_EXPIRED', 'round 1 is out of history; catch up again');
    }
    stats.catchUps++;
    stats.catchUpItems += answer.items.length;
    return send(req, res, 200, answer);
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (token !== undefined && !bearerMatches(req.headers.authorization, token())) {
      stats.unauthorized++;
      res.setHeader('www-authenticate', 'Bearer');
      return fail(req, res, 401, 'NITROX_SOURCE', 'a valid bearer token is required');
    }
    handler.start();
    const synced = await fanOut.waitForSync(AbortSignal.timeout(o.syncTimeoutMs)).then(
      () => true,
      () => false,
    );
    if (!synced || stopped) {
      stats.unavailable++;
      res.setHeader('retry-after', '1');
      return fail(req, res, 503, stopped ? 'NITROX_SHUTDOWN' : 'NITROX_SOURCE', stopped ? 'stopping' : 'not synced with its source yet');
    }
    const prefix = url.searchParams.get('prefix') ?? '';
    const isCatchUp = url.pathname === `${base}/catch-up`;
    if (isCatchUp && req.method === 'POST') return catchUp(req, res, url.searchParams, prefix);
    if (!isCatchUp && req.method === 'GET') {
      return url.searchParams.get('watch') === '1' ? watch(req, res, url.searchParams, prefix) : list(req, res, url.searchParams, prefix);
    }
    res.setHeader('allow', isCatchUp ? 'POST' : 'GET');
    return fail(req, res, 405, 'NITROX_CONFIG', 'method not allowed');
  };

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: () => void): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== base && path !== `${base}/catch-up`) {
      if (next !== undefined) next();
      else void fail(req, res, 404, 'NITROX_CONFIG', 'no such collection');
      return;
    }
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) void fail(req, res, 500, 'NITROX_SOURCE', err instanceof Error ? err.message : 'internal error');
      else res.destroy();
    });
  }) as ListWatchHandler;
  handler.start = () => {
    if (started) return;
    started = true;
    fanOut.start();
  };
  handler.ready = (signal?: AbortSignal) => {
    handler.start();
    return fanOut.waitForSync(signal);
  };
  handler.stop = async () => {
    stopped = true;
    for (const res of open) res.end();
    await fanOut.stop();
  };
  Object.defineProperty(handler, 'stats', { get: () => ({ ...stats }) });
  Object.defineProperty(handler, 'idleWatches', { get: () => fanOut.waiting });
  Object.defineProperty(handler, 'revision', { get: () => fanOut.revision });
  return handler;
}
