/**
 * A NITRO simulator over HTTP (or HTTPS) on loopback, for tests and demos of anything that drives a
 * NetScaler. It authenticates like the appliance (login sessions with an idle timeout on an injectable
 * clock, the session token in any form Citrix's clients send it — see {@link decodeRequest} — or
 * `X-NITRO-USER`/`X-NITRO-PASS` headers), answers with the appliance's status lines, holds the load-balancing
 * configuration in {@link SimulatorState}, records every request in a {@link RequestLog} and lets a test
 * inject faults through {@link SimulatorFaults}.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Clock, ConfigError, systemClock } from '@nitrox/core';
import type { NitroRecord } from '../nitro-types.js';
import { type NitroFault, nitroFaults } from './nitro-fault.js';
import { type RoutedAnswer, type RouterSettings, route } from './nitro-router.js';
import { decodeRequest, parsePairs } from './request-decode.js';
import { RequestLog, type RequestLogEntry } from './request-log.js';
import { SimulatorFaults } from './simulator-faults.js';
import { SimulatorState } from './simulator-state.js';

/** Options of {@link startNitroSimulator}. */
export interface NitroSimulatorOptions {
  /** Accepted user name. */
  readonly username: string;
  /** Accepted password. */
  readonly password: string;
  /** Port to listen on. @defaultValue 0 (any free port) */
  readonly port?: number;
  /**
   * Address to listen on: loopback unless a test must reach the simulator from a network namespace it made
   * (a container of a test swarm). @defaultValue `'127.0.0.1'`
   */
  readonly host?: string;
  /** Clock for session idle timeouts. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** Session idle timeout when `login` gives none, in seconds. @defaultValue 1800 (NetScaler's default) */
  readonly sessionTimeoutSeconds?: number;
  /** Sessions allowed at once; the next login gets 445. @defaultValue 64 */
  readonly maxSessions?: number;
  /** Serve HTTPS with this PEM key and certificate. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /**
   * Binding a member by an IP address that a differently named `server` already holds: `reuse` binds that
   * server (the member's `servername` is its name), `refuse` answers 273. Which one a real appliance does is
   * not recorded in any reference we found (docs/netscaler.md, "Open question"), so tests cover both.
   * @defaultValue `'reuse'`
   */
  readonly serverIpConflict?: 'reuse' | 'refuse';
  /**
   * `refuse`: answer an array add of a binding type (`PUT`/`POST` of `[…]`) with 400/278, as firmware that
   * does not take bulk binding adds would, to test a client's per-item fallback.
   * @defaultValue `'accept'`
   */
  readonly bulkBindingAdds?: 'accept' | 'refuse';
}

/** HTTP reason phrases the appliance uses where Node's differ (adc-nitro-go matches on the full status line). */
const reasonPhrases: Readonly<Record<number, string>> = { 207: 'Multi Status', 599: 'Netscaler specific error' };

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
  readonly #settings: RouterSettings;
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
    this.#settings = { serverIpConflict: options.serverIpConflict ?? 'reuse', bulkBindingAdds: options.bulkBindingAdds ?? 'accept' };
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

  /** Start listening on `host` (127.0.0.1 by default). */
  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      void this.#handle(req, res);
    };
    const host = this.#options.host ?? '127.0.0.1';
    const server = this.#options.tls ? createHttpsServer(this.#options.tls, handler) : createHttpServer(handler);
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port ?? 0, host, () => resolve());
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.#url = `${this.#options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
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
      const reason = reasonPhrases[answer.status];
      const head = { 'content-type': 'application/json', ...headers };
      if (reason === undefined) res.writeHead(answer.status, head);
      else res.writeHead(answer.status, reason, head);
      res.end(JSON.stringify(answer.body));
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    } finally {
      this.#inFlight--;
    }
  }

  #answer(req: IncomingMessage, text: string): { answer: RoutedAnswer; headers: Record<string, string> } {
    const decoded = decodeRequest(req, text);
    const { method, type, name, query, payload, onError } = decoded;
    let records: NitroRecord[] = [];
    let bulk = false;
    let auth: RequestLogEntry['auth'] = 'none';
    let credentials: RequestLogEntry['credentials'];
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
        credentials,
        bulk,
        write: method !== 'GET' && !isAuth,
      });
      return { answer, headers };
    };
    const fail = (fault: NitroFault) => finish({ status: fault.status, body: fault.toBody() });
    if (decoded.fault !== undefined) return fail(decoded.fault);
    if (type === 'login' && method === 'POST') return finish(this.#login(payload, headers));
    this.faults.applySessionKill(method, type);
    // Authentication: X-NITRO-USER/PASS, else a session token from any of the forms the clients use.
    const user = req.headers['x-nitro-user'];
    if (user !== undefined) {
      auth = 'headers';
      credentials = 'headers';
      if (user !== this.#options.username || req.headers['x-nitro-pass'] !== this.#options.password) {
        return fail(nitroFaults.invalidCredentials());
      }
    } else {
      const token = decoded.token;
      if (token === undefined) return fail(nitroFaults.notLoggedIn());
      auth = 'session';
      credentials = token.from;
      this.#expireSessions();
      const session = this.#sessions.get(token.id);
      if (session === undefined) return fail(nitroFaults.sessionExpired());
      session.lastUsed = this.#clock.now();
      if (type === 'logout') {
        this.#sessions.delete(token.id);
        return finish({ status: 201, body: { errorcode: 0, message: 'Done', severity: 'NONE' } });
      }
    }
    const injected = this.faults.takeRequestFault(method, type);
    if (injected !== undefined) return fail(injected);
    if (method === 'POST' || method === 'PUT') {
      const value = payload?.[type];
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
        args: parsePairs(query.args ?? ''),
        filter: query.filter === undefined ? undefined : parsePairs(query.filter),
        records,
        bulk,
        onError,
        settings: this.#settings,
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
    // The cookie carries the body's sessionid URL-encoded (`%23%23…`); clients send back either spelling.
    headers['set-cookie'] = `NITRO_AUTH_TOKEN=${encodeURIComponent(`##${token}`)}; path=/nitro/v1`;
    return { status: 201, body: { errorcode: 0, message: 'Done', severity: 'NONE', sessionid: `##${token}` } };
  }

  #expireSessions(): void {
    const now = this.#clock.now();
    for (const [token, s] of this.#sessions) if (now - s.lastUsed > s.timeoutMs) this.#sessions.delete(token);
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
