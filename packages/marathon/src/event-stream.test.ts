import { MalformedEventError, ShutdownError, SourceError, TimeoutError, VirtualClock } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { type EventSourceClient, MarathonEventStream } from './event-stream.js';
import type { EventStreamResponse } from './marathon-client.js';
import type { MarathonEvent } from './marathon-types.js';

/** A scripted event stream server: each open() pops a behaviour; chunks are pushed by the test. */
class FakeServer implements EventSourceClient {
  opens: string[][] = [];
  failNext = 0;
  #push: ((chunk: string | null) => void) | undefined;

  async openEvents(eventTypes: readonly string[], signal: AbortSignal): Promise<EventStreamResponse> {
    this.opens.push([...eventTypes]);
    if (this.failNext > 0) {
      this.failNext--;
      throw new SourceError('connection refused');
    }
    const queue: (string | null)[] = [];
    let wake: (() => void) | undefined;
    this.#push = (chunk) => {
      queue.push(chunk);
      wake?.();
    };
    signal.addEventListener('abort', () => wake?.(), { once: true });
    async function* body(): AsyncGenerator<string> {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const next = queue.shift();
        if (next === null) return;
        if (next !== undefined) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
    return { body: body(), close: () => undefined };
  }

  /** Send raw text on the open stream (null ends it). */
  send(chunk: string | null): void {
    this.#push?.(chunk);
  }
}

function setup(options: ConstructorParameters<typeof MarathonEventStream>[1] = {}) {
  const clock = new VirtualClock();
  const server = new FakeServer();
  const stream = new MarathonEventStream(server, {
    clock,
    random: () => 0.5,
    idleTimeoutMs: 30_000,
    backoff: { initialMs: 1_000, maxMs: 8_000, jitter: 0, resetAfterMs: 60_000 },
    ...options,
  });
  const events: MarathonEvent[] = [];
  const disconnects: { reason: Error; delayMs: number }[] = [];
  let connects = 0;
  stream.on('event', (e) => events.push(e));
  stream.on('disconnected', (reason, delayMs) => disconnects.push({ reason, delayMs }));
  stream.on('connected', () => connects++);
  return { clock, server, stream, events, disconnects, connects: () => connects };
}

