/**
 * `ListWatch` over the Kubernetes REST API for one resource: a paged list (`limit`/`continue`, restarted
 * when a continue token expires), then a watch with `allowWatchBookmarks=true` and a randomized
 * `timeoutSeconds` read as NDJSON. The in-stream `ERROR` 410 (`Expired` or `Gone`) and an HTTP 410 both
 * become `ExpiredError`, so the informer relists. resourceVersions stay opaque strings in
 * `Versioned.sourceVersion`; `Versioned.version` is a per-source monotonic number. A malformed line is
 * reported and ends the watch, so the informer resumes from the last good revision and loses nothing.
 * Lists are consistent reads (`resourceVersion` unset, served from etcd and pageable), never `resourceVersion=0`
 * (a possibly stale cache read that could move the cache back in time). A 429 or 5xx with `Retry-After` is
 * waited out and the GET sent again, as client-go's REST client does.
 */
import {
  type Clock,
  ConfigError,
  ExpiredError,
  type ListResult,
  type ListWatch,
  MalformedEventError,
  SourceError,
  sleep,
  systemClock,
  type Versioned,
  type WatchEvent,
  type WatchStream,
} from '@nitrox/core';
import type { Dispatcher } from 'undici';
import type { KubeConnection, KubeRequest } from './kube-connection.js';
import { retryAfterMs } from './retry-after.js';
import { collectionPath, type KubeResource, type KubeResourceName, kubeResources } from './resources.js';

/** A Kubernetes object as received: only `metadata` is relied on. */
export interface KubeObjectJson {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** Options of {@link KubeListWatch}. */
export interface KubeListWatchOptions<T> {
  /** The API server. */
  connection: KubeConnection;
  /** Which resource: a known plural (`'endpointslices'`) or a full description. */
  resource: KubeResourceName | KubeResource;
  /** Namespace; `undefined` or `''` lists every namespace (cluster-scoped resources ignore it). */
  namespace?: string | undefined;
  /** Server-side label selector. */
  labelSelector?: string;
  /** Server-side field selector. */
  fieldSelector?: string;
  /**
   * Turn each object into the cached value at ingest (client-go's SetTransform): keep only what you need, so
   * the raw object is garbage at once. `key` is the cache key (`namespace/name`), to reuse rather than rebuild.
   * Throwing marks the object malformed. @defaultValue the object itself
   */
  transform?: (object: KubeObjectJson, key: string) => T;
  /** Items per list page (client-go: 500). @defaultValue 500 */
  pageSize?: number;
  /**
   * Server-side watch timeout; `undefined` picks 300–600 s at random per watch, as client-go. An `Informer` over
   * this needs an `idleTimeoutMs` above it plus a margin (KubernetesSource uses 600 s + 30 s).
   */
  timeoutSeconds?: number;
  /** How many times a list restarts when its continue token expires. @defaultValue 3 */
  maxListAttempts?: number;
  /** Randomness for the watch timeout. @defaultValue Math.random */
  random?: () => number;
  /** Called with every malformed object or line that was skipped. */
  onMalformed?: (error: MalformedEventError) => void;
  /**
   * How many answers 429/5xx with `Retry-After` one list page or watch request waits out before the error goes to
   * the caller (client-go's REST client: 10); 0 never waits. @defaultValue 10
   */
  retryAfterLimit?: number;
  /** Longest `Retry-After` honoured; longer requests wait this long. @defaultValue 60_000 */
  maxRetryAfterMs?: number;
  /** Time source for `Retry-After` waits. @defaultValue systemClock */
  clock?: Clock;
}

/** Defaults of {@link KubeListWatchOptions}. */
export const kubeListWatchDefaults = {
  pageSize: 500,
  maxListAttempts: 3,
  retryAfterLimit: 10,
  maxRetryAfterMs: 60_000,
  /** client-go's reflector picks a watch timeout between 5 and 10 minutes to spread reconnects. */
  minTimeoutSeconds: 300,
  maxTimeoutSeconds: 600,
} as const;

type Parsed<T> = WatchEvent<T> | MalformedEventError;

/** List and watch one Kubernetes resource over REST. */
export class KubeListWatch<T = KubeObjectJson> implements ListWatch<T> {
  readonly #connection: KubeConnection;
  readonly #resource: KubeResource;
  readonly #path: string;
  readonly #selectors: { labelSelector?: string; fieldSelector?: string };
  readonly #transform: (object: KubeObjectJson, key: string) => T;
  readonly #pageSize: number;
  readonly #timeoutSeconds: number | undefined;
  readonly #maxListAttempts: number;
  readonly #random: () => number;
  readonly #onMalformed: (error: MalformedEventError) => void;
  readonly #retryAfterLimit: number;
  readonly #maxRetryAfterMs: number;
  readonly #clock: Clock;
  #counter = 0;
  #malformedFrom: string | undefined;

