/**
 * PATCH of the API-server simulator: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge
 * patch with the patch strategies of the served types (lists merged by their `patchMergeKey`, e.g. Service
 * `spec.ports` by `port`, conditions by `type`, Pod containers by `name`; lists the real types mark atomic —
 * Endpoints `subsets`, EndpointSlice `endpoints` and `ports` — are replaced), with the `$patch`,
 * `$setElementOrder/…`, `$retainKeys` and `$deleteFromPrimitiveList/…` directives that kubectl sends.
 */
import { QueryError } from './simulator-request.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const clone = <T>(value: T): T => structuredClone(value);

/** A patch that cannot be applied: 422 for a failed JSON-patch test or a bad path, as the API server. */
export class PatchError extends Error {}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; key: string } {
  let node: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (node === undefined) throw new PatchError(`doc is missing path: "${path}"`);
  }
  if (!Array.isArray(node) && !isObject(node)) throw new PatchError(`doc is missing path: "${path}"`);
  return { parent: node, key: tokens[tokens.length - 1] as string };
}

function getAt(doc: Json, path: string): Json {
  let node: Json = doc;
  for (const token of pointer(path)) {
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (node === undefined) throw new PatchError(`doc is missing path: "${path}"`);
  }
  return node;
}

function removeAt(doc: Json, path: string): Json {
  const { parent, key } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) throw new PatchError(`unable to remove nonexistent key: ${key}`);
    return parent.splice(index, 1)[0];
  }
  if (!Object.hasOwn(parent, key)) throw new PatchError(`unable to remove nonexistent key: ${key}: missing value`);
  const value = parent[key];
  delete parent[key];
  return value;
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length - (replace ? 1 : 0)) throw new PatchError(`index out of bounds: ${key}`);
    parent.splice(index, replace ? 1 : 0, value);
  } else {
    if (replace && !Object.hasOwn(parent, key)) throw new PatchError(`replace operation does not apply: doc is missing key: ${path}`);
    parent[key] = value;
  }
  return doc;
}

