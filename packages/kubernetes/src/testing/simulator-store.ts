/**
 * The object store behind the API-server simulator: objects of every known resource under one global,
 * increasing resourceVersion (as etcd's revision), with a bounded history of serialized events so watches
 * can resume from a past revision, and a floor below which revisions are "too old" (HTTP 410).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { apiVersionOf, objectKey } from '../resources.js';
import { type ServedResource, servedResource, servedResourceOfKind } from './simulator-resources.js';
import { conflict, notFoundLike, SimulatorStoreError } from './simulator-status.js';

export { SimulatorStoreError, type StatusDetails, statusObject } from './simulator-status.js';

/** A Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** One stored change, kept serialized so replaying a watch costs no JSON encoding. */
export interface StoredEvent {
  readonly rv: number;
  readonly plural: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly namespace: string | undefined;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** Labels before a MODIFIED change, so a label-selected watch can turn it into ADDED or DELETED. */
  readonly previousLabels: Readonly<Record<string, string>> | undefined;
  /** The object, JSON-encoded. */
  readonly json: string;
  /** The object before a MODIFIED or DELETED change, JSON-encoded (the same string the store held). */
  readonly previousJson: string | undefined;
}

interface StoredObject {
  readonly object: KubeObject;
  readonly json: string;
}

/** Options of {@link SimulatorStore}. */
export interface SimulatorStoreOptions {
  /** Events kept for resuming watches; older revisions answer 410. @defaultValue 10_000 */
  historyLimit?: number;
}

/** The simulator's object store. Synchronous; every write notifies the listeners at once. */
export class SimulatorStore {
  #rv = 1;
  #floor = 1;
  readonly #historyLimit: number;
  #history: StoredEvent[] = [];
  #historyStart = 0;
  readonly #objects = new Map<string, Map<string, StoredObject>>();
  readonly #listeners = new Set<(event: StoredEvent) => void>();

  constructor(options: SimulatorStoreOptions = {}) {
    this.#historyLimit = options.historyLimit ?? 10_000;
  }

