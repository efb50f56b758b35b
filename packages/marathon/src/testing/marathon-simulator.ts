/**
 * A Marathon (1.8) simulator over real HTTP on loopback, for tests of this package and of users' controllers,
 * and for Marathon's own clients (the Python client runs against it in this package's tests). It serves the
 * REST API of `simulator-routes.ts` and `/v2/events` (SSE, 405 without `Accept: text/event-stream`), optionally
 * over TLS and behind basic or token auth; agents can register by hostname, and a standby master can be put in
 * front of it. It counts requests per route so tests can assert what a client cost, and exposes fault switches
 * for the REST calls, the stream and a leader failover.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { MarathonEvent } from '../marathon-types.js';
import type { HostLookup } from '../host-resolver.js';
import { agentAddress } from './simulator-json.js';
import { SimulatorModel } from './simulator-model.js';
import { route, send } from './simulator-routes.js';
import { type SimulatorStandby, startStandby } from './simulator-standby.js';
import type { SimAgentNaming, SimAppDefinition, SimTiming } from './simulator-types.js';
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
  /** Task life-cycle timings (staging/starting, first health result, kill grace). @defaultValue all 0 (synchronous) */
  readonly timing?: SimTiming;
  /** Agents register by IP (`10.0.0.n`) or by hostname (`mesos-agent-n.example`, see `agents.lookup`). @defaultValue `'ip'` */
  readonly agents?: SimAgentNaming;
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
  /** Replace an app's labels (a configuration change: every task is replaced in a rolling restart). */
  setLabels(id: string, labels: Readonly<Record<string, string>>): void;
  /** Restart an app (a rolling restart). */
  restart(id: string): void;
  /** Run every health check now (results return after a failover). */
  runHealthChecks(): void;
  /** Delete an app. */
  destroy(id: string): void;
  /** Deployments in progress. */
  deployments(): number;
  /** Ids of the live tasks of an app. */
  taskIds(id: string): string[];
  /** Ids of every app. */
  ids(): string[];
}

/** REST and stream faults. */
export interface SimulatorFaults extends SseFaults {
  /** Answer the next `count` REST requests whose path matches with `status`. */
  failRequests(options: { count: number; status: number; path?: RegExp }): void;
  /**
   * A leader failover: event streams are dropped and every health result is lost; results come back after
   * `healthAfterMs` (default `timing.healthMs`; with 0, only on `apps.runHealthChecks()`).
   */
  failover(options?: { healthAfterMs?: number }): void;
  /** Cut the master off from an agent (its tasks turn TASK_UNREACHABLE), or reconnect it with `cut: false`. */
  partitionAgent(host: string, cut?: boolean): void;
}

/** The agents of the simulated cluster. */
export interface SimulatorAgents {
  /** Resolves agent hostnames as the test network's DNS would (pass it as the source's `resolver.lookup`). */
  readonly lookup: HostLookup;
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
  /** The agents (and a resolver of their hostnames). */
  readonly agents: SimulatorAgents;
  /** Start a standby master in front of this one (redirects `/v2/events`, proxies REST); closed with the simulator. */
  startStandby(options?: { redirectTo?: string }): Promise<SimulatorStandby>;
  /** Publish any event, as if Marathon had emitted it. */
  publish(event: MarathonEvent): void;
  /** Zero the request counters. */
  resetRequests(): void;
  /** Close every stream and the server. */
  close(): Promise<void>;
}

function authorized(req: IncomingMessage, auth: MarathonSimulatorOptions['auth']): boolean {
  if (auth === undefined) return true;
  const header = req.headers.authorization ?? '';
  if ('token' in auth) return header === `token=${auth.token}` || header === `Bearer ${auth.token}`;
  return header === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
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
  const model = new SimulatorModel((event) => hub.publish(event), {
    ...(options.timing === undefined ? {} : { timing: options.timing }),
    ...(options.agents === undefined ? {} : { agents: options.agents }),
  });
  for (const app of options.apps ?? []) model.create(app);
  const requests: SimulatorRequestCounts = { apps: 0, app: 0, appTasks: 0, events: 0, lightPlans: 0, other: 0 };
  const failures: { count: number; status: number; path: RegExp | undefined }[] = [];
  let leader = '127.0.0.1:0';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (path === '/v2/events') {
      requests.events++;
      if (url.searchParams.get('plan-format') === 'light') requests.lightPlans++;
    } else if (path === '/v2/apps' && method === 'GET') requests.apps++;
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
      const light = url.searchParams.get('plan-format') === 'light';
      hub.attach(res, types.length > 0 ? new Set(types) : undefined, req.socket.remoteAddress ?? '127.0.0.1', light);
      return;
    }
    try {
      if (await route({ model, leader, now: () => new Date().toISOString() }, req, res, url, path)) return;
    } catch (error) {
      const message = (error as Error).message;
      send(res, /does not exist/.test(message) ? 404 : 409, { message });
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
  leader = `127.0.0.1:${port}`;
  const standbys: SimulatorStandby[] = [];

  const apps: SimulatorApps = {
    create: (d) => model.create(d),
    scale: (id, n) => model.scale(id, n),
    killTask: (taskId, o) => model.killTask(taskId, o ?? {}),
    setHealth: (taskId, alive) => model.setHealth(taskId, alive),
    setLabels: (id, labels) => model.setLabels(id, labels),
    restart: (id) => model.restart(id),
    runHealthChecks: () => model.runHealthChecks(),
    destroy: (id) => model.destroy(id),
    deployments: () => model.deployments().length,
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
    failover: (o = {}) => {
      hub.dropStreams();
      model.loseHealth(o.healthAfterMs);
    },
    partitionAgent: (host, cut = true) => model.partitionAgent(host, cut),
  };
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    apps,
    faults,
    requests,
    events: hub.stats,
    agents: {
      lookup: async (host) => {
        const address = agentAddress(host);
        if (address === host) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
        return [address];
      },
    },
    startStandby: async (o = {}) => {
      const standby = await startStandby(`${scheme}://127.0.0.1:${port}`, o);
      standbys.push(standby);
      return standby;
    },
    publish: (event) => hub.publish(event),
    resetRequests: () => {
      for (const key of Object.keys(requests) as (keyof SimulatorRequestCounts)[]) requests[key] = 0;
    },
    close: async () => {
      model.close();
      await Promise.all(standbys.map((s) => s.close()));
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
