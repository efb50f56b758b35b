import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ExpiredError, Informer, type MalformedEventError, SourceError, VirtualClock } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConnection } from '../src/kube-connection.js';
import { KubeListWatch, type KubeObjectJson } from '../src/kube-list-watch.js';
import { endpoints, type KubeSimulator, type KubeSimulatorOptions, node, pod, startKubeSimulator } from '../src/testing/index.js';
import { waitFor } from '@nitrox/core/testing';

let sim: KubeSimulator | undefined;
const stoppers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stoppers.splice(0)) await stop();
  await sim?.close();
  sim = undefined;
});

async function setup(options: KubeSimulatorOptions = {}, lwOptions: { onMalformed?: (e: MalformedEventError) => void } = {}) {
  sim = await startKubeSimulator({ bookmarkIntervalMs: 100, ...options });
  const connection = new KubeConnection({ kubeConfig: sim.kubeConfig() });
  const source = new KubeListWatch<KubeObjectJson>({ connection, resource: 'endpoints', namespace: 'default', timeoutSeconds: 30, ...lwOptions });
  const informer = new Informer(source, { idleTimeoutMs: 600, backoff: { initialMs: 20, maxMs: 100 } });
  const errors: Error[] = [];
  informer.on('error', (e) => errors.push(e));
  stoppers.push(async () => {
    await informer.stop();
    await connection.close();
  });
  return { sim, connection, source, informer, errors };
}

const ep = (name: string, ip: string) => endpoints({ name, addresses: [{ ip }], ports: [{ port: 80 }] });
const ipOf = (informer: Informer<KubeObjectJson>, key: string): string | undefined =>
  ((informer.cache.get(key)?.value.subsets as { addresses: { ip: string }[] }[] | undefined)?.[0]?.addresses[0]?.ip);

