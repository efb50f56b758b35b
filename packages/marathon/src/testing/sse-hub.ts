/**
 * The simulator's event bus: every open `/v2/events` response, with Marathon's framing (`event:`/`data:` lines
 * ended by CRLF, a blank CRLF line after each event, a bare CRLF heartbeat), per-connection `event_type`
 * filters, and the faults a client must survive: streams dropped, streams stalled (open but silent, like a
 * half-open TCP connection), events lost, events shuffled, several documents batched into one `data` field,
 * and raw garbage injected.
 */
import type { ServerResponse } from 'node:http';
import type { MarathonEvent } from '../marathon-types.js';

interface Connection {
  readonly res: ServerResponse;
  readonly filter: ReadonlySet<string> | undefined;
  /** The client asked for `plan-format=light`: deployment plans without `original` and `target`. */
  readonly light: boolean;
  stalled: boolean;
}

/** Fault switches of the event bus. */
export interface SseFaults {
  /** Drop (destroy) every open event stream; clients must reconnect. Returns how many were dropped. */
  dropStreams(): number;
  /** Stall the open streams: they stay open but receive nothing, not even heartbeats. Returns how many. */
  stallStreams(): number;
  /** Lose the next `count` published events (for every subscriber); 0 stops losing. */
  loseEvents(count: number): void;
  /** Lose each published event with this probability (0 turns it off). */
  setLossRate(probability: number): void;
  /** Deliver events published together in a random order. */
  setShuffle(on: boolean): void;
  /**
   * Put events published together into one SSE message: `true`/`'lines'` writes one JSON document per `data:`
   * line; `'crlf'` writes them into one `data` field separated by bare CRLF (`data: {…}\r\n{…}\r\n\r\n`, the
   * form marathon-lb splits on `\r\n`); `false` turns batching off.
   */
  setBatching(mode: boolean | 'lines' | 'crlf'): void;
  /** Write raw text to every open stream (e.g. a malformed frame). */
  injectRaw(text: string): void;
}

/** Counters of the event bus. */
export interface SseStats {
  /** Events published by the model. */
  published: number;
  /** Events lost on purpose. */
  lost: number;
  /** Event frames written (summed over connections). */
  delivered: number;
  /** Connections opened. */
  connections: number;
  /** Connections open now. */
  open: number;
  /** Heartbeats written (summed over connections). */
  heartbeats: number;
}

function frame(event: MarathonEvent): string {
  return `event: ${event.eventType}\r\ndata: ${JSON.stringify(event)}\r\n\r\n`;
}

/** The event as a `plan-format=light` subscriber gets it: deployment plans lose `original` and `target`. */
function lighten(event: MarathonEvent): MarathonEvent {
  const plan = event.plan as Record<string, unknown> | undefined;
  if (typeof plan !== 'object' || plan === null || !('original' in plan)) return event;
  const { original: _o, target: _t, ...light } = plan;
  return { ...event, plan: light };
}

/** Holds the open SSE responses and writes events to them. */
export class SseHub implements SseFaults {
  readonly #connections = new Set<Connection>();
  readonly #random: () => number;
  readonly #heartbeat: ReturnType<typeof setInterval> | undefined;
  #pending: MarathonEvent[] = [];
  #flushScheduled = false;
  #loseNext = 0;
  #lossRate = 0;
  #shuffle = false;
  #batching: false | 'lines' | 'crlf' = false;
  readonly stats: SseStats = { published: 0, lost: 0, delivered: 0, connections: 0, open: 0, heartbeats: 0 };

  constructor(options: { heartbeatMs: number; random: () => number }) {
    this.#random = options.random;
    if (options.heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#heartbeatAll(), options.heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  /** Attach a response as an event stream, sending the `event_stream_attached` event first. */
  attach(res: ServerResponse, filter: ReadonlySet<string> | undefined, remoteAddress: string, light = false): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream;charset=UTF-8',
      'cache-control': 'no-cache, no-store, must-revalidate',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    const connection: Connection = { res, filter, light, stalled: false };
    this.#connections.add(connection);
    this.stats.connections++;
    this.stats.open = this.#connections.size;
    res.on('close', () => {
      this.#connections.delete(connection);
      this.stats.open = this.#connections.size;
    });
    const attached: MarathonEvent = { remoteAddress, eventType: 'event_stream_attached', timestamp: new Date().toISOString() };
    if (filter === undefined || filter.has(attached.eventType)) this.#write(connection, frame(attached));
  }

  /** Publish one event; delivery happens after the current synchronous burst (so a burst can be shuffled). */
  publish(event: MarathonEvent): void {
    this.stats.published++;
    if (this.#loseNext > 0) {
      this.#loseNext--;
      this.stats.lost++;
      return;
    }
    if (this.#lossRate > 0 && this.#random() < this.#lossRate) {
      this.stats.lost++;
      return;
    }
    this.#pending.push(event);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const events = this.#pending;
    this.#pending = [];
    if (this.#shuffle) {
      for (let i = events.length - 1; i > 0; i--) {
        const j = Math.floor(this.#random() * (i + 1));
        [events[i], events[j]] = [events[j] as MarathonEvent, events[i] as MarathonEvent];
      }
    }
    for (const connection of this.#connections) {
      const matching = events.filter((e) => connection.filter === undefined || connection.filter.has(e.eventType));
      const mine = connection.light ? matching.map(lighten) : matching;
      if (mine.length === 0) continue;
      if (this.#batching === 'crlf') {
        const data = `data: ${mine.map((e) => JSON.stringify(e)).join('\r\n')}\r\n`;
        this.#write(connection, `event: ${(mine[0] as MarathonEvent).eventType}\r\n${data}\r\n`, mine.length);
      } else if (this.#batching === 'lines') {
        const data = mine.map((e) => `data: ${JSON.stringify(e)}\r\n`).join('');
        this.#write(connection, `event: ${(mine[0] as MarathonEvent).eventType}\r\n${data}\r\n`, mine.length);
      } else {
        this.#write(connection, mine.map(frame).join(''), mine.length);
      }
    }
  }

  #write(connection: Connection, text: string, count = 0): void {
    if (connection.stalled || connection.res.destroyed) return;
    connection.res.write(text);
    this.stats.delivered += count;
  }

  #heartbeatAll(): void {
    for (const connection of this.#connections) {
      if (connection.stalled || connection.res.destroyed) continue;
      this.#write(connection, '\r\n');
      this.stats.heartbeats++;
    }
  }

  dropStreams(): number {
    const n = this.#connections.size;
    for (const connection of [...this.#connections]) connection.res.destroy();
    return n;
  }

  stallStreams(): number {
    for (const connection of this.#connections) connection.stalled = true;
    return this.#connections.size;
  }

  loseEvents(count: number): void {
    this.#loseNext = count;
  }

  setLossRate(probability: number): void {
    this.#lossRate = probability;
  }

  setShuffle(on: boolean): void {
    this.#shuffle = on;
  }

  setBatching(mode: boolean | 'lines' | 'crlf'): void {
    this.#batching = mode === true ? 'lines' : mode;
  }

  injectRaw(text: string): void {
    for (const connection of this.#connections) this.#write(connection, text);
  }

  /** Stop heartbeats and close every stream. */
  close(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    for (const connection of [...this.#connections]) connection.res.destroy();
  }
}
