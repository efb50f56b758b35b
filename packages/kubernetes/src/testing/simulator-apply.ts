/**
 * Server-side apply of the API-server simulator, simplified: the applied configuration is merged into the live
 * object like a strategic merge patch, and what the same field manager applied last time but left out now is
 * removed (map keys, and list items by their patch merge key) — the effect of field ownership for a single
 * manager. Not modelled: `managedFields`, conflicts between managers (`force` is accepted and changes nothing),
 * and ownership shared with other writers.
 */
import { mergeKeyAt, strategicMerge } from './simulator-patch.js';
import type { KubeObject } from './simulator-store.js';

type Json = unknown;
type JsonObject = Record<string, Json>;
const isObject = (value: Json): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A strategic merge patch that removes what `before` set and `after` no longer does. */
function removals(kind: string, path: string, before: Json, after: Json): JsonObject | undefined {
  if (!isObject(before)) return undefined;
  const next = isObject(after) ? after : {};
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(before)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (!(key in next)) {
      patch[key] = null;
      continue;
    }
    const mergeKey = mergeKeyAt(kind, at);
    if (Array.isArray(value) && Array.isArray(next[key]) && mergeKey !== undefined) {
      const kept = new Set((next[key] as Json[]).map((item) => JSON.stringify(isObject(item) ? item[mergeKey] : item)));
      const gone = value.filter((item) => isObject(item) && !kept.has(JSON.stringify(item[mergeKey])));
      const inner = (value as Json[]).flatMap((item) => {
        if (!isObject(item)) return [];
        const counterpart = (next[key] as Json[]).find((n) => isObject(n) && JSON.stringify(n[mergeKey]) === JSON.stringify(item[mergeKey]));
        const nested = counterpart === undefined ? undefined : removals(kind, `${at}[]`, item, counterpart);
        return nested ? [{ ...nested, [mergeKey]: item[mergeKey] }] : [];
      });
      const items = [...gone.map((item) => ({ [mergeKey]: (item as JsonObject)[mergeKey], $patch: 'delete' })), ...inner];
      if (items.length > 0) patch[key] = items;
    } else if (isObject(value)) {
      const nested = removals(kind, at, value, next[key]);
      if (nested) patch[key] = nested;
    }
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** What each field manager applied last, per object uid. */
export class ApplyState {
  readonly #applied = new Map<string, KubeObject>();

  /** The object after applying `applied` as `manager` onto `live` (or the applied object itself when there is none). */
  merge(kind: string, live: KubeObject | undefined, applied: KubeObject, manager: string): KubeObject {
    if (!live) return applied;
    const key = `${String(live.metadata.uid)}/${manager}`;
    let merged = strategicMerge(kind, '', live, applied) as KubeObject;
    const removed = removals(kind, '', this.#applied.get(key), applied);
    if (removed) merged = strategicMerge(kind, '', merged, removed) as KubeObject;
    return merged;
  }

  /** Remember what `manager` applied to the stored object. */
  remember(stored: KubeObject, applied: KubeObject, manager: string): void {
    this.#applied.set(`${String(stored.metadata.uid)}/${manager}`, structuredClone(applied));
  }
}