  /** @throws {@link ConfigError} when an option is invalid. */
  constructor(options: KubeListWatchOptions<T>) {
    if (!options.connection) throw new ConfigError('connection', 'is required');
    const resource =
      typeof options.resource === 'string'
        ? (kubeResources as Record<string, KubeResource>)[options.resource]
        : options.resource;
    if (!resource) throw new ConfigError('resource', `unknown resource "${String(options.resource)}"`);
    this.#connection = options.connection;
    this.#resource = resource;
    this.#path = collectionPath(resource, options.namespace);
    this.#selectors = {};
    if (options.labelSelector) this.#selectors.labelSelector = options.labelSelector;
    if (options.fieldSelector) this.#selectors.fieldSelector = options.fieldSelector;
    this.#transform = options.transform ?? ((o) => o as unknown as T);
    this.#pageSize = integer('pageSize', options.pageSize ?? kubeListWatchDefaults.pageSize, 1);
    if (options.timeoutSeconds !== undefined) integer('timeoutSeconds', options.timeoutSeconds, 1);
    this.#timeoutSeconds = options.timeoutSeconds;
    this.#maxListAttempts = integer('maxListAttempts', options.maxListAttempts ?? kubeListWatchDefaults.maxListAttempts, 1);
    this.#random = options.random ?? Math.random;
    this.#onMalformed = options.onMalformed ?? (() => {});
    this.#retryAfterLimit = integer('retryAfterLimit', options.retryAfterLimit ?? kubeListWatchDefaults.retryAfterLimit, 0);
    this.#maxRetryAfterMs = integer('maxRetryAfterMs', options.maxRetryAfterMs ?? kubeListWatchDefaults.maxRetryAfterMs, 0);
    this.#clock = options.clock ?? systemClock;
  }

  /** The resource this watches. */
  get resource(): KubeResource {
    return this.#resource;
  }

  /**
   * List every object, page by page, at one revision (a consistent read: `resourceVersion` unset).
   * @throws {@link SourceError} on an error answer (after waiting out `Retry-After`), {@link ExpiredError} when the
   * continue token expired `maxListAttempts` times in a row.
   */
  async list(signal: AbortSignal): Promise<ListResult<T>> {
    const what = `list ${this.#resource.plural}`;
    for (let attempt = 1; ; attempt++) {
      const items: Versioned<T>[] = [];
      let revision: string | undefined;
      let cont: string | undefined;
      let expired = false;
      do {
        const res = await this.#get({
          path: this.#path,
          query: { ...this.#selectors, limit: this.#pageSize, continue: cont },
          signal,
        });
        if (res.statusCode === 410 && cont !== undefined) {
          await res.body.dump();
          expired = true;
          break;
        }
        if (res.statusCode !== 200) throw await this.#connection.errorFor(res, what);
        let doc: { metadata?: { resourceVersion?: unknown; continue?: unknown }; items?: unknown };
        try {
          doc = (await res.body.json()) as typeof doc;
        } catch (error) {
          throw new SourceError(`${what}: the answer is not JSON`, { cause: error });
        }
        const rv = doc?.metadata?.resourceVersion;
        if (typeof rv !== 'string' || rv === '' || !Array.isArray(doc.items)) {
          throw new SourceError(`${what}: the answer has no metadata.resourceVersion or no items`);
        }
        revision ??= rv;
        for (const raw of doc.items as unknown[]) {
          const item = this.#toItem(raw);
          if (item instanceof MalformedEventError) this.#onMalformed(item);
          else items.push(item);
        }
        cont = typeof doc.metadata?.continue === 'string' && doc.metadata.continue !== '' ? doc.metadata.continue : undefined;
      } while (cont !== undefined);
      if (!expired) return { revision: revision as string, items };
      if (attempt >= this.#maxListAttempts) {
        throw new ExpiredError(`${what}: the continue token expired ${attempt} times in a row`);
      }
    }
  }