const deepEqual = (a: Json, b: Json): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Apply an RFC 6902 JSON patch. */
export function applyJsonPatch(target: JsonObject, patch: Json): JsonObject {
  if (!Array.isArray(patch)) throw new QueryError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc: Json = clone(target);
  for (const op of patch) {
    if (!isObject(op) || typeof op.path !== 'string') throw new PatchError('missing or invalid path in operation');
    const path = op.path;
    switch (op.op) {
      case 'add':
        doc = addAt(doc, path, clone(op.value), false);
        break;
      case 'replace':
        doc = addAt(doc, path, clone(op.value), true);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string') throw new PatchError(`missing from in ${op.op}`);
        const value = op.op === 'move' ? removeAt(doc, op.from) : clone(getAt(doc, op.from));
        doc = addAt(doc, path, value, false);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(doc, path), op.value)) throw new PatchError(`testing value ${path} failed: test failed`);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${String(op.op)}`);
    }
  }
  if (!isObject(doc)) throw new PatchError('the patch does not leave an object');
  return doc;
}

/** Apply an RFC 7386 JSON merge patch. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/** Strategy of a list at a path (dotted, list items as `[]`): merge by a key, merge primitives, or atomic. */
type ListStrategy = { mergeKey: string } | 'primitive-merge';

const metadataLists: Record<string, ListStrategy> = {
  'metadata.finalizers': 'primitive-merge',
  'metadata.ownerReferences': { mergeKey: 'uid' },
};
const conditions: ListStrategy = { mergeKey: 'type' };
const container: Record<string, ListStrategy> = {
  ports: { mergeKey: 'containerPort' },
  env: { mergeKey: 'name' },
  volumeMounts: { mergeKey: 'mountPath' },
  volumeDevices: { mergeKey: 'devicePath' },
};
const podSpec = (prefix: string): Record<string, ListStrategy> => {
  const out: Record<string, ListStrategy> = {
    [`${prefix}.containers`]: { mergeKey: 'name' },
    [`${prefix}.initContainers`]: { mergeKey: 'name' },
    [`${prefix}.ephemeralContainers`]: { mergeKey: 'name' },
    [`${prefix}.volumes`]: { mergeKey: 'name' },
    [`${prefix}.imagePullSecrets`]: { mergeKey: 'name' },
    [`${prefix}.hostAliases`]: { mergeKey: 'ip' },
  };
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const [field, strategy] of Object.entries(container)) out[`${prefix}.${list}[].${field}`] = strategy;
  }
  return out;
};

/** Patch strategies of the served kinds' lists, from their Go types' `patchStrategy`/`patchMergeKey` tags. */
const strategies: Readonly<Record<string, Readonly<Record<string, ListStrategy>>>> = {
  Service: { 'spec.ports': { mergeKey: 'port' }, 'status.conditions': conditions },
  Pod: { ...podSpec('spec'), 'status.conditions': conditions },
  Node: { 'spec.podCIDRs': 'primitive-merge', 'status.addresses': { mergeKey: 'type' }, 'status.conditions': conditions },
  Namespace: { 'status.conditions': conditions },
  Endpoints: {},
  EndpointSlice: {},
  Lease: {},
};

function strategyAt(kind: string, path: string): ListStrategy | undefined {
  return metadataLists[path] ?? strategies[kind]?.[path];
}

/** The patch merge key of the list at a path of a kind (`undefined` for atomic lists and primitive sets). */
export function mergeKeyAt(kind: string, path: string): string | undefined {
  const strategy = strategyAt(kind, path);
  return typeof strategy === 'object' ? strategy.mergeKey : undefined;
}

const keyOf = (item: Json, mergeKey: string): string => JSON.stringify(isObject(item) ? item[mergeKey] : item);

function mergeList(kind: string, path: string, original: Json[], patch: Json[], strategy: ListStrategy): Json[] {
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isObject(item) && item.$patch === 'replace')).map((item) => stripDirectives(item));
  }
  if (strategy === 'primitive-merge') {
    const result = [...original];
    for (const item of patch) if (!result.some((x) => deepEqual(x, item))) result.push(item);
    return result;
  }
  const { mergeKey } = strategy;
  const result = original.map((item) => clone(item));
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = result.findIndex((x) => keyOf(x, mergeKey) === keyOf(item, mergeKey));
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) result[index] = strategicMerge(kind, `${path}[]`, result[index], item);
    else result.push(strategicMerge(kind, `${path}[]`, {}, item));
  }
  return result;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}

function reorder(list: Json[], order: Json[], mergeKey: string | undefined): Json[] {
  const rank = (item: Json): number => {
    const index = order.findIndex((o) => (mergeKey ? keyOf(o, mergeKey) === keyOf(item, mergeKey) : deepEqual(o, item)));
    return index < 0 ? order.length : index;
  };
  return list.map((item, i) => ({ item, i, r: rank(item) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.item);
}

/** Apply a strategic merge patch to an object of a served kind. */
export function strategicMerge(kind: string, path: string, original: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const result: JsonObject = isObject(original) ? clone(original) : {};
  const at = (key: string): string => (path === '' ? key : `${path}.${key}`);
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const strategy = strategyAt(kind, at(key));
    if (Array.isArray(value)) {
      const current = result[key];
      result[key] = strategy ? mergeList(kind, at(key), Array.isArray(current) ? current : [], value, strategy) : stripDirectives(value);
    } else if (isObject(value)) {
      const merged = strategicMerge(kind, at(key), result[key], value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else result[key] = value;
  }
  for (const [key, value] of Object.entries(patch)) {
    if (!Array.isArray(value)) continue;
    if (key.startsWith('$setElementOrder/')) {
      const field = key.slice('$setElementOrder/'.length);
      const list = result[field];
      const strategy = strategyAt(kind, at(field));
      if (Array.isArray(list)) result[field] = reorder(list, value, typeof strategy === 'object' ? strategy.mergeKey : undefined);
    } else if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const list = result[field];
      if (Array.isArray(list)) result[field] = list.filter((x) => !value.some((v) => deepEqual(v, x)));
    } else if (key === '$retainKeys') {
      for (const k of Object.keys(result)) if (!value.includes(k)) delete result[k];
    }
  }
  return result;
}