  /** The current global resourceVersion (a decimal string, as the API server's). */
  get revision(): string {
    return String(this.#rv);
  }

  /** Revisions strictly below this are too old to watch from. */
  get floor(): number {
    return this.#floor;
  }

  /** Subscribe to every change; returns the unsubscribe function. */
  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stored events with a revision strictly greater than `rv`, oldest first. */
  eventsAfter(rv: number): StoredEvent[] {
    const h = this.#history;
    let lo = this.#historyStart;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((h[mid] as StoredEvent).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return h.slice(lo);
  }

  /** Drop the whole history: every revision before now becomes too old (a compaction). */
  compact(): void {
    this.#history = [];
    this.#historyStart = 0;
    this.#floor = this.#rv;
  }

  /** Current objects of a resource, sorted by key, optionally in one namespace. */
  list(plural: string, namespace?: string): { object: KubeObject; json: string }[] {
    const all = [...(this.#objects.get(plural)?.entries() ?? [])];
    all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return all
      .filter(([, s]) => !namespace || s.object.metadata.namespace === namespace)
      .map(([, s]) => ({ object: s.object, json: s.json }));
  }

  /**
   * Objects of a resource as they were at revision `rv` (undoing the history after it), sorted by key; `undefined`
   * when `rv` is older than the history (the API server answers 410) or newer than the store.
   */
  listAt(plural: string, namespace: string | undefined, rv: number): { object: KubeObject; json: string }[] | undefined {
    if (rv < this.#floor || rv > this.#rv) return undefined;
    const state = new Map<string, { object: KubeObject; json: string }>();
    for (const entry of this.list(plural, namespace)) {
      state.set(objectKey(entry.object.metadata.namespace, entry.object.metadata.name), entry);
    }
    const later = this.eventsAfter(rv);
    for (let i = later.length - 1; i >= 0; i--) {
      const event = later[i] as StoredEvent;
      if (event.plural !== plural || (namespace && event.namespace !== namespace)) continue;
      const key = objectKey(event.namespace, event.name);
      if (event.previousJson === undefined) state.delete(key);
      else state.set(key, { object: JSON.parse(event.previousJson) as KubeObject, json: event.previousJson });
    }
    return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
  }

  /** One object, or `undefined`. */
  get(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#objects.get(plural)?.get(objectKey(namespace, name))?.object;
  }

  /**
   * Create an object; 409 when it exists. Without `metadata.name`, a `metadata.generateName` gets five random
   * characters appended, as the API server does. Returns the stored copy with its new resourceVersion.
   */
  create(plural: string, object: KubeObject, options: WriteOptions = {}): KubeObject {
    const resource = this.#resource(plural);
    if (!object?.metadata?.name && typeof object?.metadata?.generateName === 'string' && object.metadata.generateName !== '') {
      object.metadata.name = `${object.metadata.generateName}${randomSuffix()}`;
    }
    const key = this.#key(resource, object);
    if (this.#objects.get(plural)?.has(key)) {
      throw notFoundLike(409, 'AlreadyExists', resource, object.metadata.name, 'already exists');
    }
    return this.#write(resource, key, object, 'ADDED', undefined, options.dryRun === true);
  }

  /**
   * Replace an object; 404 when it is missing, 409 when `metadata.resourceVersion` is set and is not the
   * stored one (optimistic concurrency, as the API server).
   */
  update(plural: string, object: KubeObject, options: WriteOptions = {}): KubeObject {
    const resource = this.#resource(plural);
    const key = this.#key(resource, object);
    const current = this.#objects.get(plural)?.get(key);
    if (!current) throw notFoundLike(404, 'NotFound', resource, object.metadata.name, 'not found');
    const expected = object.metadata.resourceVersion;
    if (expected !== undefined && expected !== '' && expected !== current.object.metadata.resourceVersion) {
      throw conflict(resource, object.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return this.#write(resource, key, object, 'MODIFIED', current.object, options.dryRun === true);
  }

  /** Create or replace an object of any known kind (taken from `object.kind`). */
  apply(object: KubeObject): KubeObject {
    const resource = object.kind === undefined ? undefined : servedResourceOfKind(object.kind);
    if (!resource) throw new SimulatorStoreError(422, 'Invalid', `unknown kind "${object.kind}"`);
    const existing = this.get(resource.plural, object.metadata.namespace, object.metadata.name);
    const { resourceVersion: _ignored, ...metadata } = object.metadata;
    const unconditional = { ...object, metadata };
    return existing ? this.update(resource.plural, unconditional) : this.create(resource.plural, unconditional);
  }

  /**
   * Delete an object; 404 when it is missing, 409 when a precondition (`uid`, `resourceVersion`) does not hold.
   * Returns its last state, at the deletion's resourceVersion.
   */
  delete(
    plural: string,
    namespace: string | undefined,
    name: string,
    preconditions: DeletePreconditions = {},
    options: WriteOptions = {},
  ): KubeObject {
    const resource = this.#resource(plural);
    const key = objectKey(resource.namespaced ? namespace : undefined, name);
    const current = this.#objects.get(plural)?.get(key);
    if (!current) throw notFoundLike(404, 'NotFound', resource, name, 'not found');
    for (const field of ['uid', 'resourceVersion'] as const) {
      const expected = preconditions[field];
      const actual = current.object.metadata[field] as string | undefined;
      if (expected !== undefined && expected !== null && expected !== actual) {
        const label = field === 'uid' ? 'UID' : 'ResourceVersion';
        throw conflict(resource, name, `Precondition failed: ${label} in precondition: ${expected}, ${label} in object meta: ${actual}`);
      }
    }
    if (options.dryRun) return current.object;
    this.#objects.get(plural)?.delete(key);
    const rv = ++this.#rv;
    const object: KubeObject = {
      ...current.object,
      metadata: { ...current.object.metadata, resourceVersion: String(rv) },
    };
    this.#record(resource, rv, 'DELETED', object, JSON.stringify(object), undefined, current.json);
    return object;
  }

  #resource(plural: string): ServedResource {
    const resource = servedResource(plural);
    if (!resource) throw new SimulatorStoreError(404, 'NotFound', `the server could not find resource "${plural}"`);
    return resource;
  }

  #key(resource: ServedResource, object: KubeObject): string {
    if (!object?.metadata?.name) {
      throw new SimulatorStoreError(422, 'Invalid', `${resource.kind} is invalid: metadata.name: Required value: name or generateName is required`, {
        kind: resource.plural,
        ...(resource.group ? { group: resource.group } : {}),
        causes: [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }],
      });
    }
    if (resource.namespaced && !object.metadata.namespace) object.metadata.namespace = 'default';
    return objectKey(resource.namespaced ? object.metadata.namespace : undefined, object.metadata.name);
  }

  #write(
    resource: ServedResource,
    key: string,
    input: KubeObject,
    type: 'ADDED' | 'MODIFIED',
    previous: KubeObject | undefined,
    dryRun: boolean,
  ): KubeObject {
    const previousJson = this.#objects.get(resource.plural)?.get(key)?.json;
    const rv = dryRun ? undefined : ++this.#rv;
    const version = rv === undefined ? previous?.metadata.resourceVersion : String(rv);
    const { resourceVersion: _given, ...given } = input.metadata;
    const metadata = {
      ...given,
      ...(version === undefined ? {} : { resourceVersion: version }),
      uid: (previous?.metadata.uid as string | undefined) ?? randomUUID(),
      creationTimestamp: (previous?.metadata.creationTimestamp as string | undefined) ?? rfc3339Now(),
    };
    const object: KubeObject = { ...input, apiVersion: apiVersionOf(resource), kind: resource.kind, metadata };
    if (rv === undefined) return object;
    const json = JSON.stringify(object);
    let byKey = this.#objects.get(resource.plural);
    if (!byKey) {
      byKey = new Map();
      this.#objects.set(resource.plural, byKey);
    }
    byKey.set(key, { object, json });
    this.#record(resource, rv, type, object, json, previous?.metadata.labels, previousJson);
    return object;
  }

  #record(
    resource: ServedResource,
    rv: number,
    type: StoredEvent['type'],
    object: KubeObject,
    json: string,
    previousLabels: Record<string, string> | undefined,
    previousJson: string | undefined,
  ): void {
    const event: StoredEvent = {
      rv,
      plural: resource.plural,
      type,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      labels: object.metadata.labels,
      previousLabels,
      json,
      previousJson,
    };
    this.#history.push(event);
    if (this.#history.length - this.#historyStart > this.#historyLimit) {
      this.#historyStart++;
      this.#floor = (this.#history[this.#historyStart] as StoredEvent).rv - 1;
      if (this.#historyStart > 4096 && this.#historyStart * 2 > this.#history.length) {
        this.#history = this.#history.slice(this.#historyStart);
        this.#historyStart = 0;
      }
    }
    for (const listener of this.#listeners) listener(event);
  }
}

/** Options of a write. */
export interface WriteOptions {
  /** Check and compute the result without storing it (`?dryRun=All`). @defaultValue false */
  dryRun?: boolean;
}

/** Preconditions of a delete (`DeleteOptions.preconditions`). */
export interface DeletePreconditions {
  uid?: string | null;
  resourceVersion?: string | null;
}

/** The current time as the API server writes timestamps: RFC 3339, UTC, second precision. */
function rfc3339Now(): string {
  return `${new Date().toISOString().slice(0, 19)}Z`;
}

const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += nameAlphabet[randomInt(nameAlphabet.length)];
  return suffix;
}

/** Build the NDJSON line of a watch event from a stored object's JSON. */
export function watchLine(type: string, json: string): string {
  return `{"type":"${type}","object":${json}}\n`;
}