  /**
   * Watch the changes after `fromRevision` until the server ends the stream or a malformed line ends it.
   * The stream's `established` settles when the server answered 200 (a connect that hangs is not a healthy quiet
   * watch).
   * @throws {@link ExpiredError} on HTTP 410, the in-stream ERROR 410, or a 504 "Too large resource version" that
   * outlasted the `Retry-After` waits; {@link SourceError} on another error.
   */
  watch(fromRevision: string, signal: AbortSignal): WatchStream<T> {
    let opened: () => void = () => {};
    const established = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const stream = this.#watch(fromRevision, signal, opened);
    return { [Symbol.asyncIterator]: () => stream, established };
  }

  async *#watch(fromRevision: string, signal: AbortSignal, opened: () => void): AsyncGenerator<WatchEvent<T>> {
    const what = `watch ${this.#resource.plural}`;
    const timeoutSeconds =
      this.#timeoutSeconds ??
      Math.floor(
        kubeListWatchDefaults.minTimeoutSeconds +
          this.#random() * (kubeListWatchDefaults.maxTimeoutSeconds - kubeListWatchDefaults.minTimeoutSeconds),
      );
    const res = await this.#get({
      path: this.#path,
      query: { ...this.#selectors, watch: 1, resourceVersion: fromRevision, allowWatchBookmarks: true, timeoutSeconds },
      signal,
      bodyTimeoutMs: 0,
    });
    if (res.statusCode === 410) {
      const error = await this.#connection.errorFor(res, what);
      throw new ExpiredError(`${what}: revision ${fromRevision} is too old (${error.message})`);
    }
    if (res.statusCode !== 200) {
      const error = await this.#connection.errorFor(res, what);
      // Still "too large" after the Retry-After waits: the server will not reach that revision (etcd restored
      // from a backup, another cluster behind the same name). Relist, as client-go's reflector does.
      if (res.statusCode === 504 && /too large resource version/i.test(error.message)) {
        throw new ExpiredError(`${what}: the server has not reached revision ${fromRevision} (${error.message})`, { cause: error });
      }
      throw error;
    }
    opened();
    const body = res.body;
    body.setEncoding('utf8');
    let delivered = 0;
    let rest = '';
    try {
      for await (const chunk of body as AsyncIterable<string>) {
        const text = rest === '' ? chunk : rest + chunk;
        let start = 0;
        let nl = text.indexOf('\n');
        while (nl >= 0) {
          const line = text.slice(start, nl);
          start = nl + 1;
          nl = text.indexOf('\n', start);
          if (line.length === 0 || line === '\r') continue;
          const event = this.#parseLine(line, what);
          if (event instanceof MalformedEventError) {
            this.#onMalformed(event);
            // The same bad data at the same place again: let the informer back off instead of spinning.
            if (delivered === 0 && this.#malformedFrom === fromRevision) throw event;
            this.#malformedFrom = fromRevision;
            return;
          }
          delivered++;
          this.#malformedFrom = undefined;
          yield event;
        }
        rest = start === text.length ? '' : text.slice(start);
      }
    } finally {
      if (!body.destroyed) body.destroy();
    }
  }

  /** A GET that waits out 429/5xx answers carrying `Retry-After` (at most `retryAfterLimit` of them). */
  async #get(req: KubeRequest): Promise<Dispatcher.ResponseData> {
    for (let waits = 0; ; waits++) {
      const res = await this.#connection.request(req);
      const delay =
        waits < this.#retryAfterLimit ? retryAfterMs(res.statusCode, res.headers['retry-after'], this.#maxRetryAfterMs) : undefined;
      if (delay === undefined) return res;
      await res.body.dump();
      await sleep(this.#clock, delay, req.signal);
    }
  }

  #parseLine(line: string, what: string): Parsed<T> {
    let doc: { type?: unknown; object?: unknown };
    try {
      doc = JSON.parse(line) as typeof doc;
    } catch {
      return new MalformedEventError(`${what}: a line of the stream is not JSON (${line.length} bytes)`);
    }
    const object = doc?.object as { metadata?: { resourceVersion?: unknown }; code?: unknown; reason?: unknown; message?: unknown } | undefined;
    switch (doc?.type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        const item = this.#toItem(object);
        if (item instanceof MalformedEventError) return item;
        const type = doc.type === 'ADDED' ? 'added' : doc.type === 'MODIFIED' ? 'modified' : 'deleted';
        return { type, revision: item.sourceVersion as string, item };
      }
      case 'BOOKMARK': {
        const rv = object?.metadata?.resourceVersion;
        if (typeof rv !== 'string' || rv === '') return new MalformedEventError(`${what}: BOOKMARK without resourceVersion`);
        return { type: 'bookmark', revision: rv };
      }
      case 'ERROR': {
        const code = typeof object?.code === 'number' ? object.code : undefined;
        const reason = typeof object?.reason === 'string' ? object.reason : 'Unknown';
        const message = typeof object?.message === 'string' ? object.message : '';
        if (code === 410) throw new ExpiredError(`${what}: ${reason}: ${this.#connection.redact(message)}`);
        throw new SourceError(`${what}: ERROR ${code ?? ''} ${reason}: ${this.#connection.redact(message)}`, {
          ...(code === undefined ? {} : { status: code }),
          peerCode: reason,
        });
      }
      default:
        return new MalformedEventError(`${what}: unknown event type ${JSON.stringify(doc?.type ?? null)}`);
    }
  }

  #toItem(raw: unknown): Versioned<T> | MalformedEventError {
    const metadata = (raw as { metadata?: { name?: unknown; namespace?: unknown; resourceVersion?: unknown } } | null)?.metadata;
    const name = metadata?.name;
    const rv = metadata?.resourceVersion;
    const kind = this.#resource.kind;
    if (typeof name !== 'string' || name === '' || typeof rv !== 'string' || rv === '') {
      return new MalformedEventError(`${kind} without metadata.name or metadata.resourceVersion`);
    }
    const namespace = typeof metadata?.namespace === 'string' ? internNamespace(metadata.namespace) : undefined;
    // join() makes one flat string: keys live as long as the cache.
    const key = this.#resource.namespaced && namespace ? [namespace, name].join('/') : name;
    let value: T;
    try {
      value = this.#transform(raw as KubeObjectJson, key);
    } catch (error) {
      return new MalformedEventError(`${kind} ${key}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return { key, version: this.#versionOf(rv), value, sourceVersion: rv };
  }

  /**
   * resourceVersions are etcd revisions in every real API server: decimal and increasing per key, so they are
   * used as the numeric version directly, which keeps versions stable across relists. A server with opaque
   * versions gets arrival order instead.
   */
  #versionOf(rv: string): number {
    const first = rv.charCodeAt(0);
    const numeric = first >= 48 && first <= 57 ? Number(rv) : Number.NaN;
    const n = Number.isSafeInteger(numeric) ? numeric : ++this.#counter;
    if (n > this.#counter) this.#counter = n;
    return n;
  }
}

const namespaces = new Map<string, string>();
/** One shared string per namespace name: every cached object carries one. */
function internNamespace(namespace: string): string {
  const hit = namespaces.get(namespace);
  if (hit !== undefined) return hit;
  if (namespaces.size > 10_000) namespaces.clear();
  namespaces.set(namespace, namespace);
  return namespace;
}

function integer(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new ConfigError(name, `must be an integer >= ${min}, got ${String(value)}`);
  return value;
}
