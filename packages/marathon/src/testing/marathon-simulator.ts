/**
 * A Marathon simulator over real HTTP on loopback, for tests of this package and of users' controllers. It
 * serves `/v2/apps` (with `embed=apps.tasks`), `/v2/apps/{id}` (with tasks), `/v2/apps/{id}/tasks`, `PUT
 * /v2/apps/{id}` (scale), `DELETE /v2/apps/{id}/tasks/{taskId}` and `/v2/events` (SSE, 405 without
 * `Accept: text/event-stream`), optionally over TLS and behind basic or token auth. It counts requests per
 * route so tests can assert what a client cost, and exposes fault switches for the REST calls and the stream.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { MarathonEvent } from '../marathon-types.js';
import { type SimAppDefinition, SimulatorModel } from './simulator-model.js';
import { type SseFaults, SseHub, type SseStats } from './sse-hub.js';

/** Options of {@link startMarathonSimulator}. */
export interface MarathonSimulatorOptions {
  /** Interval of the bare CRLF heartbeat on event streams; 0 = none. @defaultValue `10_000` */
  readonly heartbeatMs?: number;
  /** Require these credentials (401 otherwise). */
  readonly auth?: { readonly username: string; readonly password: string } | { readonly token: string };
  /**
   * Serve HTTPS with this key and certificate (PEM); with `clientCa`, also require a client certificate signed
   * by it (mutual TLS).
   */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer; readonly clientCa?: string | Buffer };
  /** Random source for shuffling and loss. @defaultValue `Math.random` */
  readonly random?: () => number;
  /** Apps to create before the server starts listening. */
  readonly apps?: readonly SimAppDefinition[];
}

/** Requests served, per route. */
export interface SimulatorRequestCounts {
  /** `GET /v2/apps` (full snapshots). */
  apps: number;
  /** `GET /v2/apps/{id}`. */
  app: number;
  /** `GET /v2/apps/{id}/tasks`. */
  appTasks: number;
  /** `GET /v2/events` (stream opens, including refused ones). */
  events: number;
  /** Stream opens that asked for `plan-format=light`. */
  lightPlans: number;
  /** Everything else. */
  other: number;
}

/** Apps API of the simulator: the operations a Marathon user performs. */
export interface SimulatorApps {
  /** Create an app and launch its instances. */
  create(definition: SimAppDefinition): void;
  /** Scale an app. */
  scale(id: string, instances: number): void;
  /** Kill one task (replaced unless `scale`). */
  killTask(taskId: string, options?: { scale?: boolean; state?: string }): void;
  /** Make one task's health check pass or fail. */
  setHealth(taskId: string, alive: boolean): void;
  /** Replace an app's labels. */
  setLabels(id: string, labels: Readonly<Record<string, string>>): void;
  /** Delete an app. */
  destroy(id: string): void;
  /** Ids of the live tasks of an app. */
  taskIds(id: string): string[];
  /** Ids of every app. */
  ids(): string[];
}

/** REST and stream faults. */
export interface SimulatorFaults extends SseFaults {
  /** Answer the next `count` REST requests whose path matches with `status`. */
  failRequests(options: { count: number; status: number; path?: RegExp }): void;
}

/** A running simulator. */
export interface MarathonSimulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The apps API. */
  readonly apps: SimulatorApps;
  /** Fault injection. */
  readonly faults: SimulatorFaults;
  /** Requests served per route (a live object). */
  readonly requests: SimulatorRequestCounts;
  /** Event bus counters (a live object). */
  readonly events: SseStats;
  /** Publish any event, as if Marathon had emitted it. */
  publish(event: MarathonEvent): void;
  /** Zero the request counters. */
  resetRequests(): void;
  /** Close every stream and the server. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function authorized(req: IncomingMessage, auth: MarathonSimulatorOptions['auth']): boolean {
  if (auth === undefined) return true;
  const header = req.headers.authorization ?? '';
  if ('token' in auth) return header === `token=${auth.token}` || header === `Bearer ${auth.token}`;
  return header === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : JSON.parse(text);
}

/**
 * Start a Marathon simulator on 127.0.0.1 (a free port).
 *
 * @example
 * ```ts
 * const sim = await startMarathonSimulator({ apps: [{ id: '/web', instances: 4 }] });
 * sim.apps.scale('/web', 6);
 * await sim.close();
 * ```
 */
