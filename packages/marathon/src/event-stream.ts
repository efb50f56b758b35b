/**
 * The client of Marathon's event bus (`GET /v2/events`, Server-Sent Events). It asks for `text/event-stream`
 * with `event_type` filters, parses the CRLF framing with eventsource-parser, treats every received byte
 * (heartbeats included) as a sign of life, and declares the stream dead after `idleTimeoutMs` of silence — a
 * half-open TCP connection otherwise looks like a quiet cluster forever. Any end or failure reconnects after an
 * exponential backoff with jitter that resets after a healthy period; it never gives up. Marathon cannot replay
 * what was missed, so every `connected` event tells the owner to take a full snapshot.
 */
import {
  type Clock,
  isNitroxError,
  MalformedEventError,
  type NitroxError,
  SourceError,
  ShutdownError,
  sleep,
  systemClock,
  TimeoutError,
  type TimerHandle,
} from '@nitrox/core';
import { EventEmitter } from 'eventemitter3';
import { createParser } from 'eventsource-parser';
import type { MarathonClient } from './marathon-client.js';
import { decodeEventData, relevantEventTypes } from './marathon-events.js';
import type { MarathonEvent } from './marathon-types.js';
import { type Backoff, type BackoffOptions, createBackoff } from './reconnect-backoff.js';
import { checkPositive } from './checks.js';

/** What the stream needs from a client: {@link MarathonClient} or a test double. */
export type EventSourceClient = Pick<MarathonClient, 'openEvents'>;

/** Events of a {@link MarathonEventStream}. */
export interface EventStreamEvents {
  /** The stream is open (HTTP 200 with `text/event-stream`): take a snapshot, events may have been missed. */
  connected: () => void;
  /** One decoded Marathon event. */
  event: (event: MarathonEvent) => void;
  /** A document that could not be decoded; it is skipped and the stream goes on. */
  malformed: (error: MalformedEventError) => void;
  /** The stream ended or failed; a reconnect follows after `delayMs`. */
  disconnected: (reason: NitroxError, delayMs: number) => void;
}

/** Options of {@link MarathonEventStream}. */
export interface EventStreamOptions {
  /** `event_type` filters sent to Marathon; empty = every event. @defaultValue {@link relevantEventTypes} */
  readonly eventTypes?: readonly string[];
  /**
   * Silence (no byte, not even a heartbeat) after which the stream is considered dead. Marathon sends a
   * heartbeat about every 10 s, so the default allows two missed ones and a margin. @defaultValue `30_000`
   */
  readonly idleTimeoutMs?: number;
  /** Ask for light deployment plans (`plan-format=light`). @defaultValue `true` */
  readonly lightPlans?: boolean;
  /** Largest event (bytes buffered before a blank line) accepted; larger ones end the stream. @defaultValue 16 MiB */
  readonly maxEventBytes?: number;
  /** Reconnect backoff. @defaultValue core's RetryBackoff defaults (800 ms … 30 s, full jitter, reset by a successful connection) */
  readonly backoff?: BackoffOptions | Backoff;
  /** Time source for idle timeouts and backoff sleeps. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** Random source for jitter, in [0, 1). @defaultValue `Math.random` */
  readonly random?: () => number;
}

/** The defaults of {@link EventStreamOptions}. */
export const eventStreamDefaults = {
  idleTimeoutMs: 30_000,
  maxEventBytes: 16 * 1024 * 1024,
} as const;

/** Counters of a {@link MarathonEventStream}. */
export interface EventStreamStats {
  /** Successful connections. */
  readonly connects: number;
  /** Ends and failures of the stream (including failed connection attempts). */
  readonly disconnects: number;
  /** Streams closed because nothing arrived within `idleTimeoutMs`. */
  readonly idleTimeouts: number;
  /** Events decoded. */
  readonly events: number;
  /** Documents that could not be decoded. */
  readonly malformed: number;
}

/**
 * Follows `/v2/events` until stopped.
 *
 * @example
 * ```ts
 * const stream = new MarathonEventStream(client, { idleTimeoutMs: 30_000 });
 * stream.on('connected', () => resync());
 * stream.on('event', (e) => markDirty(e));
 * stream.start();
 * ```
 */
export class MarathonEventStream extends EventEmitter<EventStreamEvents> {
  readonly #client: EventSourceClient;
  readonly #eventTypes: readonly string[];
  readonly #idleTimeoutMs: number;
  readonly #maxEventBytes: number;
  readonly #lightPlans: boolean;
  readonly #backoff: Backoff;
  readonly #clock: Clock;
  #stop: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #connected = false;
  #stats = { connects: 0, disconnects: 0, idleTimeouts: 0, events: 0, malformed: 0 };