describe('KubeListWatch', () => {
  it('lists in pages, keeps resourceVersions as strings and restarts the list when a continue token expires', async () => {
    const { sim, connection } = await setup();
    const firstVersion = Number(sim.store.revision) + 1;
    for (let i = 0; i < 1_203; i++) sim.store.apply(ep(`e${i}`, `10.0.${i >> 8}.${i & 255}`));
    let expiredOnce = false;
    const source = new KubeListWatch({
      connection,
      resource: 'endpoints',
      namespace: 'default',
      transform: (o) => {
        if (!expiredOnce) {
          expiredOnce = true;
          sim.faults.expireContinueTokens();
        }
        return o.metadata.name;
      },
    });
    const before = sim.stats.lists;
    const { revision, items } = await source.list(new AbortController().signal);
    expect(items).toHaveLength(1_203);
    expect(revision).toBe(sim.store.revision);
    expect(sim.stats.lists - before).toBe(2 + 3); // one page, 410 on the second, then three pages
    const first = items.find((i) => i.key === 'default/e0');
    expect(first).toMatchObject({ value: 'e0', sourceVersion: String(firstVersion), version: firstVersion });
  });

  it('lists and watches any known resource, namespaced or cluster-scoped', async () => {
    const { sim, connection } = await setup();
    sim.store.apply(pod({ name: 'p1', nodeName: 'n1', ip: '10.1.0.1' }));
    sim.store.apply(node({ name: 'n1', internalIP: '192.168.0.1' }));
    const pods = new KubeListWatch({ connection, resource: 'pods', namespace: 'default' });
    const nodes = new KubeListWatch({ connection, resource: 'nodes', namespace: 'ignored' });
    const signal = new AbortController().signal;
    expect((await pods.list(signal)).items.map((i) => i.key)).toEqual(['default/p1']);
    const listed = await nodes.list(signal);
    expect(listed.items.map((i) => i.key)).toEqual(['n1']);
    const controller = new AbortController();
    const events = nodes.watch(listed.revision, controller.signal)[Symbol.asyncIterator]();
    sim.store.apply(node({ name: 'n2', internalIP: '192.168.0.2' }));
    const first = await events.next();
    expect(first.value).toMatchObject({ type: 'added', item: { key: 'n2' } });
    controller.abort();
    await events.return?.(undefined);
  });

  it('follows changes, and recovers from expiry (in-stream 410), disconnects and a silent stall with nothing lost', async () => {
    const { sim, informer } = await setup();
    sim.store.apply(ep('a', '10.0.0.1'));
    informer.start();
    await informer.waitForSync();
    sim.store.apply(ep('b', '10.0.0.2'));
    await waitFor(() => informer.cache.has('default/b'), { what: 'b' });

    sim.faults.expireHistory();
    sim.store.apply(ep('c', '10.0.0.3'));
    await waitFor(() => informer.cache.has('default/c'), { what: 'c after expiry' });
    expect(informer.stats.relists).toBeGreaterThanOrEqual(1);

    sim.faults.dropWatches();
    sim.store.apply(ep('a', '10.0.0.9'));
    await waitFor(() => ipOf(informer, 'default/a') === '10.0.0.9', { what: 'a modified after drop' });

    await waitFor(() => sim.openWatches === 1, { what: 'watch open' });
    expect(sim.faults.stallWatches()).toBe(1);
    sim.store.delete('endpoints', 'default', 'b');
    sim.faults.expireHistory();
    sim.store.apply(ep('d', '10.0.0.4'));
    await waitFor(() => informer.cache.has('default/d') && !informer.cache.has('default/b'), { what: 'after stall' });
    expect([...informer.cache.keys()].sort()).toEqual(['default/a', 'default/c', 'default/d']);
  });

  it('maps HTTP 410 and the "Gone" reason to a relist', async () => {
    const { sim, informer } = await setup({ expiryStyle: 'http', expiredReason: 'Gone' });
    informer.start();
    await informer.waitForSync();
    await waitFor(() => sim.openWatches === 1);
    sim.faults.stallWatches();
    sim.store.apply(ep('x', '10.0.0.1'));
    sim.faults.expireHistory();
    await waitFor(() => informer.cache.has('default/x'), { what: 'x after HTTP 410' });
    expect(informer.stats.relists).toBeGreaterThanOrEqual(1);
  });

  it('reports a malformed line and resumes from the last good revision without losing the event', async () => {
    const malformed: MalformedEventError[] = [];
    const { sim, informer } = await setup({}, { onMalformed: (e) => malformed.push(e) });
    informer.start();
    await informer.waitForSync();
    await waitFor(() => sim.openWatches === 1);
    const watchesBefore = sim.stats.watches;
    sim.faults.injectWatchLine('{"type":"ADDED","object":{"secret":"do-not-echo"');
    sim.store.apply(ep('m0', '10.0.0.1'));
    await waitFor(() => informer.cache.has('default/m0'));
    expect(sim.stats.watches).toBeGreaterThan(watchesBefore); // the bad line ended the watch; a new one delivered m0
    const m0 = informer.cache.get('default/m0')?.sourceVersion as string;
    await waitFor(() => sim.openWatches === 1);
    sim.faults.corruptNextEvent();
    const m1 = sim.store.apply(ep('m1', '10.0.0.2')).metadata.resourceVersion as string;
    await waitFor(() => informer.cache.has('default/m1'), { what: 'm1 re-delivered' });
    // The watch that re-delivered m1 started from a revision before m1: the last good one (m0 or a bookmark after it).
    const from = Number(sim.stats.lastWatchQuery?.resourceVersion);
    expect(from).toBeGreaterThanOrEqual(Number(m0));
    expect(from).toBeLessThan(Number(m1));
    expect(informer.cache.get('default/m1')?.sourceVersion).toBe(m1);
    expect(informer.stats.relists).toBe(0); // resumed by re-watching, not by relisting
    expect(malformed).toHaveLength(2);
    for (const e of malformed) {
      expect(e.code).toBe('NITROX_MALFORMED_EVENT');
      expect(e.message).toMatch(/watch endpoints: a line of the stream is not JSON \(\d+ bytes\)/);
      expect(e.message).not.toContain('do-not-echo');
    }
  });

  it('waits out a 429 with Retry-After on the clock before sending the list again, up to retryAfterLimit', async () => {
    const { sim, connection } = await setup();
    sim.store.apply(ep('a', '10.0.0.1'));
    const clock = new VirtualClock();
    const source = new KubeListWatch({ connection, resource: 'endpoints', namespace: 'default', clock, retryAfterLimit: 2 });
    const signal = new AbortController().signal;
    sim.faults.failRequests({ status: 429, retryAfterSeconds: 2 });
    const listing = source.list(signal);
    await waitFor(() => clock.pendingTimers === 1, { what: 'waiting out Retry-After' });
    const requests = sim.stats.requests;
    await clock.advance(1_999);
    expect(sim.stats.requests).toBe(requests); // not sent again before the 2 s have passed
    await clock.advance(1);
    await expect(listing).resolves.toMatchObject({ items: [{ key: 'default/a' }] });
    expect(sim.stats.requests).toBe(requests + 1);

    sim.faults.failRequests({ count: 3, status: 504, retryAfterSeconds: 1 });
    const failing = source.list(signal).catch((e: unknown) => e);
    for (let i = 0; i < 2; i++) {
      await waitFor(() => clock.pendingTimers === 1, { what: `wait ${i + 1}` });
      await clock.advance(1_000);
    }
    const error = (await failing) as SourceError;
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ status: 504, peerCode: 'Timeout', retryable: true });
    expect(clock.pendingTimers).toBe(0);
  });

  it('waits out "Too large resource version" (504 + Retry-After) on a watch from a revision the server has not reached', async () => {
    const { sim, connection } = await setup();
    const clock = new VirtualClock();
    const source = new KubeListWatch({ connection, resource: 'endpoints', namespace: 'default', clock, timeoutSeconds: 30 });
    const ahead = String(Number(sim.store.revision) + 1);
    const controller = new AbortController();
    const events = source.watch(ahead, controller.signal)[Symbol.asyncIterator]();
    const next = events.next();
    await waitFor(() => clock.pendingTimers === 1, { what: 'waiting out Retry-After' });
    sim.store.apply(ep('x', '10.0.0.1')); // the server reaches the revision
    await clock.advance(1_000);
    await waitFor(() => sim.openWatches === 1, { what: 'watch re-sent' });
    sim.store.apply(ep('y', '10.0.0.2'));
    await expect(next).resolves.toMatchObject({ value: { type: 'added', item: { key: 'default/y' } } });
    expect(sim.stats.lastWatchQuery).toMatchObject({ resourceVersion: ahead, allowWatchBookmarks: 'true', timeoutSeconds: '30' });
    controller.abort();
    await events.return?.(undefined);
  });

  it('relists when a watch revision stays "too large" after the Retry-After waits (the server went back in time)', async () => {
    const { sim, connection } = await setup();
    sim.store.apply(ep('a', '10.0.0.1'));
    const source = new KubeListWatch<KubeObjectJson>({ connection, resource: 'endpoints', namespace: 'default', retryAfterLimit: 0 });
    const ahead = String(Number(sim.store.revision) + 100);
    const error = await source.watch(ahead, new AbortController().signal)[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpiredError);
    expect((error as ExpiredError).message).toMatch(new RegExp(`has not reached revision ${ahead} .*HTTP 504 Timeout: Too large resource version`));
    // Through an informer that believes it is at that revision: it relists and carries on.
    let lists = 0;
    const informer: Informer<KubeObjectJson> = new Informer(
      {
        list: (signal: AbortSignal) => {
          lists++;
          return source.list(signal);
        },
        // The first watch asks for a revision the server has not reached.
        watch: (from: string, signal: AbortSignal) => source.watch(lists === 1 ? ahead : from, signal),
      },
      { idleTimeoutMs: 600, backoff: { initialMs: 20, maxMs: 100 } },
    );
    stoppers.unshift(() => informer.stop()); // before the connection closes: close() waits for open watches
    informer.start();
    await waitFor(() => informer.stats.relists >= 1, { what: 'relist after too large' });
    sim.store.apply(ep('b', '10.0.0.2'));
    await waitFor(() => informer.cache.has('default/b'), { what: 'b after the relist' });
  });

  it('maps the in-stream ERROR 410 with the older "Gone" reason to ExpiredError', async () => {
    const { sim, source } = await setup({ expiredReason: 'Gone' });
    const old = sim.store.revision;
    sim.store.apply(ep('a', '10.0.0.1'));
    sim.faults.expireHistory();
    const events = source.watch(old, new AbortController().signal)[Symbol.asyncIterator]();
    const error = await events.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpiredError);
    expect((error as ExpiredError).message).toMatch(/^watch endpoints: Gone: too old resource version/);
  });

  it('turns a slow answer past the headers timeout into a SourceError', async () => {
    const { sim } = await setup();
    sim.faults.latencyMs = 1_000;
    const slow = new KubeConnection({ kubeConfig: sim.kubeConfig(), headersTimeoutMs: 50 });
    stoppers.push(() => slow.close());
    const error = await new KubeListWatch({ connection: slow, resource: 'nodes' }).list(new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/GET \/api\/v1\/nodes: .*UND_ERR_HEADERS_TIMEOUT/);
    sim.faults.latencyMs = 0;
  });

  it('retries 5xx answers until the list succeeds', async () => {
    const { sim, informer, errors } = await setup();
    sim.store.apply(ep('a', '10.0.0.1'));
    sim.faults.failRequests({ count: 2, status: 503 });
    informer.start();
    await informer.waitForSync();
    expect(informer.cache.has('default/a')).toBe(true);
    expect(errors.filter((e) => e instanceof SourceError && e.status === 503)).toHaveLength(2);
  });

  it('gives a clear SourceError with the HTTP status and no secret for wrong credentials', async () => {
    sim = await startKubeSimulator({ token: 'right-token-123' });
    const connection = new KubeConnection({ kubeConfig: sim.kubeConfig({ token: 'wrong-token-456' }) });
    stoppers.push(() => connection.close());
    const source = new KubeListWatch({ connection, resource: 'services', namespace: 'default' });
    const error = await source.list(new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    const e = error as SourceError;
    expect(e.status).toBe(401);
    expect(e.peerCode).toBe('Unauthorized');
    expect(e.message).toMatch(/list services: HTTP 401 Unauthorized/);
    const everything = `${e.message} ${e.stack} ${JSON.stringify(e)} ${String(e.cause)}`;
    expect(everything).not.toContain('wrong-token-456');
    expect(everything).not.toContain('right-token-123');
  });

  it('reads the in-cluster service-account token file named by the KubeConfig', async () => {
    sim = await startKubeSimulator({ token: 'sa-token-1' });
    const dir = await mkdtemp(join(tmpdir(), 'nitrox-sa-'));
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'sa-token-1');
    const kubeConfig = new KubeConfig();
    // What KubeConfig.loadFromCluster() builds, pointed at the simulator.
    kubeConfig.loadFromClusterAndUser(
      { name: 'inCluster', server: sim.url, skipTLSVerify: false },
      { name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile } } },
    );
    const connection = new KubeConnection({ kubeConfig });
    stoppers.push(() => connection.close());
    const source = new KubeListWatch({ connection, resource: 'services', namespace: 'default' });
    await expect(source.list(new AbortController().signal)).resolves.toMatchObject({ items: [] });
    sim.setToken('sa-token-2');
    await writeFile(tokenFile, 'sa-token-2');
    const error = (await source.list(new AbortController().signal).catch((e: unknown) => e)) as SourceError;
    expect(error.status).toBe(401);
    expect(error.message).not.toContain('sa-token');
    await expect(source.list(new AbortController().signal)).resolves.toMatchObject({ items: [] });
  });

  it('re-reads a rotated token file', async () => {
    sim = await startKubeSimulator({ token: 'token-one' });
    const dir = await mkdtemp(join(tmpdir(), 'nitrox-k8s-'));
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'token-one\n');
    const clock = new VirtualClock();
    const connection = new KubeConnection({ kubeConfig: sim.kubeConfig(), tokenFile, clock, tokenRefreshMs: 60_000 });
    stoppers.push(() => connection.close());
    const source = new KubeListWatch({ connection, resource: 'nodes' });
    const signal = new AbortController().signal;
    await expect(source.list(signal)).resolves.toMatchObject({ items: [] });
    sim.setToken('token-two');
    await writeFile(tokenFile, 'token-two\n');
    clock.advanceSync(60_000);
    await expect(source.list(signal)).resolves.toMatchObject({ items: [] });
    sim.setToken('token-three');
    await writeFile(tokenFile, 'token-three\n');
    // Before the refresh is due, a 401 forces a re-read: the next request uses the new token.
    const error = await source.list(signal).catch((e: unknown) => e);
    expect((error as SourceError).status).toBe(401);
    expect((error as SourceError).message).not.toContain('token-two');
    await expect(source.list(signal)).resolves.toMatchObject({ items: [] });
  });
});
