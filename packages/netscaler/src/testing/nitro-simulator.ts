/**
 * A NITRO simulator over HTTP (or HTTPS) on loopback, for tests and demos of anything that drives a
 * NetScaler. It authenticates like the appliance (login sessions with an idle timeout on an injectable
 * clock, the `NITRO_AUTH_TOKEN` cookie, or `X-NITRO-USER`/`X-NITRO-PASS` headers), holds the load-balancing
 * configuration in {@link SimulatorState}, records every request in a {@link RequestLog} and lets a test
 * inject faults through {@link SimulatorFaults}.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Clock, ConfigError, systemClock } from '@nitrox/core';
import type { NitroRecord } from '../nitro-types.js';
import { parseParams } from '../nitro-query.js';
import { NitroFault, nitroFaults } from './nitro-fault.js';
import { type RoutedAnswer, route } from './nitro-router.js';
import { RequestLog } from './request-log.js';
import { SimulatorFaults } from './simulator-faults.js';
import { SimulatorState } from './simulator-state.js';

/** Options of {@link startNitroSimulator}. */
export interface NitroSimulatorOptions {
  /** Accepted user name. */
  readonly username: string;
  /** Accepted password. */
  readonly password: string;
  /** Port to listen on (127.0.0.1). @defaultValue 0 (any free port) */
  readonly port?: number;
  /** Clock for session idle timeouts. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** Session idle timeout when `login` gives none, in seconds. @defaultValue 1800 (NetScaler's default) */
  readonly sessionTimeoutSeconds?: number;
  /** Sessions allowed at once; the next login gets 445. @defaultValue 64 */
  readonly maxSessions?: number;
  /** Serve HTTPS with this PEM key and certificate. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

interface Session {
  readonly username: string;
  readonly timeoutMs: number;
  lastUsed: number;
}

/** A running NITRO simulator. */
export class NitroSimulator {
  /** The configuration it holds (read or edit it directly in tests). */
  readonly state = new SimulatorState();
  /** Every request answered. */
  readonly requestLog = new RequestLog();
  /** Fault injection. */
  readonly faults: SimulatorFaults;
  readonly #options: NitroSimulatorOptions;
  readonly #clock: Clock;
  readonly #sessions = new Map<string, Session>();
  #server: Server | undefined;
  #url = '';
  #inFlight = 0;
  #maxInFlight = 0;

