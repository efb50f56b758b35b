/**
 * An in-process Kubernetes API-server simulator over real HTTP (or HTTPS with a CA generated at start) on
 * loopback: discovery and OpenAPI v3 enough for kubectl, lists with selectors and `limit`/`continue` paging,
 * watches as NDJSON with bookmarks and `timeoutSeconds`, the in-stream ERROR 410 for revisions that fell out of
 * history, create/get/replace/patch/delete, bearer-token and client-certificate auth, and fault injection.
 * kubectl, the official Python client and `@kubernetes/client-node`'s informer run against it.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '@nitrox/core';
import { ApplyState } from './simulator-apply.js';
import { ServiceAllocator } from './simulator-defaults.js';
import { discovery } from './simulator-discovery.js';
import { type KubeSimulatorFaults, SimulatorFaults } from './simulator-faults.js';
import { parseFieldSelector } from './simulator-fields.js';
import { type ContinueState, labelSelectorOf, listPage } from './simulator-list.js';
import { handleObject } from './simulator-objects.js';
import { parseRoute, QueryError, queryFlag, queryInt, type Route } from './simulator-request.js';
import { type KubeObject, SimulatorStore, SimulatorStoreError, statusObject } from './simulator-store.js';
import { generateTlsMaterial, kubeconfigDocument, type TlsMaterial } from './simulator-tls.js';
import { type TableRequest, tableRequest, toTable } from './simulator-table.js';
import { SimulatorWatch } from './simulator-watch.js';

/** Options of {@link startKubeSimulator}. */
export interface KubeSimulatorOptions {
  /**
   * Bearer token required on every request (with `tls`, a client certificate signed by the simulator's CA passes
   * too); `undefined` accepts any caller. @defaultValue undefined
   */
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
  /**
   * Serve HTTPS with a self-signed CA generated at start (needs the `openssl` command); client certificates
   * signed by that CA authenticate like the token. @defaultValue false
   */
  tls?: boolean;
  /** Create the `default`, `kube-system`, `kube-public` and `kube-node-lease` Namespaces at start. @defaultValue true */
  namespaces?: boolean;
}

