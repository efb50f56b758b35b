/**
 * The public shapes of an {@link Informer}: its options and their defaults, its events, the change records of
 * `changes$` and its counters; plus the small validation helpers it applies to untrusted source data.
 */
import type { EventEmitter } from 'eventemitter3';
import { Observable } from 'rxjs';
import type { IndexFunctions } from './cache.js';
import type { Clock } from './clock.js';
import { ConfigError, type NitroxError } from './errors.js';
import type { Versioned, WatchEvent } from './list-watch.js';
import type { RetryBackoffOptions } from './retry-backoff.js';

/** Options of Informer. */
export interface InformerOptions<T> {
  /** Name used in errors and logs. @defaultValue 'informer' */
  name?: string;
  /** Time source for backoff, idle timeout and resync. @defaultValue systemClock */
  clock?: Clock;
  /** Randomness for backoff jitter. @defaultValue Math.random */
  random?: () => number;
  /** Emit `resync` for every cached item this often; 0 turns it off. @defaultValue 0 */
  resyncMs?: number;
  /**
   * Abort a watch that delivered no event (bookmarks count) for this long and re-watch from the last revision.
   * Pick the source's server-side watch timeout plus a margin; 0 turns it off.
   * @defaultValue 600_000 (10 min)
   */
  idleTimeoutMs?: number;
  /** Reconnect backoff. @defaultValue `retryBackoffDefaults` */
  backoff?: Omit<RetryBackoffOptions, 'clock' | 'random'>;
  /** Secondary indexes of the cache. @defaultValue `{}` */
  indexes?: IndexFunctions<T>;
  /**
   * Applied to every item at ingest, before it is cached or emitted (like client-go's SetTransform): trim what
   * you do not need. Must keep `key` and `version`.
   */
  transform?: (item: Versioned<T>) => Versioned<T>;
  /** Value equality used by a relist for items whose version changed. @defaultValue fast-deep-equal */
  equals?: (a: T, b: T) => boolean;
}

/** Defaults of {@link InformerOptions}. */
export const informerDefaults = {
  name: 'informer',
  resyncMs: 0,
  /** Kubernetes servers close watches after 5–10 min; a silent stream past that is half-open. */
  idleTimeoutMs: 600_000,
} as const;

/** Events of an Informer. */
export interface InformerEvents<T> {
  /** A key appeared. */
  added: (item: Versioned<T>) => void;
  /** A key changed. */
  updated: (item: Versioned<T>, previous: Versioned<T>) => void;
  /** A key vanished; `item` is its last known state. */
  deleted: (item: Versioned<T>) => void;
  /** Periodic resync: the item did not necessarily change. */
  resync: (item: Versioned<T>) => void;
  /** The first list has been applied: the cache is complete. Emitted once. */
  synced: () => void;
  /** A relist (after the first list) has been applied. */
  relisted: () => void;
  /** The watch was re-opened (it ended, went silent, expired or failed). */
  restarted: (reason: Error) => void;
  /** Contact with the source was lost: a list or watch failed or a watch ended (see `disconnectedSince`). */
  disconnected: (reason: Error) => void;
  /** Contact is back (a list answered, or a watch delivered an event or stayed open a second) after `downMs`. */
  reconnected: (downMs: number) => void;
  /** A list or watch failed (it will be retried) or a malformed event was skipped. */
  error: (err: NitroxError) => void;
}

/** One change, as delivered by `Informer.changes$`. */
export interface InformerChange<T> {
  readonly type: 'added' | 'updated' | 'deleted' | 'resync';
  readonly item: Versioned<T>;
  readonly previous?: Versioned<T>;
}

/** Counters of an Informer. */
export interface InformerStats {
  /** Lists applied (the first one included). */
  readonly lists: number;
  /** Lists after the first one. */
  readonly relists: number;
  /** Watches re-opened. */
  readonly watchRestarts: number;
  /** List/watch failures (each followed by backoff and a retry). */
  readonly errors: number;
  /** Malformed events and list items skipped. */
  readonly malformed: number;
  /** Watch events ingested (bookmarks included, malformed excluded). */
  readonly events: number;
}

/** Whether `value` has the shape of a {@link Versioned} item: a non-empty string key and a finite numeric version. */
export function isVersionedItem(value: unknown): value is Versioned<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const { key, version } = value as { key?: unknown; version?: unknown };
  return typeof key === 'string' && key !== '' && typeof version === 'number' && Number.isFinite(version);
}

/** `raw` itself when it has the shape of a watch event, else why it is malformed (never its content). */
export function checkWatchEvent(raw: unknown): WatchEvent<unknown> | string {
  if (typeof raw !== 'object' || raw === null) return `watch event is ${describeType(raw)}`;
  const { type, revision, item } = raw as { type?: unknown; revision?: unknown; item?: unknown };
  if (typeof revision !== 'string' || revision === '') return 'watch event has no revision';
  if (type === 'bookmark') return raw as WatchEvent<unknown>;
  if (type !== 'added' && type !== 'modified' && type !== 'deleted') {
    return `unknown watch event type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 32)) : describeType(type)}`;
  }
  if (!isVersionedItem(item)) return `${type} event has no item with a string key and numeric version`;
  return raw as WatchEvent<unknown>;
}

/** A short description of what `value` is, for error messages (never its content). */
export function describeType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** `value` when it is a finite number >= 0. @throws {@link ConfigError} naming `name` otherwise. */
export function nonNegativeOption(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(name, `must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

/** The change stream of an informer's events as an rxjs Observable (each subscription attaches its own listeners). */
export function changesOf<T>(informer: EventEmitter<InformerEvents<T>>): Observable<InformerChange<T>> {
  return new Observable<InformerChange<T>>((subscriber) => {
    const added = (item: Versioned<T>): void => subscriber.next({ type: 'added', item });
    const updated = (item: Versioned<T>, previous: Versioned<T>): void => subscriber.next({ type: 'updated', item, previous });
    const deleted = (item: Versioned<T>): void => subscriber.next({ type: 'deleted', item });
    const resync = (item: Versioned<T>): void => subscriber.next({ type: 'resync', item });
    informer.on('added', added).on('updated', updated).on('deleted', deleted).on('resync', resync);
    return () => {
      informer.off('added', added).off('updated', updated).off('deleted', deleted).off('resync', resync);
    };
  });
}
