/**
 * One follower's watch: a cursor into the shared ring, written to its socket while the socket takes it. When
 * the socket is full the cursor simply stays behind (nothing is copied for it); once it is more than
 * `maxBacklog` changes behind, or its next change left the ring, it is sent an `expired` line and cut off, so a
 * slow follower never holds the others or the server's memory. Quiet streams get bookmarks.
 */
import type { ServerResponse } from 'node:http';
import type { FanOut } from './fan-out.js';
import type { WireEvent } from './protocol.js';
import type { ResolvedServeOptions, ServeStats } from './server-options.js';

/** Most bytes written to a socket in one go. */
const chunkBytes = 64 * 1024;
/** How long a cut-off follower's last bytes may take before the socket is destroyed. */
const cutOffGraceMs = 5_000;

function line(event: WireEvent<never>): string {
  return `${JSON.stringify(event)}\n`;
}

/** Stream the changes after `from` (a seq of `fanOut`'s epoch) to `res` until it closes, times out or is cut off. */
export async function streamWatch<T>(
  fanOut: FanOut<T>,
  res: ServerResponse,
  from: number,
  prefix: string,
  options: ResolvedServeOptions,
  stats: ServeStats,
): Promise<void> {
  const epoch = fanOut.epoch;
  let cursor = from;
  let closed = false;
  // The resolver of the wait in progress: a close wakes it (racing one long-lived promise would add a reaction per wait).
  let parked: (() => void) | undefined;
  const wait = (...events: Promise<void>[]): Promise<void> =>
    new Promise<void>((resolve) => {
      parked = resolve;
      for (const e of events) void e.then(resolve);
    });
  res.once('close', () => {
    closed = true;
    parked?.();
  });
  const deadline = Date.now() + options.watchTimeoutMs * (0.9 + Math.random() * 0.2);
  let lastWriteAt = Date.now();
  const write = (text: string): boolean => {
    stats.bytesSent += Buffer.byteLength(text);
    lastWriteAt = Date.now();
    return res.write(text);
  };
  const cutOff = (message: string, counted: 'cutOff' | 'expired'): void => {
    stats[counted]++;
    res.end(line({ type: 'expired', message }));
    setTimeout(() => res.destroy(), cutOffGraceMs).unref();
  };
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.flushHeaders();
  while (!closed && !res.writableEnded) {
    if (fanOut.epoch !== epoch || cursor < fanOut.oldest) return cutOff('revision out of history; relist', 'expired');
    if (Date.now() >= deadline) {
      res.end();
      return;
    }
    if (cursor < fanOut.seq) {
      let chunk = '';
      while (cursor < fanOut.seq && chunk.length < chunkBytes) {
        const slot = fanOut.slot(cursor + 1);
        if (slot === undefined) break; // left the ring: caught above on the next turn
        cursor = slot.seq;
        if (slot.key.startsWith(prefix)) chunk += slot.line;
      }
      if (chunk === '' && cursor < fanOut.seq) continue;
      if (chunk !== '' && !write(chunk)) {
        // The socket is full: wait for it, but not past the backlog bound.
        let drained = false;
        const drain = new Promise<void>((resolve) => res.once('drain', resolve)).then(() => {
          drained = true;
        });
        while (!drained && !closed) {
          if (fanOut.seq - cursor > options.maxBacklog || fanOut.epoch !== epoch || cursor < fanOut.oldest) {
            return cutOff('too far behind; relist', 'cutOff');
          }
          await wait(fanOut.next(options.bookmarkIntervalMs), drain);
        }
      }
      continue;
    }
    const quietFor = Date.now() - lastWriteAt;
    if (quietFor >= options.bookmarkIntervalMs) {
      cursor = fanOut.seq;
      write(line({ type: 'bookmark', revision: fanOut.revision }));
      continue;
    }
    await wait(fanOut.next(Math.min(options.bookmarkIntervalMs - quietFor, deadline - Date.now())));
  }
}
