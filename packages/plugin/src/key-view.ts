/**
 * A view of one key of a shared `ListWatch`: lists and watches only that key, passing bookmarks through. One
 * source (with its informers and projection) serves every mapping that reads from it, and each mapping's
 * controller sees only its own application, so a change to one app never wakes another mapping's queue.
 */
import type { ListResult, ListWatch, WatchEvent } from '@nitrox/core';

/** Options of {@link keyView}. */
export interface KeyViewOptions<T, U> {
  /** Turn the source's value into the view's (e.g. rename a BackendSet to its pool). @defaultValue identity */
  map?: (value: T) => U;
}

/** A `ListWatch` holding only `key` of `source`. */
export function keyView<T, U = T>(source: ListWatch<T>, key: string, options: KeyViewOptions<T, U> = {}): ListWatch<U> {
  const map = options.map ?? ((value: T) => value as unknown as U);
  return {
    async list(signal: AbortSignal): Promise<ListResult<U>> {
      const { revision, items } = await source.list(signal);
      return {
        revision,
        items: items.filter((item) => item.key === key).map((item) => ({ ...item, value: map(item.value) })),
      };
    },
    async *watch(fromRevision: string, signal: AbortSignal): AsyncIterable<WatchEvent<U>> {
      for await (const event of source.watch(fromRevision, signal)) {
        if (event.type === 'bookmark') yield event;
        else if (event.item.key === key) yield { ...event, item: { ...event.item, value: map(event.item.value) } };
        // Other keys' changes still advance the revision: report them as bookmarks so a watch restart resumes
        // from the newest revision instead of one that may have fallen out of history meanwhile.
        else yield { type: 'bookmark', revision: event.revision };
      }
    },
  };
}
