/**
 * `listenListWatch`: the handler on its own HTTP or HTTPS server, for an orchestrator that has none to mount it
 * in. TLS takes a PEM key and certificate (and optionally a CA to require client certificates).
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ListWatchHandler } from './serve.js';

/** Options of {@link listenListWatch}. */
export interface ListenOptions {
  /** Port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** Address to bind. @defaultValue '127.0.0.1' (loopback: bind wider on purpose) */
  host?: string;
  /** Serve HTTPS with this PEM key and certificate; with `ca`, clients must present a certificate it signed. */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer };
}

/** A listening server. */
export interface ListeningServer {
  readonly server: Server;
  /** Base URL (`http[s]://host:port`); a collection is served at `${url}/<collection>`. */
  readonly url: string;
  /** Stop the handler, drop every connection and close the server. */
  close(): Promise<void>;
}

/**
 * Listen with `handler`, resolving once the source has been listed and the port is bound.
 *
 * @example
 * ```ts
 * const { url } = await listenListWatch(serveListWatch(store), { port: 8443, host: '0.0.0.0', tls: { key, cert } });
 * ```
 */
export async function listenListWatch(handler: ListWatchHandler, options: ListenOptions = {}): Promise<ListeningServer> {
  const tls = options.tls;
  const server: Server =
    tls === undefined
      ? createHttpServer(handler)
      : createHttpsServer({ key: tls.key, cert: tls.cert, ...(tls.ca === undefined ? {} : { ca: tls.ca, requestCert: true }) }, handler);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await handler.ready();
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `${tls === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      await handler.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