describe('MarathonEventStream', () => {
  it('parses CRLF framing split anywhere, skipping heartbeats', async () => {
    const { clock, server, stream, events } = setup({ eventTypes: ['status_update_event'] });
    stream.start();
    await clock.flush();
    expect(server.opens).toEqual([['status_update_event']]);
    const text =
      'event: event_stream_attached\r\ndata: {"remoteAddress":"127.0.0.1","eventType":"event_stream_attached"}\r\n\r\n' +
      '\r\n\r\n' +
      'event: status_update_event\r\ndata: {"eventType":"status_update_event","appId":"/a","taskStatus":"TASK_RUNNING"}\r\n\r\n' +
      '\r\n' +
      'event: status_update_event\r\ndata: {"eventType":"status_update_event","appId":"/b"}\r\n\r\n';
    for (let i = 0; i < text.length; i += 7) server.send(text.slice(i, i + 7));
    await clock.flush();
    expect(events.map((e) => e.eventType)).toEqual(['event_stream_attached', 'status_update_event', 'status_update_event']);
    expect(events[2]?.appId).toBe('/b');
    expect(stream.stats.events).toBe(3);
    await stream.stop();
  });

  it('declares a silent stream dead after the idle timeout, while heartbeats keep it alive', async () => {
    const { clock, server, stream, disconnects, connects } = setup();
    stream.start();
    await clock.flush();
    expect(connects()).toBe(1);
    for (let i = 0; i < 10; i++) {
      await clock.advance(10_000);
      server.send('\r\n');
    }
    expect(disconnects).toHaveLength(0);
    await clock.advance(30_000);
    expect(disconnects).toHaveLength(1);
    expect(disconnects[0]?.reason).toBeInstanceOf(TimeoutError);
    expect(stream.stats.idleTimeouts).toBe(1);
    await clock.advance(disconnects[0]?.delayMs ?? 0);
    expect(connects()).toBe(2);
    await stream.stop();
  });

  it('reconnects with exponential backoff that never gives up and resets after a healthy period', async () => {
    const { clock, server, stream, disconnects, connects } = setup();
    server.failNext = 5;
    stream.start();
    await clock.advanceUntil(() => connects() === 1);
    expect(disconnects.map((d) => d.delayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(disconnects.every((d) => d.reason instanceof SourceError)).toBe(true);
    // Healthy for longer than resetAfterMs (heartbeats flowing), then the server ends the stream.
    for (let i = 0; i < 7; i++) {
      await clock.advance(10_000);
      server.send('\r\n');
    }
    server.send(null);
    await clock.flush();
    expect(disconnects.at(-1)?.delayMs).toBe(1_000);
    await clock.advanceUntil(() => connects() === 2);
    await stream.stop();
  });

  it('spreads reconnects with jitter from the injected random source', async () => {
    const { clock, server, stream, disconnects } = setup({
      backoff: { initialMs: 1_000, maxMs: 8_000, jitter: 1.0, resetAfterMs: 60_000 },
      random: () => 0.25,
    });
    server.failNext = 2;
    stream.start();
    await clock.advanceUntil(() => disconnects.length === 2);
    expect(disconnects.map((d) => d.delayMs)).toEqual([1_250, 2_500]);
    await stream.stop();
  });

  it('reports malformed data as a typed error and keeps delivering on the same connection', async () => {
    const { clock, server, stream, events, disconnects, connects } = setup();
    const log: string[] = [];
    const malformed: MalformedEventError[] = [];
    stream.on('malformed', (e) => {
      malformed.push(e);
      log.push('malformed');
    });
    stream.on('event', (e) => log.push(e.eventType));
    stream.start();
    await clock.flush();
    server.send('event: x\r\ndata: {oops\r\n\r\n');
    server.send('event: x\r\ndata: [1,2]\r\n\r\n');
    server.send('garbage without a colon\r\n\r\n');
    server.send('data: {"eventType":"app_terminated_event","appId":"/a"}\r\n\r\n');
    await clock.flush();
    expect(malformed).toHaveLength(3);
    for (const error of malformed) {
      expect(error).toBeInstanceOf(MalformedEventError);
      expect(error.code).toBe('NITROX_MALFORMED_EVENT');
      expect(error.message).not.toMatch(/oops|garbage/);
    }
    expect(log).toEqual(['malformed', 'malformed', 'malformed', 'app_terminated_event']);
    expect(events.map((e) => e.appId)).toEqual(['/a']);
    expect(stream.stats).toMatchObject({ malformed: 3, events: 1, connects: 1, disconnects: 0 });
    expect(connects()).toBe(1);
    expect(disconnects).toHaveLength(0);
    expect(stream.connected).toBe(true);
    await stream.stop();
  });

  it('decodes several JSON documents in one data field, split on CRLF (as marathon-lb does) or on data lines', async () => {
    const { clock, server, stream, events } = setup();
    const malformed: Error[] = [];
    stream.on('malformed', (e) => malformed.push(e));
    stream.start();
    await clock.flush();
    const doc = (app: string): string => `{"eventType":"status_update_event","appId":"${app}"}`;
    // marathon-lb's example: `{}\r\n{}\r\n\r\n` inside one data field; a spec parser sees bare lines.
    const text = `event: status_update_event\r\ndata: ${doc('/a')}\r\n${doc('/b')}\r\n${doc('/c')}\r\n\r\n` +
      `event: status_update_event\r\ndata: ${doc('/d')}\r\ndata: ${doc('/e')}\r\n\r\n`;
    for (let i = 0; i < text.length; i += 5) server.send(text.slice(i, i + 5));
    await clock.flush();
    expect(events.map((e) => e.appId).sort()).toEqual(['/a', '/b', '/c', '/d', '/e']);
    expect(malformed).toEqual([]);
    await stream.stop();
  });

  it('keeps growing the backoff when connections die before a healthy period', async () => {
    const { clock, server, stream, disconnects, connects } = setup();
    stream.start();
    for (let i = 1; i <= 4; i++) {
      await clock.advanceUntil(() => connects() === i);
      await clock.advance(5_000); // up for 5 s only: less than resetAfterMs (60 s)
      server.send(null);
      await clock.flush();
    }
    expect(disconnects.map((d) => d.delayMs)).toEqual([1_000, 2_000, 4_000, 8_000]);
    await stream.stop();
  });

  it('ends a stream whose event exceeds maxEventBytes', async () => {
    const { clock, server, stream, disconnects } = setup({ maxEventBytes: 100 });
    stream.start();
    await clock.flush();
    server.send(`data: ${'x'.repeat(200)}`);
    await clock.flush();
    expect(disconnects).toHaveLength(1);
    expect(disconnects[0]?.reason.message).toMatch(/larger than 100 bytes/);
    await stream.stop();
  });

  it('stops promptly, even during a backoff sleep', async () => {
    const { clock, server, stream, disconnects } = setup();
    server.failNext = 1;
    stream.start();
    await clock.flush();
    expect(disconnects).toHaveLength(1);
    await stream.stop();
    expect(clock.pendingTimers).toBe(0);
    expect(stream.connected).toBe(false);
    expect(disconnects.some((d) => d.reason instanceof ShutdownError)).toBe(false);
  });

  it('validates its options', () => {
    expect(() => new MarathonEventStream(new FakeServer(), { idleTimeoutMs: 0 })).toThrow(/idleTimeoutMs/);
    expect(() => new MarathonEventStream(new FakeServer(), { backoff: { initialMs: -1 } })).toThrow(/initialMs/);
  });
});