  /** @throws ConfigError when username or password is missing. */
  constructor(options: NitroSimulatorOptions) {
    if (typeof options.username !== 'string' || options.username === '') {
      throw new ConfigError('username', 'must be a non-empty string');
    }
    if (typeof options.password !== 'string') throw new ConfigError('password', 'must be a string');
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.faults = new SimulatorFaults(() => this.#sessions.clear());
  }

  /** Base URL, e.g. `http://127.0.0.1:41234` (empty before start). */
  get url(): string {
    return this.#url;
  }

  /** Sessions alive now (expired ones excluded). */
  get activeSessions(): number {
    this.#expireSessions();
    return this.#sessions.size;
  }

  /** Most requests that were being answered at once. */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Start listening on 127.0.0.1. */
  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      void this.#handle(req, res);
    };
    const server = this.#options.tls ? createHttpsServer(this.#options.tls, handler) : createHttpServer(handler);
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.#url = `${this.#options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  /** Stop listening and drop every connection. */
  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#inFlight++;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    try {
      const text = await readBody(req);
      if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
      const { answer, headers } = this.#answer(req, text);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(answer.body));
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    } finally {
      this.#inFlight--;
    }
  }

  #answer(req: IncomingMessage, text: string): { answer: RoutedAnswer; headers: Record<string, string> } {
    const method = req.method ?? 'GET';
    const [rawPath = '', rawQuery = ''] = (req.url ?? '').split('?', 2) as [string, string?];
    const match = /^\/nitro\/v1\/config\/([A-Za-z0-9_]+)(?:\/([^/]+))?\/?$/.exec(rawPath);
    const query = parseQuery(rawQuery);
    const type = match?.[1] ?? '';
    const name = match?.[2] === undefined ? undefined : decodeTwice(match[2]);
    const onError = header(req, 'x-nitro-onerror');
    let records: NitroRecord[] = [];
    let bulk = false;
    let auth: 'session' | 'headers' | 'none' = 'none';
    const headers: Record<string, string> = {};
    const finish = (answer: RoutedAnswer) => {
      const isAuth = type === 'login' || type === 'logout';
      this.requestLog.record({
        method,
        type,
        name,
        query,
        status: answer.status,
        errorcode: Number((answer.body as { errorcode?: number }).errorcode ?? 0),
        items: method === 'GET' || method === 'DELETE' ? 0 : records.length,
        records: isAuth || method === 'GET' ? undefined : records,
        onError,
        auth,
        write: method !== 'GET' && !isAuth,
      });
      return { answer, headers };
    };
    const fail = (fault: NitroFault) => finish({ status: fault.status, body: fault.toBody() });
    if (match === null) return fail(new NitroFault(258, 'No such resource [path]', 404));
    let payload: unknown;
    if (text.trim() !== '') {
      try {
        payload = JSON.parse(text);
      } catch {
        return fail(nitroFaults.invalidArgument('JSON'));
      }
    }
    if (type === 'login' && method === 'POST') return finish(this.#login(payload, headers));
    this.faults.applySessionKill(method, type);
    // Authentication.
    const user = header(req, 'x-nitro-user');
    if (user !== undefined) {
      auth = 'headers';
      if (user !== this.#options.username || header(req, 'x-nitro-pass') !== this.#options.password) {
        return fail(nitroFaults.invalidCredentials());
      }
    } else {
      const token = /(?:^|;\s*)NITRO_AUTH_TOKEN=([^;]+)/.exec(header(req, 'cookie') ?? '')?.[1];
      if (token === undefined) return fail(new NitroFault(354, 'Not logged in', 401));
      auth = 'session';
      this.#expireSessions();
      const session = this.#sessions.get(token);
      if (session === undefined) return fail(nitroFaults.sessionExpired());
      session.lastUsed = this.#clock.now();
      if (type === 'logout') {
        this.#sessions.delete(token);
        return finish({ status: 201, body: { errorcode: 0, message: 'Done', severity: 'NONE' } });
      }
    }
    const injected = this.faults.takeRequestFault(method, type);
    if (injected !== undefined) return fail(injected);
    if (method === 'POST' || method === 'PUT') {
      const value = (payload as Record<string, unknown> | undefined)?.[type];
      bulk = Array.isArray(value);
      records = (bulk ? (value as unknown[]) : value === undefined ? [] : [value]).filter(
        (r): r is NitroRecord => typeof r === 'object' && r !== null,
      );
    }
    return finish(
      route(this.state, this.faults, {
        method,
        type,
        name,
        query,
        args: parseParams(query.args ?? ''),
        filter: query.filter === undefined ? undefined : parseParams(query.filter),
        records,
        bulk,
        onError,
      }),
    );
  }

  #login(payload: unknown, headers: Record<string, string>): RoutedAnswer {
    const login = (payload as { login?: { username?: unknown; password?: unknown; timeout?: unknown } } | undefined)
      ?.login;
    if (login?.username !== this.#options.username || login?.password !== this.#options.password) {
      const fault = nitroFaults.invalidCredentials();
      return { status: fault.status, body: fault.toBody() };
    }
    this.#expireSessions();
    if (this.#sessions.size >= (this.#options.maxSessions ?? 64)) {
      const fault = nitroFaults.sessionLimit();
      return { status: fault.status, body: fault.toBody() };
    }
    const seconds = Number(login.timeout ?? this.#options.sessionTimeoutSeconds ?? 1800);
    const token = randomBytes(16).toString('hex');
    this.#sessions.set(token, {
      username: this.#options.username,
      timeoutMs: (Number.isFinite(seconds) && seconds > 0 ? seconds : 1800) * 1000,
      lastUsed: this.#clock.now(),
    });
    headers['set-cookie'] = `NITRO_AUTH_TOKEN=${token}; path=/nitro/v1`;
    return { status: 201, body: { errorcode: 0, message: 'Done', severity: 'NONE', sessionid: `##${token}` } };
  }

  #expireSessions(): void {
    const now = this.#clock.now();
    for (const [token, s] of this.#sessions) if (now - s.lastUsed > s.timeoutMs) this.#sessions.delete(token);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Names arrive URL-encoded twice (as the official clients send them); decoding twice is harmless for names. */
function decodeTwice(segment: string): string {
  try {
    const once = decodeURIComponent(segment);
    return once.includes('%') ? decodeURIComponent(once) : once;
  } catch {
    return segment;
  }
}

/** Split a query string; `args` and `filter` keep their raw text (values are decoded by `parseParams`). */
function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    out[key] = key === 'args' || key === 'filter' ? value : safeDecode(value);
  }
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Start a NITRO simulator on 127.0.0.1.
 *
 * @example
 * ```ts
 * const sim = await startNitroSimulator({ username: 'nsroot', password: 'secret' });
 * sim.state.addLbvserver({ name: 'vs-web', servicetype: 'HTTP', ipv46: '10.0.0.10', port: 80 });
 * // … point a NitroClient at sim.url …
 * await sim.close();
 * ```
 */
export async function startNitroSimulator(options: NitroSimulatorOptions): Promise<NitroSimulator> {
  const simulator = new NitroSimulator(options);
  await simulator.start();
  return simulator;
}
