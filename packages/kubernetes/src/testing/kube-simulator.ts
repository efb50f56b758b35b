/**
 * An in-process Kubernetes API-server simulator over real HTTP on loopback: list with `limit`/`continue`
 * paging, watch as NDJSON with bookmarks and `timeoutSeconds`, the in-stream ERROR 410 for revisions that fell
 * out of history, create/get/replace/delete over REST, bearer-token auth, and fault injection. Faithful enough
 * that `@kubernetes/client-node`'s own informer runs against it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '@nitrox/core';
import { parseSelector } from '../selectors.js';
import { type KubeObject, SimulatorStore, SimulatorStoreError, statusObject } from './simulator-store.js';
import { parseRoute, type Route, readVersion } from './simulator-request.js';
import { SimulatorWatch } from './simulator-watch.js';
import { type KubeSimulatorFaults, SimulatorFaults } from './simulator-faults.js';

/** Options of {@link startKubeSimulator}. */
export interface KubeSimulatorOptions {
  /** Bearer token required on every request; `undefined` accepts any caller. @defaultValue undefined */
  token?: string;
  /** Events kept for resuming watches. @defaultValue 10_000 */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them. @defaultValue 1_000 */
  bookmarkIntervalMs?: number;
  /** Watch timeout when the client sends no `timeoutSeconds`. @defaultValue 1_800 */
  defaultWatchTimeoutSeconds?: number;
  /** Reason of the in-stream 410: `Expired` (current servers) or `Gone` (older ones). @defaultValue 'Expired' */
  expiredReason?: 'Expired' | 'Gone';
  /** Answer a too-old watch with the in-stream ERROR (as the API server) or with HTTP 410. @defaultValue 'in-stream' */
  expiryStyle?: 'in-stream' | 'http';
}

/** Defaults of {@link KubeSimulatorOptions}. */
export const kubeSimulatorDefaults = {
  historyLimit: 10_000,
  bookmarkIntervalMs: 1_000,
  defaultWatchTimeoutSeconds: 1_800,
  expiredReason: 'Expired',
  expiryStyle: 'in-stream',
} as const;

function checkOptions(options: KubeSimulatorOptions): void {
  const positive = (name: keyof KubeSimulatorOptions, min: number): void => {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < min)) {
      throw new ConfigError(name, `must be an integer >= ${min}, got ${String(value)}`);
    }
  };
  positive('historyLimit', 1);
  positive('bookmarkIntervalMs', 0);
  positive('defaultWatchTimeoutSeconds', 1);
  if (options.expiredReason !== undefined && options.expiredReason !== 'Expired' && options.expiredReason !== 'Gone') {
    throw new ConfigError('expiredReason', 'must be "Expired" or "Gone"');
  }
  if (options.expiryStyle !== undefined && options.expiryStyle !== 'in-stream' && options.expiryStyle !== 'http') {
    throw new ConfigError('expiryStyle', 'must be "in-stream" or "http"');
  }
}

/** Counters of what the simulator served. */
export interface KubeSimulatorStats {
  requests: number;
  lists: number;
  watches: number;
  unauthorized: number;
  /** Query of the last watch request (`resourceVersion`, `timeoutSeconds`, …), or `undefined` before any. */
  lastWatchQuery: Readonly<Record<string, string>> | undefined;
}

/** A running simulator. */
export interface KubeSimulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The object store: create, update, apply, delete and read objects directly. */
  readonly store: SimulatorStore;
  /** Fault injection. */
  readonly faults: KubeSimulatorFaults;
  /** Counters. */
  readonly stats: Readonly<KubeSimulatorStats>;
  /** Number of watches currently open. */
  readonly openWatches: number;
  /** Number of client connections currently open (keep-alive ones included). */
  readonly openConnections: number;
  /** Replace the accepted bearer token (token rotation); `undefined` accepts any caller. */
  setToken(token: string | undefined): void;
  /** Send a BOOKMARK at the current revision on every open watch that allows them. */
  bookmarkAll(): void;
  /** A `KubeConfig` for this simulator (plain HTTP, so `skipTLSVerify` is set as client-node requires). */
  kubeConfig(options?: { token?: string; namespace?: string }): KubeConfig;
  /** Stop serving and destroy every open connection. */
  close(): Promise<void>;
}

interface Snapshot {
  readonly rv: string;
  readonly items: readonly string[];
}

/**
 * Start a simulator on 127.0.0.1 with an OS-assigned port.
 *
 * @example
 * ```ts
 * const sim = await startKubeSimulator();
 * sim.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
 * const kc = sim.kubeConfig();
 * await sim.close();
 * ```
 */
