/**
 * How a mapping sees its source: the mapping as the source plugin is told it, and the plugin's view of that app
 * re-keyed to the mapping's name (one key per controller, known before the first list).
 */
import type { BackendSet, ListResult, ListWatch } from '@nitrox/core';
import type { SourceMapping } from '@nitrox/plugin';
import type { ResolvedMapping } from '../config/load-config.js';

/** A single-key view whose key is renamed to `key` (the mapping's name), so the controller knows it in advance. */
export function mappingKeyed(view: ListWatch<BackendSet>, key: string): ListWatch<BackendSet> {
  return {
    async list(signal: AbortSignal): Promise<ListResult<BackendSet>> {
      const { revision, items } = await view.list(signal);
      return { revision, items: items.map((item) => ({ ...item, key })) };
    },
    async *watch(fromRevision: string, signal: AbortSignal) {
      for await (const event of view.watch(fromRevision, signal)) yield event.type === 'bookmark' ? event : { ...event, item: { ...event.item, key } };
    },
  };
}

/** A mapping as its source plugin sees it. */
export function sourceMapping(m: ResolvedMapping): SourceMapping {
  return { name: m.name, app: m.app, pool: m.pool, options: m.sourceOptions };
}
