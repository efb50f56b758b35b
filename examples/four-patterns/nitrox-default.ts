/**
 * Nitrox's default, unchanged: the agent follows the orchestrator's `serveListWatch` server with an
 * `HttpListWatch` (list, then watch from the listed revision; bookmarks; an idle timeout; a digest catch-up
 * instead of a relist when it fell out of history) and runs a `Controller` on it, whose `Informer` re-watches
 * from the last revision after a cut, backs off when refused, and whose reconcile sets one key from the latest
 * cached state. Nothing is pushed. A thin wrapper around the follower only counts requests and items.
 */
import { Controller, type ListWatch, type WatchEvent } from '@nitrox/core';
import { HttpListWatch } from '@nitrox/http';
import type { Traffic } from './scenario.js';
import type { StartPattern } from './harness.js';

/** `follower` with its traffic counted: a list (or digest catch-up) and a watch count one request each. */
function counted(follower: HttpListWatch<number>, traffic: Traffic): ListWatch<number> {
  return {
    async list(signal) {
      traffic.requests++;
      const before = follower.stats;
      try {
        const result = await follower.list(signal);
        const after = follower.stats;
        // A digest catch-up returns the whole mirror, but only the differing items travelled.
        traffic.items += after.lists > before.lists ? result.items.length : after.catchUpItems - before.catchUpItems;
        return result;
      } catch (err) {
        if (!signal.aborted) traffic.failed++;
        throw err;
      }
    },
    watch(fromRevision, signal) {
      traffic.requests++;
      const stream = follower.watch(fromRevision, signal);
      return {
        async *[Symbol.asyncIterator](): AsyncGenerator<WatchEvent<number>> {
          try {
            for await (const event of stream) {
              if (event.type !== 'bookmark') traffic.items++;
              yield event;
            }
          } catch (err) {
            if (!signal.aborted) traffic.failed++;
            throw err;
          }
        },
      };
    },
  };
}

/** The default: `HttpListWatch` + `Informer` + `Controller` against the real server. */
export const nitroxDefault: StartPattern = async (context) => {
  const follower = new HttpListWatch<number>({ url: await context.orchestrator(), idleTimeoutMs: 3_000 });
  const controller = new Controller<number>({
    name: 'four-patterns agent',
    source: counted(follower, context.traffic),
    informer: { backoff: { initialMs: 100, maxMs: 1_000 } },
    resyncMs: 30_000,
    async reconcile(key, desired) {
      if (desired === undefined) context.actual.delete(key);
      else context.actual.set(key, desired.value);
    },
  });
  controller.start();
  return {
    onChange() {},
    stop: () => controller.stop(),
  };
};