/** Options of {@link KubeSimulator.kubeConfig} and {@link KubeSimulator.writeKubeconfig}. */
export interface SimulatorKubeconfigOptions {
  /** Bearer token; defaults to the simulator's token (none for `auth: 'client-cert'`). */
  token?: string;
  /** Namespace of the context. @defaultValue 'default' */
  namespace?: string;
  /** Authenticate with the token (default) or with the generated client certificate (TLS only). */
  auth?: 'token' | 'client-cert';
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
  for (const name of ['tls', 'namespaces'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') throw new ConfigError(name, 'must be a boolean');
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
  /** Base URL, e.g. `http://127.0.0.1:41234` (`https://` with `tls: true`). */
  readonly url: string;
  /** The PEM CA certificate that signed the server and client certificates (`tls: true`), else `undefined`. */
  readonly caCert: string | undefined;
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
  /** A client-node `KubeConfig` for this simulator (with the CA over TLS; `skipTLSVerify` over plain HTTP, as client-node requires). */
  kubeConfig(options?: SimulatorKubeconfigOptions): KubeConfig;
  /**
   * Write a kubeconfig file that kubectl and the official Python client accept (credentials inlined) and return its
   * path; without `path`, a new file in the OS temp directory. Over plain HTTP kubectl sends no token: use `tls: true`.
   */
  writeKubeconfig(path?: string, options?: SimulatorKubeconfigOptions): Promise<string>;
  /** Stop serving and destroy every open connection. */
  close(): Promise<void>;
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
  if (options.namespaces ?? true) {
    for (const name of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) {
      store.create('namespaces', { metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    }
  }
  const objects = { store, services: new ServiceAllocator(), applies: new ApplyState() };
  const watches = new Set<SimulatorWatch>();
  const sockets = new Set<Socket>();
  const continueState: ContinueState = { generation: 0 };
  const stats: KubeSimulatorStats = { requests: 0, lists: 0, watches: 0, unauthorized: 0, lastWatchQuery: undefined };
  let token = options.token;
  const expiredReason = options.expiredReason ?? kubeSimulatorDefaults.expiredReason;
  const faults = new SimulatorFaults(store, watches, continueState, expiredReason);
  const tls: TlsMaterial | undefined = options.tls ? await generateTlsMaterial() : undefined;

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sendError = (res: ServerResponse, error: SimulatorStoreError): void => {
    const retry = error.details?.retryAfterSeconds;
    const headers: Record<string, string> = retry === undefined ? {} : { 'retry-after': String(retry) };
    sendJson(res, error.status, statusObject(error.status, error.reason, error.message, error.details, error.listMeta ?? {}), headers);
  };
  const sendStatus = (res: ServerResponse, code: number, reason: string, message: string): void =>
    sendError(res, new SimulatorStoreError(code, reason, message));

  const handleWatch = async (res: ServerResponse, route: Route, query: URLSearchParams, table: TableRequest | undefined): Promise<void> => {
    stats.watches++;
    stats.lastWatchQuery = Object.fromEntries(query);
    const labels = labelSelectorOf(query);
    const fields = parseFieldSelector(query.get('fieldSelector'), route.resource.plural);
    const fallback = options.defaultWatchTimeoutSeconds ?? kubeSimulatorDefaults.defaultWatchTimeoutSeconds;
    const timeout = queryInt(query, 'timeoutSeconds') ?? 0;
    const rvParam = query.get('resourceVersion') ?? '';
    let fromRevision: number | undefined;
    if (rvParam !== '' && rvParam !== '0') {
      fromRevision = Number(rvParam);
      if (!/^\d+$/.test(rvParam) || !Number.isSafeInteger(fromRevision)) throw new QueryError(`invalid resourceVersion "${rvParam}"`);
      if (fromRevision > Number(store.revision)) {
        const message = `Too large resource version: ${fromRevision}, current: ${store.revision}`;
        throw new SimulatorStoreError(504, 'Timeout', message, { causes: [{ reason: 'ResourceVersionTooLarge', message }], retryAfterSeconds: 1 });
      }
      if (fromRevision < store.floor) {
        const message = `too old resource version: ${rvParam} (${store.floor})`;
        if ((options.expiryStyle ?? kubeSimulatorDefaults.expiryStyle) === 'http') throw new SimulatorStoreError(410, expiredReason, message);
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: statusObject(410, expiredReason, message) })}\n`);
        return;
      }
    }
    let first = true;
    const render = (json: string): string => {
      const object = JSON.parse(json) as KubeObject;
      const rendered = toTable(route.resource.kind, [object], table as TableRequest, { resourceVersion: object.metadata.resourceVersion }, first);
      first = false;
      return JSON.stringify(rendered);
    };
    const watch = new SimulatorWatch(
      res,
      store,
      { resource: route.resource, namespace: route.namespace, labels, fields },
      {
        fromRevision,
        bookmarks: queryFlag(query, 'allowWatchBookmarks'),
        bookmarkIntervalMs: options.bookmarkIntervalMs ?? kubeSimulatorDefaults.bookmarkIntervalMs,
        timeoutSeconds: timeout > 0 ? timeout : fallback,
        sendInitialEvents: queryFlag(query, 'sendInitialEvents'),
        render: table ? render : undefined,
      },
      (w) => watches.delete(w),
    );
    watches.add(watch);
    await watch.run();
  };

  const authorized = (req: IncomingMessage): boolean => {
    if (token === undefined || req.headers.authorization === `Bearer ${token}`) return true;
    return tls !== undefined && (req.socket as TLSSocket).authorized === true;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    const url = new URL(req.url ?? '/', 'http://simulator');
    const route = parseRoute(url.pathname);
    const isWatch = route !== undefined && (route.legacyWatch || queryFlag(url.searchParams, 'watch'));
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (!authorized(req)) {
      stats.unauthorized++;
      return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
    }
    const failure = faults.takeFailure(req.method ?? 'GET', isWatch);
    if (failure !== undefined) {
      const reason = failure.status === 429 ? 'TooManyRequests' : failure.status === 504 ? 'Timeout' : 'InternalError';
      const message = `injected failure (HTTP ${failure.status})`;
      const details = failure.retryAfterSeconds === undefined ? undefined : { retryAfterSeconds: failure.retryAfterSeconds };
      return sendError(res, new SimulatorStoreError(failure.status, reason, message, details));
    }
    try {
      if (!route) {
        const answer = req.method === 'GET' ? discovery(url.pathname, req.headers.accept ?? '') : undefined;
        if (answer) return sendJson(res, 200, answer.body, { 'content-type': answer.contentType, vary: 'Accept' });
        return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
      }
      const table = req.method === 'GET' ? tableRequest(req.headers.accept ?? '', url.searchParams) : undefined;
      if (req.method === 'GET' && route.name === undefined) {
        if (isWatch) return await handleWatch(res, route, url.searchParams, table);
        stats.lists++;
        const page = listPage(store, route, url.searchParams, continueState);
        if (!table) return sendJson(res, 200, page);
        const { metadata, items } = JSON.parse(page) as { metadata: Record<string, unknown>; items: KubeObject[] };
        return sendJson(res, 200, toTable(route.resource.kind, items, table, metadata));
      }
      const answer = await handleObject(objects, req, route, url.searchParams);
      if (!table) return sendJson(res, answer.status, answer.body);
      const object = answer.body as KubeObject;
      sendJson(res, answer.status, toTable(route.resource.kind, [object], table, { resourceVersion: object.metadata.resourceVersion }));
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      if (error instanceof SimulatorStoreError) return sendError(res, error);
      if (error instanceof QueryError) return sendStatus(res, 400, 'BadRequest', error.message);
      sendStatus(res, 500, 'InternalError', String(error));
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch(() => res.destroy());
  };
  const server = tls
    ? createTlsServer({ keepAlive: true, cert: tls.serverCert, key: tls.serverKey, ca: tls.caCert, requestCert: true, rejectUnauthorized: false }, listener)
    : createServer({ keepAlive: true }, listener);
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const credentials = (kc: SimulatorKubeconfigOptions): { token?: string | undefined; clientCert?: string; clientKey?: string } => {
    if (kc.auth === 'client-cert') {
      if (!tls) throw new ConfigError('auth', "'client-cert' needs a simulator started with tls: true");
      return { token: kc.token, clientCert: tls.clientCert, clientKey: tls.clientKey };
    }
    return { token: kc.token ?? token };
  };

  return {
    url,
    caCert: tls?.caCert,
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
      const { token: bearer, clientCert, clientKey } = credentials(kcOptions);
      const cluster = tls
        ? { name: 'simulator', server: url, caData: Buffer.from(tls.caCert).toString('base64') }
        : { name: 'simulator', server: url, skipTLSVerify: true };
      const user = {
        name: 'simulator',
        ...(bearer !== undefined ? { token: bearer } : {}),
        ...(clientCert !== undefined && clientKey !== undefined
          ? { certData: Buffer.from(clientCert).toString('base64'), keyData: Buffer.from(clientKey).toString('base64') }
          : {}),
      };
      kc.loadFromOptions({
        clusters: [cluster],
        users: [user],
        contexts: [{ name: 'simulator', cluster: 'simulator', user: 'simulator', namespace: kcOptions.namespace ?? 'default' }],
        currentContext: 'simulator',
      });
      return kc;
    },
    async writeKubeconfig(path, kcOptions = {}) {
      const file = path ?? join(tmpdir(), `kube-simulator-${randomUUID()}.kubeconfig`);
      await writeFile(file, kubeconfigDocument(url, tls?.caCert, credentials(kcOptions), kcOptions.namespace ?? 'default'), { mode: 0o600 });
      return file;
    },
    async close() {
      for (const w of [...watches]) w.drop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
