/**
 * Shared pieces of the integration tests: real backends (Node HTTP servers on loopback that answer with their
 * own port, optionally slowly) and a GET through HAProxy.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Node HTTP server on 127.0.0.1 that answers its port; `delayMs` holds each answer. */
export interface TestBackendServer {
  readonly port: number;
  delayMs: number;
  close(): Promise<void>;
}

/** Start `n` backend servers. */
export async function backendServers(n: number): Promise<TestBackendServer[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const state = { delayMs: 0 };
      const server: Server = createServer((_req, res) => {
        const answer = () => res.end(String((server.address() as AddressInfo).port));
        if (state.delayMs > 0) setTimeout(answer, state.delayMs);
        else answer();
      });
      server.keepAliveTimeout = 1_000;
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      return {
        port,
        get delayMs() {
          return state.delayMs;
        },
        set delayMs(v: number) {
          state.delayMs = v;
        },
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      };
    }),
  );
}

/** GET / through HAProxy's frontend: the status and body (a fresh connection each time). */
export function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
