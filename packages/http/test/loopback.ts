/**
 * A served `MemoryStore` on a loopback port, for the integration tests: the real server, the real follower.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '@nitrox/core';
import { type ListWatchHandler, type ServeOptions, serveListWatch } from '../src/index.js';

/** A running server over a fresh store. */
export interface Loopback {
  readonly store: MemoryStore<string>;
  readonly handler: ListWatchHandler;
  readonly server: Server;
  /** URL of the collection. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serve a new store (or `store`) on 127.0.0.1 (port `port`, or any) with `options`. */
export async function loopback(options: ServeOptions = {}, store = new MemoryStore<string>(), port = 0): Promise<Loopback> {
  const handler = serveListWatch(store, options);
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await handler.ready();
  const bound = (server.address() as AddressInfo).port;
  return {
    store,
    handler,
    server,
    url: `http://127.0.0.1:${bound}/${options.collection ?? 'items'}`,
    async close() {
      await handler.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The sequence number of a server revision. */
export function seqOf(revision: string): number {
  return Number(revision.slice(revision.lastIndexOf('.') + 1));
}
