/**
 * The operations HTTP endpoint: `/metrics` (Prometheus text), `/healthz` (the process is alive and not stuck
 * shutting down) and `/readyz` (the runtime's readiness; the body lists what is still waiting, then notes such as
 * the leadership state), and with a dashboard the live page at `/` and its event stream at `/events`. Plain
 * node:http, no framework: five routes do not need one.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@nitrox/core';
import { serveDashboardEvents } from './dashboard-events.js';
import { dashboardHtml } from './dashboard-page.js';
import type { DashboardState } from './dashboard-state.js';
import type { NitroxMetrics } from './metrics.js';

/** What `/readyz` reports. */
export interface Readiness {
  /** True when the process can do its work. */
  readonly ready: boolean;
  /** Names of the components still waiting (empty when ready). */
  readonly waiting: readonly string[];
  /** Lines shown in the body whatever the status, e.g. the leadership state. */
  readonly notes?: readonly string[];
}

/** Options of {@link OpsServer}. */
export interface OpsServerOptions {
  /** `host:port`; port 0 picks a free port. */
  listen: string;
  /** Metrics to serve. */
  metrics: NitroxMetrics;
  /** Readiness probe. */
  readiness: () => Readiness;
  /** Liveness probe. @defaultValue always alive */
  liveness?: () => boolean;
  /** State of the live dashboard served at `/` and `/events`. @defaultValue no dashboard */
  dashboard?: DashboardState;
  /** Interval of the dashboard stream's heartbeat comment. @defaultValue 15 s */
  heartbeatMs?: number;
  /** Errors of the listening server after it started (e.g. EMFILE on accept). @defaultValue ignored */
  onError?: (error: Error) => void;
}

/** Split `host:port` (IPv6 in brackets). */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]*)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65_535) throw new ConfigError('http.listen', `expected "host:port", got "${listen}"`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

/** The `/metrics`, `/healthz`, `/readyz` (and dashboard `/`, `/events`) server. */
export class OpsServer {
  readonly #options: OpsServerOptions;
  #server: Server | undefined;

  /** Validates `listen`; does no I/O. */
  constructor(options: OpsServerOptions) {
    parseListen(options.listen);
    this.#options = options;
  }

  /** Start listening; resolves with the bound `host:port`. */
  async start(): Promise<string> {
    const { host, port } = parseListen(this.#options.listen);
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        this.#options.metrics.render().then(
          (text) => res.writeHead(200, { 'content-type': this.#options.metrics.registry.contentType }).end(text),
          (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
        );
      } else if (path === '/healthz' || path === '/livez') {
        const alive = this.#options.liveness?.() ?? true;
        res.writeHead(alive ? 200 : 503, { 'content-type': 'text/plain' }).end(alive ? 'ok\n' : 'unhealthy\n');
      } else if (path === '/readyz') {
        const r = this.#options.readiness();
        const notes = (r.notes ?? []).map((n) => `${n}\n`).join('');
        res
          .writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' })
          .end(`${r.ready ? 'ready' : `waiting for: ${r.waiting.join(', ')}`}\n${notes}`);
      } else if (path === '/' && this.#options.dashboard) {
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'" })
          .end(dashboardHtml);
      } else if (path === '/events' && this.#options.dashboard) {
        serveDashboardEvents(req, res, this.#options.dashboard, this.#options.heartbeatMs);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: try /metrics, /healthz or /readyz${this.#options.dashboard ? ' or the dashboard at /' : ''}\n`);
      }
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Without a listener an 'error' after start would be thrown and end the process.
    server.on('error', (err) => this.#options.onError?.(err));
    this.#server = server;
    const address = server.address() as AddressInfo;
    return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
  }

  /** The underlying node:http server while listening, `undefined` before `start()` and after `stop()`. */
  get server(): Server | undefined {
    return this.#server;
  }

  /** Stop listening and close idle connections. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
