/**
 * Follows the Engine's `/events` stream for as long as it runs: connects, hands every valid event to a
 * callback, reports malformed lines without stopping, and when the stream fails or ends reconnects after a
 * backoff with jitter (core `RetryBackoff`, reset after a healthy period), replaying from the last event
 * seen (`since`, the daemon keeps 256). Events are interrupts only, never trusted as the full truth: the
 * owner does a full read on every (re)connect, because anything may have happened while it was down.
 */
import type { Readable } from 'node:stream';
import { type Clock, isNitroxError, type NitroxError, RetryBackoff, SourceError, sleep } from '@nitrox/core';
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
    backoff.succeeded();
    options.onConnected();
    let reason: NitroxError = new SourceError('the Engine event stream ended');
    const onAbort = (): void => {
      stream?.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const event of readEngineEvents(stream, options.onError)) {
        if (event.timeNano !== undefined) sinceNano = BigInt(event.timeNano);
        options.onEvent(event);
      }
    } catch (error) {
      reason = asSourceError(error, 'the Engine event stream failed');
    } finally {
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
    }
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
