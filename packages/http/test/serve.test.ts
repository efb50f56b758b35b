/**
 * The server's HTTP behaviour as a raw client sees it: paging over one snapshot, 410s, prefix filters, auth,
 * gzip, the watch limit, and a follower that stops reading being cut off without holding the others.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ListWatch } from '@nitrox/core';
import { waitFor } from '@nitrox/core/testing';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpListWatch, serveListWatch, type WireListPage } from '../src/index.js';
import { type Loopback, loopback } from './loopback.js';

let lb: Loopback | undefined;
afterEach(async () => {
  await lb?.close();
  lb = undefined;
});

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await request(url, { headers });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

describe('serveListWatch', () => {
  it('pages a list over one snapshot, whatever is written between pages', async () => {
    lb = await loopback();
    for (const k of ['a', 'b', 'c', 'd', 'e']) lb.store.put(k, k);
    await waitFor(() => lb?.handler.revision.endsWith('.5'), { what: 'ingest' });
    const first = await getJson<WireListPage<string>>(`${lb.url}?limit=2`);
    lb.store.put('f', 'f');
    lb.store.delete('e');
    await waitFor(() => lb?.handler.revision.endsWith('.7'), { what: 'ingest' });
    const keys = first.body.items.map((i) => i.key);
    let cont = first.body.continue;
    while (cont !== undefined) {
      const page = await getJson<WireListPage<string>>(`${lb.url}?limit=2&continue=${cont}`);
      expect(page.body.revision).toBe(first.body.revision);
      keys.push(...page.body.items.map((i) => i.key));
      cont = page.body.continue;
    }
    expect(keys).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect((await getJson(`${lb.url}?limit=2&continue=nope`)).status).toBe(410);
  });

  it('answers 410 to a revision out of history or of another server life, 400 to a bad limit', async () => {
    lb = await loopback({ historyLimit: 2 });
    for (let i = 0; i < 5; i++) lb.store.put('k', `v${i}`);
    await waitFor(() => lb?.handler.revision.endsWith('.5'), { what: 'ingest' });
    const epoch = lb.handler.revision.split('.')[0];
    expect((await getJson(`${lb.url}?watch=1&revision=${epoch}.1`)).status).toBe(410);
    expect((await getJson(`${lb.url}?watch=1&revision=other.5`)).status).toBe(410);
    expect((await getJson(`${lb.url}?limit=0`)).status).toBe(400);
    expect(lb.handler.stats.expired).toBe(2);
  });

  it('filters keys by prefix in lists and watches', async () => {
    lb = await loopback({ bookmarkIntervalMs: 100 });
    lb.store.put('pools/a', '1');
    lb.store.put('routes/a', '1');
    const follower = new HttpListWatch<string>({ url: lb.url, prefix: 'pools/' });
    const signal = AbortSignal.timeout(10_000);
    const { revision, items } = await waitFor(async () => {
      const r = await follower.list(signal);
      return r.items.length > 0 ? r : undefined;
    });
    expect(items.map((i) => i.key)).toEqual(['pools/a']);
    const iterator = follower.watch(revision, signal)[Symbol.asyncIterator]();
    lb.store.put('routes/b', '1');
    lb.store.put('pools/b', '1');
    let next = await iterator.next();
    while (!next.done && next.value.type === 'bookmark') next = await iterator.next();
    expect(next.value).toMatchObject({ type: 'added', item: { key: 'pools/b' } });
    await iterator.return?.();
  });

  it('requires the bearer token, read from a file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nitrox-http-')), 'token');
    writeFileSync(file, 's3cret\n');
    lb = await loopback({ token: { file } });
    expect((await getJson(lb.url)).status).toBe(401);
    expect((await getJson(lb.url, { authorization: 'Bearer wrong!' })).status).toBe(401);
    expect((await getJson(lb.url, { authorization: 'Bearer s3cret' })).status).toBe(200);
    const error = await new HttpListWatch<string>({ url: lb.url, token: 'nope' }).list(AbortSignal.timeout(5_000)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NITROX_SOURCE', status: 401, retryable: false });
    expect(lb.handler.stats.unauthorized).toBe(3);
  });

  it('gzips large answers when the follower accepts it', async () => {
    lb = await loopback();
    for (let i = 0; i < 200; i++) lb.store.put(`key-${i}`, 'x'.repeat(100));
    await waitFor(() => lb?.handler.revision.endsWith('.200'), { what: 'ingest' });
    const res = await request(lb.url, { headers: { 'accept-encoding': 'gzip' } });
    await res.body.arrayBuffer();
    expect(res.headers['content-encoding']).toBe('gzip');
    const follower = new HttpListWatch<string>({ url: lb.url });
    expect((await follower.list(AbortSignal.timeout(5_000))).items).toHaveLength(200);
    expect(follower.stats.bytesReceived).toBeLessThan(200 * 100);
  });

  it('answers 503 while the source cannot be listed, instead of hanging the follower', async () => {
    const never: ListWatch<string> = { list: () => new Promise(() => {}), watch: () => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) }) };
    const handler = serveListWatch(never, { syncTimeoutMs: 100 });
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`;
      const error = await new HttpListWatch<string>({ url }).list(AbortSignal.timeout(5_000)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'NITROX_SOURCE', status: 503, retryable: true });
      expect(handler.stats.unavailable).toBe(1);
    } finally {
      await handler.stop();
      server.closeAllConnections();
      server.close();
    }
  });

  it('refuses watches past maxWatches with 429', async () => {
    lb = await loopback({ maxWatches: 1 });
    const abort = new AbortController();
    const first = await request(`${lb.url}?watch=1&revision=${lb.handler.revision}`, { signal: abort.signal });
    expect(first.statusCode).toBe(200);
    expect((await getJson(`${lb.url}?watch=1&revision=${lb.handler.revision}`)).status).toBe(429);
    abort.abort();
    await first.body.dump().catch(() => {});
  });

  it('cuts off a follower that stops reading, while another keeps up', async () => {
    lb = await loopback({ maxBacklog: 20, bookmarkIntervalMs: 1_000 });
    const revision = lb.handler.revision;
    const url = new URL(lb.url);
    // A follower that sends its request and never reads a byte.
    const stalled = connect(Number(url.port), '127.0.0.1');
    stalled.write(`GET ${url.pathname}?watch=1&revision=${revision} HTTP/1.1\r\nhost: x\r\n\r\n`);
    stalled.pause();
    const healthy = new HttpListWatch<string>({ url: lb.url });
    const abort = new AbortController();
    const iterator = healthy.watch(revision, abort.signal)[Symbol.asyncIterator]();
    let pending = iterator.next(); // opens the watch
    await waitFor(() => lb?.handler.stats.watchesOpen === 2, { what: 'both watches open' });
    const big = 'x'.repeat(64 * 1024);
    let received = 0;
    for (let i = 0; i < 300; i++) {
      lb.store.put(`k${i % 10}`, `${i}${big}`);
      if (i % 10 === 9) {
        // Pace the writer by the healthy follower: it must get everything in order.
        while (received < i + 1) {
          const next = await pending;
          pending = iterator.next();
          if (!next.done && next.value.type !== 'bookmark') received++;
        }
      }
    }
    expect(received).toBe(300);
    await waitFor(() => lb?.handler.stats.cutOff === 1, { what: 'the stalled follower to be cut off' });
    abort.abort();
    await pending.catch(() => {});
    stalled.destroy();
  });
});
