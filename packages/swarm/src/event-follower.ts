/**
 * Follows the Engine's `/events` stream for as long as it runs: connects, hands every valid event to a
 * callback, reports malformed lines without stopping, and when the stream fails or ends reconnects after a
 * backoff with jitter (core `RetryBackoff`, reset by each successful connection), replaying from the last event
 * seen (`since`, the daemon keeps 256). The Engine sends no heartbeats, so a half-open connection (a peer
 * or middlebox gone without a FIN) would look like a quiet swarm forever: after `idleTimeoutMs` without a
 * single line the stream is dropped and reopened, on the injected clock. Events are interrupts only, never
 * trusted as the full truth: the owner does a full read on every (re)connect, because anything may have
 * happened while it was down (and its regular poll keeps state correct meanwhile).
 */
import type { Readable } from 'node:stream';
import { type Clock, isNitroxError, type NitroxError, RetryBackoff, SourceError, sleep, type TimerHandle } from '@nitrox/core';
import type { EngineClient } from './engine-client.js';
import { readEngineEvents } from './engine-events.js';
import type { EngineEvent } from './engine-types.js';

/** Callbacks and settings of {@link followEvents}. */
export interface EventFollowerOptions {
  readonly client: Pick<EngineClient, 'events'>;
  /** Event types to ask for. */
  readonly types: readonly string[];
  readonly clock: Clock;
  readonly random?: () => number;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number; readonly resetAfterMs?: number };
  /** Reopen the stream after this long without a line (valid or not); 0 = never. @defaultValue 0 */
  readonly idleTimeoutMs?: number;
  readonly onEvent: (event: EngineEvent) => void;
  readonly onConnected: () => void;
  readonly onDisconnected: (reason: NitroxError) => void;
  /** Malformed lines and connection failures. */
  readonly onError: (error: NitroxError) => void;
}

/** Run until `signal` aborts; never throws. */
export async function followEvents(options: EventFollowerOptions, signal: AbortSignal): Promise<void> {
  const backoff = new RetryBackoff({ ...options.backoff, clock: options.clock, ...(options.random ? { random: options.random } : {}) });
  let sinceNano: bigint | undefined;
  while (!signal.aborted) {
    let stream: Readable | undefined;
    try {
      stream = await options.client.events(signal, { types: options.types, ...(sinceNano === undefined ? {} : { sinceNano }) });
    } catch (error) {
      if (signal.aborted) return;
      options.onError(asSourceError(error, 'cannot open the Engine event stream'));
      await sleepQuietly(options.clock, backoff.next(), signal);
      continue;
    }
    if (signal.aborted) {
      // Stopped while connecting: an 'abort' listener added now would never fire and the stream would hang.
      stream.destroy();
      return;
    }
    backoff.succeeded();
    options.onConnected();
    let reason: NitroxError = new SourceError('the Engine event stream ended');
    const onAbort = (): void => {
      stream?.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const idleMs = options.idleTimeoutMs ?? 0;
    let idleTimer: TimerHandle | undefined;
    let idle = false;
    const touch = (): void => {
      if (idleMs <= 0) return;
      if (idleTimer !== undefined) options.clock.clearTimeout(idleTimer);
      idleTimer = options.clock.setTimeout(() => {
        idle = true;
        stream?.destroy();
      }, idleMs);
    };
    touch();
    try {
      const onMalformed = (error: NitroxError): void => {
        touch();
        options.onError(error);
      };
      for await (const event of readEngineEvents(stream, onMalformed)) {
        touch();
        if (event.timeNano !== undefined) sinceNano = BigInt(event.timeNano);
        options.onEvent(event);
      }
    } catch (error) {
      reason = asSourceError(error, 'the Engine event stream failed');
    } finally {
      if (idleTimer !== undefined) options.clock.clearTimeout(idleTimer);
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
    }
    if (idle) reason = new SourceError(`no Engine event for ${idleMs} ms (the stream has no heartbeat and may be half-open): reopening it`);
    if (signal.aborted) return;
    options.onDisconnected(reason);
    await sleepQuietly(options.clock, backoff.next(), signal);
  }
}

function asSourceError(error: unknown, message: string): NitroxError {
  if (isNitroxError(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new SourceError(`${message}${code ? ` (${code})` : ''}`, { cause: error });
}

async function sleepQuietly(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(clock, ms, signal);
  } catch {
    // aborted: the loop condition ends it
  }
}
