import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SourceError } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { MarathonClient } from '../src/index.js';

let server: Server | undefined;
let client: MarathonClient | undefined;
afterEach(async () => {
  await client?.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  client = undefined;
});

/** A server answering every request with the given status, content type and body. */
async function serve(status: number, body: string, type = 'application/json'): Promise<MarathonClient> {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  client = new MarathonClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  return client;
}

const signal = (): AbortSignal => AbortSignal.timeout(5_000);

describe('MarathonClient against odd peers', () => {
  it('refuses a snapshot without embedded tasks instead of reading it as empty pools', async () => {
    const c = await serve(200, JSON.stringify({ apps: [{ id: '/a' }] }));
    await expect(c.listApps(signal())).rejects.toThrow(/embedded "tasks"/);
  });

  it('reports invalid JSON and wrong shapes as SourceError', async () => {
    const c = await serve(200, '{"apps": [');
    await expect(c.listApps(signal())).rejects.toBeInstanceOf(SourceError);
    await expect(c.getAppTasks('/a', signal())).rejects.toBeInstanceOf(SourceError);
  });

  it('maps 404 of one app to undefined', async () => {
    const c = await serve(404, JSON.stringify({ message: "App '/a' does not exist" }));
    expect(await c.getApp('/a', signal())).toBeUndefined();
    expect(await c.getAppTasks('/a', signal())).toBeUndefined();
    await expect(c.listApps(signal())).rejects.toMatchObject({ status: 404, retryable: false });
  });

  it("carries the peer's message and marks 5xx retryable", async () => {
    const c = await serve(503, JSON.stringify({ message: 'leader unknown' }));
    const error = await c.listApps(signal()).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect((error as Error).message).toContain('leader unknown');
  });

  it('refuses an event stream that is not text/event-stream', async () => {
    const c = await serve(200, '{}');
    await expect(c.openEvents([], signal())).rejects.toThrow(/content-type/);
  });

  it('encodes app ids into paths', async () => {
    const paths: string[] = [];
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ tasks: [] }));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    client = new MarathonClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/service/marathon/` });
    await client.getAppTasks('/prod/my app', signal());
    expect(paths).toEqual(['/service/marathon/v2/apps/prod/my%20app/tasks']);
  });
});
