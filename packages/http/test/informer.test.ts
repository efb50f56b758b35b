/**
 * An unchanged core `Informer` on an `HttpListWatch`: it survives a server restart (new server life, so every
 * revision is unknown) by a digest catch-up instead of a full relist, and converges exactly. Also: TLS through
 * `listenListWatch`, and the idle timeout of a silent watch.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Informer, MemoryStore } from '@nitrox/core';
import { waitFor } from '@nitrox/core/testing';
import { describe, expect, it } from 'vitest';
import { HttpListWatch, listenListWatch, serveListWatch } from '../src/index.js';
import { loopback } from './loopback.js';

const sameAs = (informer: Informer<string>, store: MemoryStore<string>): boolean =>
  informer.cache.size === store.size && Array.from(store.values()).every((i) => informer.cache.get(i.key)?.version === i.version);

describe('Informer on HttpListWatch', () => {
  it('catches up by digest after a server restart, and converges', async () => {
    const store = new MemoryStore<string>();
    for (let i = 0; i < 500; i++) store.put(`key-${i}`, `v${i}`);
    let lb = await loopback({ bookmarkIntervalMs: 100 }, store);
    const port = Number(new URL(lb.url).port);
    const source = new HttpListWatch<string>({ url: lb.url, idleTimeoutMs: 2_000, itemsPerLeaf: 1 });
    const informer = new Informer(source, { backoff: { initialMs: 20, maxMs: 200 } });
    informer.start();
    try {
      await informer.waitForSync();
      store.put('key-1', 'live');
      await waitFor(() => sameAs(informer, store), { what: 'a live change' });
      await lb.close();
      store.put('key-2', 'while down');
      store.delete('key-3');
      store.put('key-new', 'while down');
      lb = await loopback({ bookmarkIntervalMs: 100 }, store, port);
      await waitFor(() => sameAs(informer, store), { timeoutMs: 20_000, what: 'convergence after the restart' });
      expect(source.stats).toMatchObject({ lists: 1, catchUps: 1 });
      expect(source.stats.catchUpItems).toBeLessThan(40);
    } finally {
      await informer.stop();
      await lb.close();
    }
  });

  it('relists instead of catching up when the restarted server numbers its versions anew (sourceEpoch)', async () => {
    const store = new MemoryStore<string>();
    for (let i = 0; i < 50; i++) store.put(`key-${i}`, `v${i}`);
    let lb = await loopback({ sourceEpoch: 'life-1' }, store);
    const port = Number(new URL(lb.url).port);
    const source = new HttpListWatch<string>({ url: lb.url, idleTimeoutMs: 2_000 });
    const informer = new Informer(source, { backoff: { initialMs: 20, maxMs: 200 } });
    informer.start();
    try {
      await informer.waitForSync();
      await lb.close();
      store.put('key-1', 'while down');
      lb = await loopback({ sourceEpoch: 'life-2' }, store, port);
      await waitFor(() => sameAs(informer, store), { timeoutMs: 20_000, what: 'convergence after the restart' });
      expect(source.stats).toMatchObject({ lists: 2, catchUps: 0 });
    } finally {
      await informer.stop();
      await lb.close();
    }
  });

  it('follows over TLS with a private CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nitrox-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    const store = new MemoryStore<string>();
    store.put('a', 'secret-free');
    const listening = await listenListWatch(serveListWatch(store), { tls: { key: readFileSync(join(dir, 'key.pem')), cert } });
    try {
      const url = `${listening.url}/items`;
      const { items } = await new HttpListWatch<string>({ url, ca: cert }).list(AbortSignal.timeout(10_000));
      expect(items.map((i) => i.key)).toEqual(['a']);
      const untrusted = await new HttpListWatch<string>({ url }).list(AbortSignal.timeout(10_000)).catch((e: unknown) => e);
      expect(untrusted).toMatchObject({ code: 'NITROX_SOURCE' });
    } finally {
      await listening.close();
    }
  });

  it('gives up on a silent watch after idleTimeoutMs with a TimeoutError', async () => {
    const lb = await loopback({ bookmarkIntervalMs: 60_000 });
    try {
      const source = new HttpListWatch<string>({ url: lb.url, idleTimeoutMs: 300 });
      const { revision } = await source.list(AbortSignal.timeout(5_000));
      const iterator = source.watch(revision, AbortSignal.timeout(10_000))[Symbol.asyncIterator]();
      const error = await iterator.next().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'NITROX_TIMEOUT' });
    } finally {
      await lb.close();
    }
  });
});
