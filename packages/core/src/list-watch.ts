/**
 * The contract every source and store implements: a consistent `list` that returns the revision it was read
 * at, and a `watch` that streams the changes strictly after a revision. Revisions are opaque strings at this
 * level; only the component that issued one may order it.
 */

/** A value with its key and a per-store, monotonic version. */
export interface Versioned<T> {
  /** Unique key within the store. */
  readonly key: string;
  /** Monotonic per-store version of this value; a newer value of a key always has a larger version. */
  readonly version: number;
  /** The value itself. */
  readonly value: T;
  /** The source's own opaque version (for example a Kubernetes resourceVersion), kept alongside. */
  readonly sourceVersion?: string;
}

/** The result of a consistent list: every item, and the revision the collection was read at. */
export interface ListResult<T> {
  /** Opaque revision of the whole collection; a watch from it sees every later change. */
  readonly revision: string;
  /** All items at that revision. */
  readonly items: readonly Versioned<T>[];
  /**
   * Identity of the version numbering: versions (and revisions) are comparable only within one epoch. A source
   * whose numbering starts again when it restarts (a `Projection` numbers its keys anew in every process) returns
   * a new epoch each time, so a consumer that remembers versions (`AppliedVersions`) knows to stop comparing
   * with the old ones. Absent: the numbering never restarts (or the source cannot tell).
   */
  readonly epoch?: string;
}

/** One change delivered by a watch. `bookmark` carries only a newer revision, no object. */
export type WatchEvent<T> =
  | { readonly type: 'added'; readonly revision: string; readonly item: Versioned<T> }
  | { readonly type: 'modified'; readonly revision: string; readonly item: Versioned<T> }
  | { readonly type: 'deleted'; readonly revision: string; readonly item: Versioned<T> }
  | { readonly type: 'bookmark'; readonly revision: string };

/** The kinds of {@link WatchEvent}. */
export type WatchEventType = WatchEvent<unknown>['type'];

/**
 * What a `watch` may return: the stream, and optionally a promise that settles once the peer has accepted the watch
 * (the HTTP response headers arrived, the gRPC watch was created). A consumer that judges a watch by how long it
 * stayed open (an `Informer`: a watch open a second counts as healthy) counts from then; without it, from the call —
 * so a connect that hangs would look like a healthy quiet watch.
 */
export interface WatchStream<T> extends AsyncIterable<WatchEvent<T>> {
  /** Settles when the watch is established; never settles when it fails before that. */
  readonly established?: Promise<void>;
}

/**
 * List and watch a keyed collection.
 *
 * @example
 * ```ts
 * const { revision, items } = await source.list(signal);
 * for await (const event of source.watch(revision, signal)) console.log(event.type);
 * ```
 */
export interface ListWatch<T> {
  /**
   * Read every item consistently, with the revision of the read. The read may be *older* than what an earlier
   * list or watch delivered (a cache, a lagging replica, a proxy may answer), as long as it is consistent and a
   * watch from its revision sees every later change. Consumers must cope: a `Controller` treats a key
   * absent from a list as an *inferred* deletion, which the value of the same version, brought back by the
   * watch, overrides (see `AppliedRecord.inferred`).
   */
  list(signal: AbortSignal): Promise<ListResult<T>>;
  /**
   * Stream every change strictly after `fromRevision`. The iterable ends when the server closes the watch
   * (the caller watches again from the last revision it saw) or when `signal` aborts.
   *
   * @returns the stream; a {@link WatchStream} may also tell when the peer accepted it.
   * @throws {@link ExpiredError} when `fromRevision` is older than the retained history (relist).
   */
  watch(fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent<T>> | WatchStream<T>;
}
