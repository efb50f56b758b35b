/**
 * Options, defaults and counters of {@link serveListWatch}, with the eager validation of each option.
 */
import { ConfigError, type InformerOptions } from '@nitrox/core';
import type { TokenSource } from './token.js';

/** Options of `serveListWatch`. */
export interface ServeOptions {
  /** Path segment the source is served under: `GET /<collection>`. @defaultValue 'items' */
  collection?: string;
  /** Require `Authorization: Bearer <token>` (a string, `{ env }` or `{ file }`, re-read per request). */
  token?: TokenSource;
  /** Changes kept for followers to resume from; a follower further behind catches up or relists. @defaultValue 10_000 */
  historyLimit?: number;
  /** A follower whose unsent changes exceed this many (its socket stays full) is cut off. @defaultValue 10_000 */
  maxBacklog?: number;
  /** Open watches allowed at once; more get 429. @defaultValue 10_000 */
  maxWatches?: number;
  /** Bookmark a quiet watch this often. @defaultValue 10_000 */
  bookmarkIntervalMs?: number;
  /** Close a watch after this long (the follower re-watches at once), as Kubernetes' timeoutSeconds. @defaultValue 300_000 */
  watchTimeoutMs?: number;
  /** Items per list page when the follower gives no `limit`; also the largest `limit` allowed is 10x it. @defaultValue 1000 */
  pageSize?: number;
  /** How long a request waits for the first list of the source before a 503 (the follower backs off). @defaultValue 5_000 */
  syncTimeoutMs?: number;
  /** How long an unfinished paged list keeps its snapshot for `continue`. @defaultValue 60_000 */
  continueTtlMs?: number;
  /** Gzip list and catch-up answers larger than this many bytes when the follower accepts gzip. @defaultValue 1024 */
  compressAboveBytes?: number;
  /**
   * Identity of the source's version numbering, for a source that does not report one (`ListResult.epoch`) and
   * whose numbering restarts with the process — an in-memory store: pass a fresh value per process life (e.g.
   * `randomUUID()`), so that a follower never compares a version of the last life with one of this life (a
   * catch-up across lives is then refused and the follower relists). Absent: the source's list epoch is used,
   * and when it has none the versions are trusted across server restarts (right for a durable source).
   */
  sourceEpoch?: string;
  /** Options of the informer that follows the source. */
  informer?: Omit<InformerOptions<unknown>, 'transform' | 'indexes' | 'equals'>;
}

/** Defaults of {@link ServeOptions}. */
export const serveDefaults = {
  collection: 'items',
  /** A minute of 150 changes/s; a ring slot is one shared line, so 10k cost ~2 MB for 200-byte items. */
  historyLimit: 10_000,
  /** As much as history: past it the follower could not resume anyway. */
  maxBacklog: 10_000,
  maxWatches: 10_000,
  /** Well under the follower's default idle timeout (30 s): three missed bookmarks mean a dead stream. */
  bookmarkIntervalMs: 10_000,
  watchTimeoutMs: 300_000,
  pageSize: 1000,
  /** Long enough for a local store or a short source list; a follower must not hang on a source that is down. */
  syncTimeoutMs: 5_000,
  continueTtlMs: 60_000,
  compressAboveBytes: 1024,
} as const;

/** Resolved options. */
export type ResolvedServeOptions = Required<Omit<ServeOptions, 'token' | 'informer' | 'sourceEpoch'>> & Pick<ServeOptions, 'token' | 'informer' | 'sourceEpoch'>;

/** Counters of a served source (read `handler.stats`). */
export interface ServeStats {
  /** List pages answered. */
  listPages: number;
  /** Watches open now. */
  watchesOpen: number;
  /** Watches opened in total. */
  watches: number;
  /** Watches cut off because the follower's backlog overflowed. */
  cutOff: number;
  /** Watch requests answered 410 (revision out of history or of another server life). */
  expired: number;
  /** Catch-ups answered, and the items they sent. */
  catchUps: number;
  catchUpItems: number;
  /** Requests refused: 401 (token), 429 (too many watches), 400 (bad request), 503 (source not listed yet). */
  unauthorized: number;
  tooMany: number;
  badRequests: number;
  unavailable: number;
  /** Body bytes sent (after compression), watches included. */
  bytesSent: number;
}

/** Validate `options`. @throws {@link ConfigError} naming the bad option. */
export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  const positive = (name: keyof typeof serveDefaults): number => {
    const value = (options[name] as number | undefined) ?? (serveDefaults[name] as number);
    if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(name, `must be a positive integer, got ${String(value)}`);
    return value;
  };
  const collection = options.collection ?? serveDefaults.collection;
  if (!/^[A-Za-z0-9._~-]+$/.test(collection)) throw new ConfigError('collection', 'must be one URL path segment');
  return {
    collection,
    historyLimit: positive('historyLimit'),
    maxBacklog: positive('maxBacklog'),
    maxWatches: positive('maxWatches'),
    bookmarkIntervalMs: positive('bookmarkIntervalMs'),
    watchTimeoutMs: positive('watchTimeoutMs'),
    pageSize: positive('pageSize'),
    syncTimeoutMs: positive('syncTimeoutMs'),
    continueTtlMs: positive('continueTtlMs'),
    compressAboveBytes: positive('compressAboveBytes'),
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.informer === undefined ? {} : { informer: options.informer }),
    ...(options.sourceEpoch === undefined ? {} : { sourceEpoch: options.sourceEpoch }),
  };
}
