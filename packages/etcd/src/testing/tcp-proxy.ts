/**
 * A loopback TCP proxy that a test can cut and heal: while cut it drops every open connection and every new
 * one, so the client behind it is partitioned from its peer (here, one etcd client from the cluster) while
 * everything else keeps talking.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

/** A cuttable TCP proxy from a free loopback port to `target`. */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #target: { host: string; port: number };
  #cut = false;

  private constructor(server: Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
  }

  /** Start a proxy to `targetUrl` (`http://host:port`). */
  static async start(targetUrl: string): Promise<TcpProxy> {
    const url = new URL(targetUrl);
    const server = createServer();
    const proxy = new TcpProxy(server, { host: url.hostname, port: Number(url.port) });
    server.on('connection', (socket) => proxy.#accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The proxy's URL, `http://127.0.0.1:<port>`. */
  get url(): string {
    const address = this.#server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  }

  #accept(socket: Socket): void {
    if (this.#cut) {
      socket.destroy();
      return;
    }
    const upstream = connect(this.#target);
    for (const s of [socket, upstream]) {
      this.#sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        this.#sockets.delete(s);
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  }

  /** Drop every connection and refuse new ones until {@link heal}. */
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
  }

  /** Accept connections again. */
  heal(): void {
    this.#cut = false;
  }

  /** Close the proxy and every connection. */
  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