export async function startKubeSimulator(options: KubeSimulatorOptions = {}): Promise<KubeSimulator> {
  checkOptions(options);
  const store = new SimulatorStore({ historyLimit: options.historyLimit ?? kubeSimulatorDefaults.historyLimit });
  const watches = new Set<SimulatorWatch>();
  const sockets = new Set<Socket>();
  const snapshots = new Map<string, Snapshot>();
  const stats: KubeSimulatorStats = { requests: 0, lists: 0, watches: 0, unauthorized: 0, lastWatchQuery: undefined };
  let token = options.token;
  const expiredReason = options.expiredReason ?? kubeSimulatorDefaults.expiredReason;
  const faults = new SimulatorFaults(store, watches, snapshots, expiredReason);

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sendStatus = (res: ServerResponse, code: number, reason: string, message: string): void =>
    sendJson(res, code, statusObject(code, reason, message));
  /** 429/5xx with `Retry-After`, as the API server's response writers send them. */
  const sendRetryAfter = (res: ServerResponse, code: number, reason: string, message: string, seconds: number, cause?: string): void => {
    const details = { ...(cause ? { causes: [{ reason: cause, message }] } : {}), retryAfterSeconds: seconds };
    sendJson(res, code, { ...statusObject(code, reason, message), details }, { 'retry-after': String(seconds) });
  };
  const tooLarge = (res: ServerResponse, rv: number): void =>
    sendRetryAfter(res, 504, 'Timeout', `Too large resource version: ${rv}, current: ${store.revision}`, 1, 'ResourceVersionTooLarge');

  const readBody = async (req: IncomingMessage): Promise<KubeObject | undefined> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeObject;
      return parsed && typeof parsed === 'object' && parsed.metadata ? parsed : undefined;
    } catch {
      return undefined;
    }
  };

  const handleList = (res: ServerResponse, route: Route, query: URLSearchParams): void => {
    stats.lists++;
    const limit = Number(query.get('limit') ?? 0);
    const token = query.get('continue');
    let snapshotId: string;
    let offset = 0;
    let snapshot: Snapshot | undefined;
    if (token) {
      try {
        const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { id: string; offset: number };
        snapshotId = decoded.id;
        offset = decoded.offset;
        snapshot = snapshots.get(snapshotId);
      } catch {
        sendStatus(res, 400, 'BadRequest', 'invalid continue token');
        return;
      }
      if (!snapshot) {
        sendStatus(res, 410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
        return;
      }
      if (query.get('resourceVersion')) {
        sendStatus(res, 400, 'BadRequest', 'specifying resource version is not allowed when using continue');
        return;
      }
    } else {
      const read = readVersion(query);
      if ('error' in read) {
        sendStatus(res, 400, 'BadRequest', read.error);
        return;
      }
      let objects = store.list(route.resource.plural, route.namespace);
      let rv = store.revision;
      if (read.rv !== undefined && read.rv > Number(store.revision)) {
        tooLarge(res, read.rv);
        return;
      }
      if (read.exact && read.rv !== undefined) {
        const past = store.listAt(route.resource.plural, route.namespace, read.rv);
        if (past === undefined) {
          sendStatus(res, 410, 'Expired', `too old resource version: ${read.rv} (${store.floor})`);
          return;
        }
        objects = past;
        rv = String(read.rv);
      }
      const labels = parseSelector(query.get('labelSelector') ?? undefined);
      const fields = parseSelector(query.get('fieldSelector') ?? undefined, 'fieldSelector');
      const items = objects
        .filter(({ object: o }) => labels(o.metadata.labels) && fields({ 'metadata.name': o.metadata.name, 'metadata.namespace': o.metadata.namespace ?? '' }))
        .map(({ json }) => json);
      snapshot = { rv, items };
      snapshotId = randomUUID();
    }
    const end = limit > 0 ? Math.min(snapshot.items.length, offset + limit) : snapshot.items.length;
    const page = snapshot.items.slice(offset, end);
    const metadata: Record<string, unknown> = { resourceVersion: snapshot.rv };
    if (end < snapshot.items.length) {
      snapshots.set(snapshotId, snapshot);
      metadata.continue = Buffer.from(JSON.stringify({ id: snapshotId, offset: end })).toString('base64url');
      metadata.remainingItemCount = snapshot.items.length - end;
    } else snapshots.delete(snapshotId);
    const head = JSON.stringify({ kind: `${route.resource.kind}List`, apiVersion: route.resource.group === '' ? route.resource.version : `${route.resource.group}/${route.resource.version}`, metadata });
    sendJson(res, 200, `${head.slice(0, -1)},"items":[${page.join(',')}]}`);
  };

  const handleWatch = async (res: ServerResponse, route: Route, query: URLSearchParams): Promise<void> => {
    stats.watches++;
    stats.lastWatchQuery = Object.fromEntries(query);
    const rvParam = query.get('resourceVersion') ?? '';
    let fromRevision: number | undefined;
    if (rvParam !== '' && rvParam !== '0') {
      fromRevision = Number(rvParam);
      if (!Number.isInteger(fromRevision) || fromRevision < 0) {
        sendStatus(res, 400, 'BadRequest', `invalid resourceVersion "${rvParam}"`);
        return;
      }
      if (fromRevision > Number(store.revision)) return tooLarge(res, fromRevision);
      if (fromRevision < store.floor) {
        const message = `too old resource version: ${rvParam} (${store.floor})`;
        if ((options.expiryStyle ?? kubeSimulatorDefaults.expiryStyle) === 'http') {
          sendStatus(res, 410, expiredReason, message);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: statusObject(410, expiredReason, message) })}\n`);
        return;
      }
    }
    const fallback = options.defaultWatchTimeoutSeconds ?? kubeSimulatorDefaults.defaultWatchTimeoutSeconds;
    const timeout = Number(query.get('timeoutSeconds') ?? fallback);
    const watch = new SimulatorWatch(
      res,
      store,
      {
        resource: route.resource,
        namespace: route.namespace,
        labels: parseSelector(query.get('labelSelector') ?? undefined),
        fields: parseSelector(query.get('fieldSelector') ?? undefined, 'fieldSelector'),
      },
      {
        fromRevision,
        bookmarks: query.get('allowWatchBookmarks') === 'true',
        bookmarkIntervalMs: options.bookmarkIntervalMs ?? kubeSimulatorDefaults.bookmarkIntervalMs,
        timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : fallback,
        sendInitialEvents: query.get('sendInitialEvents') === 'true',
      },
      (w) => watches.delete(w),
    );
    watches.add(watch);
    await watch.run();
  };

  const handleObject = async (req: IncomingMessage, res: ServerResponse, route: Route): Promise<void> => {
    const plural = route.resource.plural;
    const namespace = route.resource.namespaced ? (route.namespace ?? 'default') : undefined;
    if (req.method === 'POST' && route.name === undefined) {
      const body = await readBody(req);
      if (!body) return sendStatus(res, 400, 'BadRequest', 'the body is not a Kubernetes object');
      if (namespace !== undefined) body.metadata.namespace = namespace;
      return sendJson(res, 201, store.create(plural, body));
    }
    if (route.name === undefined) return sendStatus(res, 405, 'MethodNotAllowed', `${req.method} not allowed on a collection`);
    if (req.method === 'GET') {
      const object = store.get(plural, namespace, route.name);
      if (!object) return sendStatus(res, 404, 'NotFound', `${plural} "${route.name}" not found`);
      return sendJson(res, 200, object);
    }
    if (req.method === 'PUT') {
      const body = await readBody(req);
      if (!body || body.metadata.name !== route.name) return sendStatus(res, 400, 'BadRequest', 'the body does not name this object');
      if (namespace !== undefined) body.metadata.namespace = namespace;
      return sendJson(res, 200, store.update(plural, body));
    }
    if (req.method === 'DELETE') return sendJson(res, 200, store.delete(plural, namespace, route.name));
    sendStatus(res, 405, 'MethodNotAllowed', `${req.method} is not supported by the simulator`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    const url = new URL(req.url ?? '/', 'http://simulator');
    const route = parseRoute(url.pathname);
    const isWatch = route !== undefined && (route.legacyWatch || ['1', 'true'].includes(url.searchParams.get('watch') ?? ''));
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      stats.unauthorized++;
      return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
    }
    const failure = faults.takeFailure(req.method ?? 'GET', isWatch);
    if (failure !== undefined) {
      const reason = failure.status === 429 ? 'TooManyRequests' : failure.status === 504 ? 'Timeout' : 'InternalError';
      const message = `injected failure (HTTP ${failure.status})`;
      if (failure.retryAfterSeconds === undefined) return sendStatus(res, failure.status, reason, message);
      return sendRetryAfter(res, failure.status, reason, message, failure.retryAfterSeconds);
    }
    if (!route) return sendStatus(res, 404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
    try {
      if (req.method === 'GET' && route.name === undefined) {
        if (isWatch) await handleWatch(res, route, url.searchParams);
        else handleList(res, route, url.searchParams);
        return;
      }
      await handleObject(req, res, route);
    } catch (error) {
      if (error instanceof SimulatorStoreError) return sendStatus(res, error.status, error.reason, error.message);
      if (!res.headersSent) sendStatus(res, 500, 'InternalError', String(error));
    }
  };

  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    store,
    faults,
    stats,
    get openWatches() {
      return watches.size;
    },
    get openConnections() {
      return sockets.size;
    },
    setToken(next) {
      token = next;
    },
    bookmarkAll() {
      for (const w of watches) w.bookmark();
    },
    kubeConfig(kcOptions = {}) {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'simulator', server: url, skipTLSVerify: true }],
        users: [kcOptions.token ?? token ? { name: 'simulator', token: kcOptions.token ?? token } : { name: 'simulator' }],
        contexts: [{ name: 'simulator', cluster: 'simulator', user: 'simulator', namespace: kcOptions.namespace ?? 'default' }],
        currentContext: 'simulator',
      });
      return kc;
    },
    async close() {
      for (const w of [...watches]) w.drop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
