/**
 * The ListWatch conformance kit against the real server and the real follower over loopback.
 */
import { describeListWatchConformance } from '@nitrox/core/conformance';
import { waitFor } from '@nitrox/core/testing';
import { HttpListWatch } from '../src/index.js';
import { loopback, seqOf } from './loopback.js';

const historyLimit = 20;

describeListWatchConformance('HttpListWatch (serveListWatch over loopback)', {
  bookmarks: true,
  async setup() {
    const lb = await loopback({ historyLimit, bookmarkIntervalMs: 200 });
    const listWatch = new HttpListWatch<string>({ url: lb.url, idleTimeoutMs: 5_000 });
    let n = 0;
    return {
      listWatch,
      create: async (name) => void lb.store.put(name, `v${++n}`),
      update: async (name) => void lb.store.put(name, `v${++n}`),
      remove: async (name) => void lb.store.delete(name),
      async expire(revision) {
        const target = seqOf(revision) + historyLimit + 1;
        for (let i = 0; i <= historyLimit + 1; i++) lb.store.put('expire-filler', `f${i}`);
        await waitFor(() => seqOf(lb.handler.revision) >= target, { timeoutMs: 10_000, what: 'the server to ingest the filler' });
      },
      teardown: () => lb.close(),
    };
  },
  failing: () => new HttpListWatch<string>({ url: 'http://127.0.0.1:9/items' }),
});
