/**
 * Real backends and real traffic for data-path tests: Node HTTP servers on a loopback address that answer
 * with their own `address:port`, and a bounded client loop that sends GETs through HAProxy (a fresh connection
 * each) and counts every failure with its reason.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Node HTTP server on a loopback address. */
export interface HttpBackend {
  readonly address: string;
  readonly port: number;
  /** Hold each answer this long (to keep a request in flight). */
  delayMs: number;
  /** Requests answered so far. */
  readonly requests: number;
  /** `performance.now()` of the first request, if any. */
  readonly firstRequestAt: number | undefined;
  close(): Promise<void>;
}

/**
 * Start `n` backend servers on `address` (any 127.x.y.z works on Linux), or `n` servers on
 * `addresses[i]` with one shared `port` (Kubernetes-style: every endpoint on the target port).
 */
export async function startHttpBackends(n: number, options: { addresses?: readonly string[]; port?: number } = {}): Promise<HttpBackend[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const address = options.addresses?.[i] ?? '127.0.0.1';
      const state = { delayMs: 0, requests: 0, firstRequestAt: undefined as number | undefined };
      let label = '';
      const server: Server = createServer((_req, res) => {
        state.requests++;
        state.firstRequestAt ??= performance.now();
        const answer = () => res.end(label);
        if (state.delayMs > 0) setTimeout(answer, state.delayMs);
        else answer();
      });
      server.keepAliveTimeout = 1_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, address, resolve);
      });
      const port = (server.address() as AddressInfo).port;
      label = `${address}:${port}`;
      return {
        address,
        port,
        get delayMs() {
          return state.delayMs;
        },
        set delayMs(v: number) {
          state.delayMs = v;
        },
        get requests() {
          return state.requests;
        },
        get firstRequestAt() {
          return state.firstRequestAt;
        },
        close: () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    }),
  );
}

/** GET / on 127.0.0.1:`port` over a fresh connection: the status and body. */
export function httpGet(port: number, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Counts of a {@link trafficLoop}. */
export interface TrafficCounts {
  ok: number;
  failed: number;
  /** Failure reasons (`status 503`, `ECONNRESET`, …) with their counts. */
  reasons: Record<string, number>;
  /** Answers per backend (`address:port`). */
  byBackend: Record<string, number>;
  /** `performance.now()` of every failure. */
  failureTimes: number[];
}

/** A running client loop. */
export interface TrafficLoop {
  readonly counts: TrafficCounts;
  /** Stop and wait for the requests in flight. */
  stop(): Promise<TrafficCounts>;
}

/**
 * Send GETs through HAProxy's frontend from `concurrency` workers until `stop()` or `maxRequests`, each on a
 * fresh connection; any status other than 200 or a socket error counts as failed.
 */
export function trafficLoop(port: number, options: { concurrency?: number; maxRequests?: number } = {}): TrafficLoop {
  const counts: TrafficCounts = { ok: 0, failed: 0, reasons: {}, byBackend: {}, failureTimes: [] };
  let stopped = false;
  const max = options.maxRequests ?? 1_000_000;
  const worker = async () => {
    while (!stopped && counts.ok + counts.failed < max) {
      try {
        const { status, body } = await httpGet(port);
        if (status === 200) {
          counts.ok++;
          counts.byBackend[body] = (counts.byBackend[body] ?? 0) + 1;
        } else {
          counts.failed++;
          counts.failureTimes.push(performance.now());
          counts.reasons[`status ${status}`] = (counts.reasons[`status ${status}`] ?? 0) + 1;
        }
      } catch (err) {
        counts.failed++;
        counts.failureTimes.push(performance.now());
        const reason = (err as { code?: string }).code ?? (err as Error).message;
        counts.reasons[reason] = (counts.reasons[reason] ?? 0) + 1;
      }
    }
  };
  const workers = Array.from({ length: options.concurrency ?? 4 }, worker);
  return {
    counts,
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return counts;
    },
  };
}
