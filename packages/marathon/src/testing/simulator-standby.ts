/**
 * A standby Marathon master in front of a simulator: like Marathon's `LeaderProxyFilter`, it answers
 * `GET /v2/events` with a 302 redirect to the same path and query on the leader, and proxies every other
 * request to the leader (REST calls work through any master). It counts what it redirected and proxied.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Requests a standby handled. */
export interface StandbyCounts {
  /** `/v2/events` answered with a redirect. */
  redirects: number;
  /** Requests proxied to the leader. */
  proxied: number;
}

/** A running standby master. */
export interface SimulatorStandby {
  /** Base URL of the standby. */
  readonly url: string;
  /** What it handled (a live object). */
  readonly requests: StandbyCounts;
  /** Close the standby. */
  close(): Promise<void>;
}

/**
 * Start a standby master for the leader at `leaderUrl` (plain HTTP). `redirectTo` overrides the redirect
 * target's base URL (e.g. to test the scheme rules of a client).
 */
export async function startStandby(leaderUrl: string, options: { redirectTo?: string } = {}): Promise<SimulatorStandby> {
  const leader = new URL(leaderUrl);
  const requests: StandbyCounts = { redirects: 0, proxied: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    if (path.split('?')[0]?.replace(/\/+$/, '') === '/v2/events') {
      requests.redirects++;
      res.writeHead(302, { location: `${options.redirectTo ?? leader.origin}${path}`, 'content-length': 0 });
      res.end();
      return;
    }
    requests.proxied++;
    const upstream = request(
      { host: leader.hostname, port: leader.port, method: req.method, path, headers: { ...req.headers, host: leader.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'leader unreachable' }));
    });
    req.pipe(upstream);
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
