/**
 * A TCP front for a dockerd unix socket, for fault injection in tests: it forwards every connection to the
 * socket, recognises the connections carrying `GET /.../events`, and can cut them (as a daemon restart, a
 * load balancer timeout or a network blip would) and refuse new ones until told otherwise, while ordinary
 * API requests keep working. It also makes the swarm source's TCP transport part of the real-swarm tests.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A running proxy; create with {@link EngineProxy.start}. */
export class EngineProxy {
  /** Port on 127.0.0.1 the proxy listens on. */
  readonly port: number;
  readonly #server: Server;
  readonly #events = new Set<Socket>();
  readonly #all = new Set<Socket>();
  #blockEvents = false;
  #eventConnections = 0;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  /** Listen on 127.0.0.1 (a free port) and forward to `socketPath`. */
  static start(socketPath: string): Promise<EngineProxy> {
    return new Promise((resolve, reject) => {
      let accept: ((client: Socket) => void) | undefined;
      const server = createServer((client) => {
        if (accept === undefined) client.destroy();
        else accept(client);
      });
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const proxy = new EngineProxy(server, typeof address === 'object' && address !== null ? address.port : 0);
        accept = (client) => proxy.#accept(client, socketPath);
        resolve(proxy);
      });
    });
  }

  /** Number of event-stream requests seen so far. */
  get eventConnections(): number {
    return this.#eventConnections;
  }

  /** Destroy every open event stream; with `block`, refuse new ones until {@link EngineProxy.unblockEvents}. */
  cutEvents(options: { block?: boolean } = {}): void {
    if (options.block === true) this.#blockEvents = true;
    for (const socket of this.#events) socket.destroy();
    this.#events.clear();
  }

  /**
   * Write `line` into every open event stream as if the daemon had sent it (one HTTP chunk, between the
   * daemon's own chunks: dockerd flushes one chunk per event). For malformed-event tests.
   */
  injectEventLine(line: string): number {
    const data = Buffer.from(`${line}\n`);
    for (const socket of this.#events) socket.write(`${data.length.toString(16)}\r\n${data.toString('latin1')}\r\n`, 'latin1');
    return this.#events.size;
  }

  /** Let event streams through again. */
  unblockEvents(): void {
    this.#blockEvents = false;
  }

  /** Stop listening and drop every connection. */
  close(): Promise<void> {
    for (const socket of this.#all) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, socketPath: string): void {
    const upstream = connect(socketPath);
    this.#all.add(client);
    this.#all.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.#events.delete(client);
      this.#all.delete(client);
      this.#all.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      // Connections are reused (keep-alive): look at every request line, not only the first.
      const head = chunk.subarray(0, 200).toString('latin1');
      if (/^GET \S*\/events[?\s]/.test(head)) {
        this.#eventConnections++;
        if (this.#blockEvents) {
          drop();
          return;
        }
        this.#events.add(client);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  }
}