export async function startMarathonSimulator(options: MarathonSimulatorOptions = {}): Promise<MarathonSimulator> {
  const hub = new SseHub({ heartbeatMs: options.heartbeatMs ?? 10_000, random: options.random ?? Math.random });
  const model = new SimulatorModel((event) => hub.publish(event));
  for (const app of options.apps ?? []) model.create(app);
  const requests: SimulatorRequestCounts = { apps: 0, app: 0, appTasks: 0, events: 0, lightPlans: 0, other: 0 };
  const failures: { count: number; status: number; path: RegExp | undefined }[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (path === '/v2/events') {
      requests.events++;
      if (url.searchParams.get('plan-format') === 'light') requests.lightPlans++;
    }
    else if (path === '/v2/apps' && method === 'GET') requests.apps++;
    else if (path.startsWith('/v2/apps/') && path.endsWith('/tasks') && method === 'GET') requests.appTasks++;
    else if (path.startsWith('/v2/apps/') && method === 'GET') requests.app++;
    else requests.other++;

    if (!authorized(req, options.auth)) {
      send(res, 401, { message: 'Unauthorized' });
      return;
    }
    const failure = failures.find((f) => f.count > 0 && (f.path === undefined || f.path.test(path)));
    if (failure !== undefined && path !== '/v2/events') {
      failure.count--;
      send(res, failure.status, { message: `injected failure ${failure.status}` });
      return;
    }
    if (path === '/v2/events') {
      if (method !== 'GET' || !(req.headers.accept ?? '').includes('text/event-stream')) {
        send(res, 405, { message: 'HTTP 405 Method Not Allowed' });
        return;
      }
      const types = url.searchParams.getAll('event_type');
      hub.attach(res, types.length > 0 ? new Set(types) : undefined, req.socket.remoteAddress ?? '127.0.0.1');
      return;
    }
    if (path === '/v2/apps' && method === 'GET') {
      const embed = url.searchParams.getAll('embed').includes('apps.tasks');
      send(res, 200, { apps: model.ids().map((id) => model.toJson(id, embed)) });
      return;
    }
    const killMatch = /^\/v2\/apps(\/.+)\/tasks\/([^/]+)$/.exec(path);
    if (killMatch !== null && method === 'DELETE') {
      try {
        model.killTask(decodeURIComponent(killMatch[2] as string), { scale: url.searchParams.get('scale') === 'true' });
        send(res, 200, { deploymentId: 'sim', version: new Date().toISOString() });
      } catch (error) {
        send(res, 404, { message: (error as Error).message });
      }
      return;
    }
    const tasksMatch = /^\/v2\/apps(\/.+)\/tasks$/.exec(path);
    if (tasksMatch !== null && method === 'GET') {
      const id = decodeURIComponent(tasksMatch[1] as string);
      if (!model.has(id)) send(res, 404, { message: `App '${id}' does not exist` });
      else send(res, 200, { tasks: model.tasksJson(id) });
      return;
    }
    const appMatch = /^\/v2\/apps(\/.+)$/.exec(path);
    if (appMatch !== null) {
      const id = decodeURIComponent(appMatch[1] as string);
      if (method === 'GET') {
        if (!model.has(id)) send(res, 404, { message: `App '${id}' does not exist` });
        else send(res, 200, { app: model.toJson(id, true) });
        return;
      }
      if (method === 'PUT') {
        const body = (await readBody(req)) as { instances?: unknown; labels?: unknown };
        if (!model.has(id)) {
          send(res, 404, { message: `App '${id}' does not exist` });
          return;
        }
        if (typeof body.labels === 'object' && body.labels !== null) model.setLabels(id, body.labels as Record<string, string>);
        if (typeof body.instances === 'number') model.scale(id, body.instances);
        send(res, 200, { deploymentId: 'sim', version: new Date().toISOString() });
        return;
      }
      if (method === 'DELETE') {
        if (!model.has(id)) send(res, 404, { message: `App '${id}' does not exist` });
        else {
          model.destroy(id);
          send(res, 200, { deploymentId: 'sim', version: new Date().toISOString() });
        }
        return;
      }
    }
    if (path === '/v2/apps' && method === 'POST') {
      try {
        model.create((await readBody(req)) as SimAppDefinition);
        send(res, 201, {});
      } catch (error) {
        send(res, 409, { message: (error as Error).message });
      }
      return;
    }
    send(res, 404, { message: `Not found: ${path}` });
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { message: String((error as Error).message ?? error) });
      else res.destroy();
    });
  };
  const server: Server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer(
          {
            key: options.tls.key,
            cert: options.tls.cert,
            ...(options.tls.clientCa === undefined
              ? {}
              : { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true }),
          },
          listener,
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls === undefined ? 'http' : 'https';

  const apps: SimulatorApps = {
    create: (d) => model.create(d),
    scale: (id, n) => model.scale(id, n),
    killTask: (taskId, o) => model.killTask(taskId, o ?? {}),
    setHealth: (taskId, alive) => model.setHealth(taskId, alive),
    setLabels: (id, labels) => model.setLabels(id, labels),
    destroy: (id) => model.destroy(id),
    taskIds: (id) => model.taskIds(id),
    ids: () => model.ids(),
  };
  const faults: SimulatorFaults = {
    dropStreams: () => hub.dropStreams(),
    stallStreams: () => hub.stallStreams(),
    loseEvents: (count) => hub.loseEvents(count),
    setLossRate: (p) => hub.setLossRate(p),
    setShuffle: (on) => hub.setShuffle(on),
    setBatching: (on) => hub.setBatching(on),
    injectRaw: (text) => hub.injectRaw(text),
    failRequests: ({ count, status, path }) => failures.push({ count, status, path }),
  };
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    apps,
    faults,
    requests,
    events: hub.stats,
    publish: (event) => hub.publish(event),
    resetRequests: () => {
      for (const key of Object.keys(requests) as (keyof SimulatorRequestCounts)[]) requests[key] = 0;
    },
    close: async () => {
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
