/**
 * The two sides every pattern is built between, on real sockets: the orchestrator's `MemoryStore` (served with
 * `serveListWatch` for the patterns that pull) and the agent's local map (behind an HTTP server of its own for
 * the patterns that push). Every connection either way passes a {@link LossyProxy} with the scenario's faults,
 * and the proxies' counters are the run's bytes, cuts, refusals and reorderings.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MemoryStore } from '@nitrox/core';
import { type ListeningServer, listenListWatch, serveListWatch } from '@nitrox/http';
import { seededRandom } from '@nitrox/core/testing';
import { LossyProxy, type LossyProxyStats } from '../lossy-proxy.js';
import type { Scenario, Traffic } from './scenario.js';

/** What a pattern is given to build its orchestrator and agent sides. */
export interface PatternContext {
  /** The orchestrator's desired state. */
  readonly store: MemoryStore<number>;
  /** The agent's local state, which the pattern must make equal to the store. */
  readonly actual: Map<string, number>;
  /** Counters the pattern keeps. */
  readonly traffic: Traffic;
  /** Seeded random numbers (for jitter). */
  readonly random: () => number;
  /** Serve the store with `serveListWatch` (once per run); the collection's URL through a lossy proxy. */
  orchestrator(): Promise<string>;
  /** Start an HTTP server on the agent that hands each fully received JSON body to `receive`; its URL through a lossy proxy. */
  agentServer(receive: (path: string, body: unknown) => void): Promise<string>;
  /** POST `body` as JSON from the orchestrator (one attempt, counted); true when answered 2xx. */
  push(url: string, body: unknown): Promise<boolean>;
}

/** A pattern at work: told of every change of the store, stopped at the end of the run. */
export interface PatternRun {
  onChange(): void;
  stop(): Promise<void>;
}

/** Build a pattern's two sides and start it. */
export type StartPattern = (context: PatternContext) => Promise<PatternRun>;

/** The sockets, servers and proxies of one run. */
export interface Harness {
  readonly context: PatternContext;
  /** The proxies' counters, summed. */
  proxyStats(): LossyProxyStats;
  close(): Promise<void>;
}

/** How long one request may take before it counts as failed. */
const requestTimeoutMs = 5_000;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Set up the two sides of a run over `store` and `actual`. */
export function harness(scenario: Scenario, store: MemoryStore<number>, actual: Map<string, number>): Harness {
  const proxies: LossyProxy[] = [];
  const servers: Server[] = [];
  let served: Promise<ListeningServer> | undefined;
  let orchestratorUrl: Promise<string> | undefined;
  const traffic: Traffic = { requests: 0, failed: 0, items: 0 };

  const proxied = async (port: number): Promise<number> => {
    const proxy = new LossyProxy({
      target: () => port,
      seed: scenario.seed * 31 + proxies.length,
      latencyMs: scenario.latencyMs,
      cutChance: scenario.cutChance,
      refuseChance: scenario.refuseChance,
    });
    proxies.push(proxy);
    return proxy.listen();
  };

  const context: PatternContext = {
    store,
    actual,
    traffic,
    random: seededRandom(scenario.seed * 7),
    orchestrator() {
      orchestratorUrl ??= (async () => {
        served = listenListWatch(serveListWatch(store, { collection: 'state', bookmarkIntervalMs: 1_000 }));
        const { url } = await served;
        return `http://127.0.0.1:${await proxied(Number(new URL(url).port))}/state`;
      })();
      return orchestratorUrl;
    },
    async agentServer(receive) {
      const server = createServer((req, res) => {
        readJson(req).then(
          (body) => {
            receive(req.url ?? '/', body);
            res.writeHead(204).end();
          },
          () => res.writeHead(400).end(),
        );
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${await proxied((server.address() as AddressInfo).port)}`;
    },
    async push(url, body) {
      traffic.requests++;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        await res.arrayBuffer();
        if (res.ok) return true;
      } catch {
        // reset, refused or timed out: the pattern decides what a lost push means
      }
      traffic.failed++;
      return false;
    },
  };

  return {
    context,
    proxyStats() {
      const sum: LossyProxyStats = { connections: 0, refused: 0, cuts: 0, chunks: 0, bytes: 0, overtaken: 0 };
      for (const proxy of proxies) for (const [k, v] of Object.entries(proxy.stats)) sum[k as keyof LossyProxyStats] += v;
      return sum;
    },
    async close() {
      await Promise.all(proxies.map((p) => p.close()));
      if (served !== undefined) await (await served).close();
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