  /** @throws {@link ConfigError} for invalid options. */
  constructor(client: EventSourceClient, options: EventStreamOptions = {}) {
    super();
    this.#client = client;
    this.#eventTypes = [...(options.eventTypes ?? relevantEventTypes)];
    this.#idleTimeoutMs = checkPositive(options.idleTimeoutMs ?? eventStreamDefaults.idleTimeoutMs, 'idleTimeoutMs');
    this.#maxEventBytes = checkPositive(options.maxEventBytes ?? eventStreamDefaults.maxEventBytes, 'maxEventBytes');
    this.#lightPlans = options.lightPlans ?? true;
    this.#clock = options.clock ?? systemClock;
    this.#backoff = createBackoff(options.backoff, this.#clock, options.random);
  }

  /** True while a stream is open. */
  get connected(): boolean {
    return this.#connected;
  }

  /** A snapshot of the counters. */
  get stats(): EventStreamStats {
    return { ...this.#stats };
  }

  /** Start following the stream (idempotent). */
  start(): void {
    if (this.#loop !== undefined) return;
    this.#stop = new AbortController();
    this.#loop = this.#run(this.#stop.signal);
  }

  /** Close the stream and stop reconnecting. */
  async stop(): Promise<void> {
    this.#stop?.abort(new ShutdownError('event stream stopped'));
    await this.#loop;
    this.#loop = undefined;
    this.#stop = undefined;
  }

  async #run(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      let reason: NitroxError;
      try {
        await this.#follow(stop);
        reason = new SourceError('marathon event stream ended');
      } catch (error) {
        if (stop.aborted) break;
        reason = isNitroxError(error) ? error : new SourceError('marathon event stream failed', { cause: error });
      }
      this.#connected = false;
      if (stop.aborted) break;
      this.#stats.disconnects++;
      const delayMs = this.#backoff.next();
      this.emit('disconnected', reason, delayMs);
      try {
        await sleep(this.#clock, delayMs, stop);
      } catch {
        break;
      }
    }
    this.#connected = false;
  }

  async #follow(stop: AbortSignal): Promise<void> {
    const attempt = new AbortController();
    const onStop = (): void => attempt.abort(stop.reason);
    stop.addEventListener('abort', onStop, { once: true });
    let idle: TimerHandle | undefined;
    const arm = (): void => {
      if (idle !== undefined) this.#clock.clearTimeout(idle);
      idle = this.#clock.setTimeout(() => {
        this.#stats.idleTimeouts++;
        attempt.abort(new TimeoutError(`marathon event stream silent for ${this.#idleTimeoutMs} ms`));
      }, this.#idleTimeoutMs);
    };
    arm();
    let stream: Awaited<ReturnType<MarathonClient['openEvents']>> | undefined;
    try {
      stream = await this.#client.openEvents(this.#eventTypes, attempt.signal, {
        planFormat: this.#lightPlans ? 'light' : 'full',
      });
      this.#connected = true;
      this.#stats.connects++;
      this.#backoff.succeeded();
      this.emit('connected');
      let overflow: Error | undefined;
      const parser = createParser({
        maxBufferSize: this.#maxEventBytes,
        onEvent: (message) => this.#onMessage(message.data, message.event),
        onError: (error) => {
          if (error.type === 'max-buffer-size-exceeded') overflow = error;
          else if (error.type === 'unknown-field') this.#onStrayLine(error.line ?? '');
        },
      });
      const decoder = new TextDecoder();
      arm();
      for await (const chunk of stream.body) {
        arm();
        parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
        if (overflow !== undefined) {
          throw new SourceError(`marathon event larger than ${this.#maxEventBytes} bytes`, { cause: overflow });
        }
        if (attempt.signal.aborted) break;
      }
      if (attempt.signal.aborted) throw attempt.signal.reason;
    } catch (error) {
      const cause = attempt.signal.aborted ? attempt.signal.reason : error;
      throw cause;
    } finally {
      if (idle !== undefined) this.#clock.clearTimeout(idle);
      stop.removeEventListener('abort', onStop);
      stream?.close();
    }
  }

  /**
   * A line that is no SSE field. Marathon sometimes puts several JSON documents into one `data` separated by
   * CRLF (marathon-lb splits on `\r\n`), so every document after the first arrives as a bare line: decode it as
   * a document of its own (order does not matter, events are only interrupts). Anything else is reported,
   * without echoing it (event data can carry app definitions and their secrets), and skipped.
   */
  #onStrayLine(line: string): void {
    const text = line.trim();
    if (text.startsWith('{')) {
      this.#onMessage(text, undefined);
      return;
    }
    this.#stats.malformed++;
    this.emit('malformed', new MalformedEventError(`marathon event stream: line of ${line.length} chars is no SSE field`));
  }

  #onMessage(data: string, sseEvent: string | undefined): void {
    const { events, errors } = decodeEventData(data, sseEvent);
    for (const error of errors) {
      this.#stats.malformed++;
      this.emit('malformed', error);
    }
    for (const event of events) {
      this.#stats.events++;
      this.emit('event', event);
    }
  }
}
