/**
 * A TCP proxy on loopback that makes the network unreliable in the ways TCP lets it be. TCP never drops or
 * reorders bytes inside a connection — a lost segment is retransmitted, so at this layer loss shows up as delay
 * (the bytes behind it wait: head-of-line blocking) or, when the path really fails, as a broken connection. So
 * the proxy:
 *
 * - delays every chunk it forwards by a random latency, keeping the order inside a connection (a chunk is never
 *   delivered before the one read before it on the same connection), so messages sent over *different*
 *   connections overtake one another: that is reordering, counted as `overtaken`;
 * - breaks a connection mid-stream with probability `cutChance` per forwarded chunk: the chunk and everything
 *   after it are lost and both ends get a reset — that is loss, counted as `cuts`;
 * - resets a new connection as soon as it is accepted with probability `refuseChance` (`refused`);
 * - on `cut()` breaks every connection and resets new ones until `restore()` (a network partition).
 *
 * Faults are drawn from a seeded generator, so a seed fixes the sequence of draws; which chunk gets which draw
 * depends on how the peers' writes interleave, so two runs with one seed have the same fault rates, not the same
 * faults byte for byte. Backpressure is not relayed (a chunk is buffered until its delivery time): meant for
 * examples and tests, not bulk transfers.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { seededRandom } from '@nitrox/core/testing';

/** Options of {@link LossyProxy}; every fault defaults to none. */
export interface LossyProxyOptions {
  /** Loopback port to forward to, read for each new connection (the target may restart on another port). */
  target: () => number;
  /** Seed of the fault generator. @defaultValue 1 */
  seed?: number;
  /** Range of the latency added to each chunk, each way. @defaultValue [0, 0] */
  latencyMs?: readonly [number, number];
  /** Probability that a forwarded chunk breaks its connection instead. @defaultValue 0 */
  cutChance?: number;
  /** Probability that a new connection is reset at once. @defaultValue 0 */
  refuseChance?: number;
}

/** Counters of a {@link LossyProxy}. */
export interface LossyProxyStats {
  /** Connections accepted (refused ones included). */
  connections: number;
  /** Connections reset as soon as accepted (by `refuseChance` or during a `cut()`). */
  refused: number;
  /** Connections broken mid-stream (by `cutChance` or by `cut()`). */
  cuts: number;
  /** Chunks forwarded, and their bytes (both ways). */
  chunks: number;
  bytes: number;
  /** Chunks delivered after a chunk that reached the proxy later on another connection. */
  overtaken: number;
}

/** A lossy, reordering TCP proxy on 127.0.0.1. */
export class LossyProxy {
  readonly #options: LossyProxyOptions;
  readonly #random: () => number;
  readonly #sockets = new Set<Socket>();
  /** Reset functions of the open connections (one per client/upstream pair). */
  readonly #live = new Set<() => void>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #server: Server;
  readonly #stats: LossyProxyStats = { connections: 0, refused: 0, cuts: 0, chunks: 0, bytes: 0, overtaken: 0 };
  #partitioned = false;
  #arrivals = 0;
  #lastDelivered = 0;

  /** No I/O here: {@link LossyProxy.listen} binds. */
  constructor(options: LossyProxyOptions) {
    this.#options = options;
    this.#random = seededRandom(options.seed ?? 1);
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Bind a free loopback port and return it. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this.port;
  }

  /** The bound port. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** A snapshot of the counters. */
  get stats(): LossyProxyStats {
    return { ...this.#stats };
  }

  /** Break every connection and reset new ones until {@link LossyProxy.restore}. */
  cut(): void {
    this.#partitioned = true;
    for (const reset of this.#live) {
      this.#stats.cuts++;
      reset();
    }
  }

  /** Accept connections again after {@link LossyProxy.cut}. */
  restore(): void {
    this.#partitioned = false;
  }

  /** Stop listening and break every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const timer of this.#timers) clearTimeout(timer);
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #accept(client: Socket): void {
    this.#stats.connections++;
    client.on('error', () => {});
    if (this.#partitioned || this.#random() < (this.#options.refuseChance ?? 0)) {
      this.#stats.refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.#options.target(), '127.0.0.1');
    upstream.on('error', () => {});
    const pair = [client, upstream] as const;
    const reset = (): void => {
      this.#live.delete(reset);
      for (const s of pair) if (!s.destroyed) s.resetAndDestroy();
    };
    this.#live.add(reset);
    for (const s of pair) {
      this.#sockets.add(s);
      s.on('close', () => {
        this.#sockets.delete(s);
        this.#live.delete(reset);
        // One side closed: end the other once what is queued for it is delivered.
        for (const other of pair) if (other !== s) this.#whenDrained(other, () => other.destroyed || other.end());
      });
    }
    this.#relay(client, upstream, reset);
    this.#relay(upstream, client, reset);
  }

  readonly #queued = new WeakMap<Socket, Relay>();

  #whenDrained(socket: Socket, then: () => void): void {
    const relay = this.#queued.get(socket);
    if (relay === undefined || relay.chunks.length === 0) then();
    else relay.onDrained = then;
  }

  /** Forward `from` → `to` chunk by chunk, each after its latency but never before the one read before it. */
  #relay(from: Socket, to: Socket, reset: () => void): void {
    const [lo, hi] = this.#options.latencyMs ?? [0, 0];
    const relay: Relay = { chunks: [], onDrained: undefined };
    this.#queued.set(to, relay);
    // Timers may fire out of order (the loop's cached clock), so a timer only marks its chunk due and the queue
    // is delivered from its head while the head is due.
    const deliver = (): void => {
      for (let head = relay.chunks[0]; head?.due; head = relay.chunks[0]) {
        relay.chunks.shift();
        if (to.destroyed) continue;
        this.#stats.chunks++;
        this.#stats.bytes += head.data.length;
        if (head.arrival < this.#lastDelivered) this.#stats.overtaken++;
        this.#lastDelivered = Math.max(this.#lastDelivered, head.arrival);
        to.write(head.data);
      }
      if (relay.chunks.length === 0) relay.onDrained?.();
    };
    from.on('data', (data: Buffer) => {
      if (this.#random() < (this.#options.cutChance ?? 0)) {
        this.#stats.cuts++;
        reset();
        return;
      }
      const chunk: QueuedChunk = { data, arrival: ++this.#arrivals, due: false };
      relay.chunks.push(chunk);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        chunk.due = true;
        deliver();
      }, lo + this.#random() * (hi - lo));
      this.#timers.add(timer);
    });
  }
}

interface QueuedChunk {
  readonly data: Buffer;
  /** Order in which the proxy read it, over all connections. */
  readonly arrival: number;
  due: boolean;
}

interface Relay {
  readonly chunks: QueuedChunk[];
  onDrained: (() => void) | undefined;
}
