/**
 * One etcd watch over a key prefix as an async iterable of core `WatchEvent`s. It asks for the previous value
 * of deleted keys (so a `deleted` event carries the last stored state), turns etcd's progress notifications (a
 * response without events; the header revision says every earlier event was sent) into bookmarks, and maps a
 * cancellation for compaction to `ExpiredError`. It never resumes by itself: when the stream drops or stays
 * silent past the idle timeout, the iterable ends and the caller (an `Informer`) watches again from the last
 * revision it saw — the `etcd3` client's own resume point is the header revision of the last response, which
 * can run ahead of the events received while etcd is still replaying more than 1000 revisions.
 */
import { ExpiredError, MalformedEventError, type Versioned, type WatchEvent } from '@nitrox/core';
import type { Etcd3, IKeyValue, IWatchResponse } from 'etcd3';
import type { Codec } from './codec.js';
import { isCompacted, toNitroxError } from './etcd-errors.js';

/** What {@link watchPrefix} needs. */
export interface PrefixWatchOptions<T> {
  readonly client: Etcd3;
  /** The full key prefix in etcd (bytes). */
  readonly prefix: Buffer;
  readonly codec: Codec<T>;
  /** Revision after which events are wanted. */
  readonly fromRevision: number;
  /** End the watch after this long without any message (events or progress notifications). */
  readonly idleTimeoutMs: number;
  /** Called when the watch ends for silence (the client's stream may be stuck). */
  readonly onIdle: () => void;
  /** Called for an event whose value does not decode (it is skipped). */
  readonly onMalformed: (error: MalformedEventError) => void;
}

type Entry<T> = { events: WatchEvent<T>[] } | { error: Error } | { end: true };

/** The key of `kv` without the store's prefix. */
export function keyOf(kv: IKeyValue, prefix: Buffer): string {
  return kv.key.subarray(prefix.length).toString('utf8');
}

/** `kv` as a versioned item (version = mod_revision), or a `MalformedEventError` when its value does not decode. */
export function itemOf<T>(kv: IKeyValue, prefix: Buffer, codec: Codec<T>): Versioned<T> | MalformedEventError {
  const key = keyOf(kv, prefix);
  try {
    return { key, version: Number(kv.mod_revision), value: codec.decode(kv.value) };
  } catch (err) {
    return new MalformedEventError(`etcd key "${key}" at revision ${kv.mod_revision} does not decode; skipped`, { cause: err });
  }
}

/** Translate one watch response into core events. */
function eventsOf<T>(res: IWatchResponse, o: PrefixWatchOptions<T>): WatchEvent<T>[] {
  if (res.events.length === 0) return [{ type: 'bookmark', revision: String(res.header.revision) }];
  const out: WatchEvent<T>[] = [];
  for (const ev of res.events) {
    const revision = String(ev.kv.mod_revision);
    if (ev.type === 'Delete') {
      // The last stored state when etcd still has it; else only the key is known (an Informer needs no more).
      const prev = ev.prev_kv ? itemOf(ev.prev_kv, o.prefix, o.codec) : undefined;
      const item =
        prev === undefined || prev instanceof MalformedEventError
          ? ({ key: keyOf(ev.kv, o.prefix), version: Number(revision), value: undefined } as unknown as Versioned<T>)
          : prev;
      out.push({ type: 'deleted', revision, item });
      continue;
    }
    const item = itemOf(ev.kv, o.prefix, o.codec);
    if (item instanceof MalformedEventError) {
      o.onMalformed(item);
      out.push({ type: 'bookmark', revision }); // the revision is still seen: a resume need not replay it
      continue;
    }
    out.push({ type: ev.kv.create_revision === ev.kv.mod_revision ? 'added' : 'modified', revision, item });
  }
  return out;
}

/** Watch every key under `prefix` strictly after `fromRevision` until `signal` aborts, the stream drops or idles. */
export async function* watchPrefix<T>(o: PrefixWatchOptions<T>, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
  if (signal.aborted) throw signal.reason;
  const queue: Entry<T>[] = [];
  let wake: (() => void) | undefined;
  const push = (entry: Entry<T>): void => {
    queue.push(entry);
    wake?.();
  };
  let idle: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      push({ end: true });
      o.onIdle();
    }, o.idleTimeoutMs);
  };
  const watcher = o.client
    .watch()
    .prefix(o.prefix)
    .withPreviousKV()
    .startRevision(String(o.fromRevision + 1))
    .watcher();
  watcher.on('connected', armIdle);
  watcher.on('data', (res: IWatchResponse) => {
    armIdle();
    push({ events: eventsOf(res, o) });
  });
  watcher.on('error', (err: Error) => {
    void whyCancelled(o, err).then((error) => push({ error }));
  });
  watcher.on('disconnected', () => push({ end: true }));
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort, { once: true });
  armIdle();
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const entry = queue.shift();
      if (entry === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      if ('error' in entry) throw entry.error;
      if ('end' in entry) return;
      yield* entry.events;
    }
  } finally {
    clearTimeout(idle);
    signal.removeEventListener('abort', onAbort);
    watcher.removeAllListeners('data');
    watcher.on('error', () => {}); // a late cancellation must not become an unhandled 'error' event
    watcher.cancel().catch(() => {});
  }
}

/**
 * etcd 3.4 cancels a watch from a compacted revision with an empty reason (the compact revision is in a field
 * the `etcd3` client drops), so ask: a read at the first wanted revision fails the same way when it is
 * compacted, or when it is ahead of the store (a revision of another cluster or of a wiped one).
 */
async function whyCancelled<T>(o: PrefixWatchOptions<T>, err: Error): Promise<Error> {
  if (isCompacted(err)) return toNitroxError(err, 'etcd watch');
  try {
    await o.client.kv.range({ key: o.prefix, revision: o.fromRevision + 1, limit: 1, keys_only: true });
  } catch (probe) {
    if (isCompacted(probe) || /future revision/i.test(String(probe))) {
      return new ExpiredError(`etcd watch from revision ${o.fromRevision}: ${String((probe as Error).message)}; relist`, { cause: err });
    }
  }
  return toNitroxError(err, 'etcd watch');
}

/** A revision given to `watch` that no etcd can have issued. */
export function badRevision(fromRevision: unknown): ExpiredError {
  return new ExpiredError(`"${String(fromRevision)}" is not an etcd revision; relist`);
}
