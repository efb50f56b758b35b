/**
 * The three patterns that hand the agent the whole state, built from the core's parts: **command** (the
 * orchestrator pushes the whole state on every change, one attempt each), **interrupt** (it pushes only
 * "something changed"; the agent coalesces the pokes with `debounce` and fetches the whole state) and **poll**
 * (the agent's `Poller` fetches the whole state; nothing is pushed). On the agent, whole states go through a
 * `LatestValue` mailbox: a newer state replaces a pending one, and one older than the applied state — a push or
 * fetch answer overtaken on the way — is dropped. Fetches are lists of the real `serveListWatch` server, read
 * with `HttpListWatch.list` (catch-up off: a plain list).
 */
import { setMaxListeners } from 'node:events';
import { debounce, LatestValue, Poller, type ListResult } from '@nitrox/core';
import { HttpListWatch } from '@nitrox/http';
import type { PatternContext, PatternRun, StartPattern } from './harness.js';

/** The sequence number of a `serveListWatch` revision (`<epoch>.<seq>`). */
function sequenceOf(revision: string): number {
  return Number(revision.slice(revision.lastIndexOf('.') + 1));
}

/** Apply every whole state the mailbox holds, newest only, until `signal` aborts. */
function applyLatest(box: LatestValue<ReadonlyMap<string, number>>, actual: Map<string, number>, signal: AbortSignal): void {
  void (async () => {
    for (;;) {
      const { value, version } = await box.take(signal);
      actual.clear();
      for (const [key, v] of value) actual.set(key, v);
      box.markApplied(version);
    }
  })().catch(() => {}); // aborted: the run is over
}

/** Fetch the whole state from the orchestrator (one list request, counted). */
function fetcher(context: PatternContext, url: string): (signal: AbortSignal) => Promise<ListResult<number>> {
  const follower = new HttpListWatch<number>({ url, catchUp: false });
  return async (signal) => {
    context.traffic.requests++;
    try {
      const result = await follower.list(AbortSignal.any([signal, AbortSignal.timeout(5_000)]));
      context.traffic.items += result.items.length;
      return result;
    } catch (err) {
      context.traffic.failed++;
      throw err;
    }
  };
}

function asMap(items: ListResult<number>['items']): Map<string, number> {
  return new Map(items.map((i) => [i.key, i.value]));
}

/** Command: every change pushes the whole state with its version; the agent keeps the latest. */
export const command: StartPattern = async (context) => {
  const stop = new AbortController();
  const box = new LatestValue<ReadonlyMap<string, number>>();
  const url = await context.agentServer((_path, body) => {
    const { version, state } = body as { version: number; state: [string, number][] };
    context.traffic.items += state.length;
    box.offer(new Map(state), version);
  });
  applyLatest(box, context.actual, stop.signal);
  return {
    onChange() {
      const state = Array.from(context.store.values(), (i): [string, number] => [i.key, i.value]);
      void context.push(`${url}/command`, { version: Number(context.store.revision), state });
    },
    async stop() {
      stop.abort();
    },
  };
};

/** Interrupt: every change pushes a bare poke; the agent coalesces pokes (100 ms quiet, 1 s at most) and fetches. */
export const interrupt: StartPattern = async (context) => {
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every fetch in flight listens to it
  const box = new LatestValue<ReadonlyMap<string, number>>();
  const fetchState = fetcher(context, await context.orchestrator());
  const refresh = debounce(
    () => {
      fetchState(stop.signal).then(
        (result) => box.offer(asMap(result.items), sequenceOf(result.revision)),
        () => {}, // a lost fetch is not retried: drift until the next poke
      );
    },
    { waitMs: 100, maxWaitMs: 1_000 },
  );
  const url = await context.agentServer(() => refresh.call());
  applyLatest(box, context.actual, stop.signal);
  return {
    onChange() {
      void context.push(`${url}/poke`, {});
    },
    async stop() {
      refresh.cancel();
      stop.abort();
    },
  };
};

/** Poll: the core's adaptive `Poller` (1–4 s, jittered) fetches the whole state; an unchanged revision is not applied. */
export const poll: StartPattern = async (context): Promise<PatternRun> => {
  const stop = new AbortController();
  const box = new LatestValue<ReadonlyMap<string, number>>();
  const fetchState = fetcher(context, await context.orchestrator());
  const poller = new Poller<ListResult<number>>({
    async fetch(token, signal) {
      const result = await fetchState(signal);
      return result.revision === token ? { changed: false } : { changed: true, value: result, token: result.revision };
    },
    intervalMs: 2_000,
    minIntervalMs: 1_000,
    maxIntervalMs: 4_000,
    random: context.random,
  });
  poller.on('value', (result) => box.offer(asMap(result.items), sequenceOf(result.revision)));
  poller.on('error', () => {}); // counted by the fetch; the poller backs off and goes on
  applyLatest(box, context.actual, stop.signal);
  poller.start();
  return {
    onChange() {},
    async stop() {
      await poller.stop();
      stop.abort();
    },
  };
};
