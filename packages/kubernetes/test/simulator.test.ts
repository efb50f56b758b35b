import { CoreV1Api, type Informer, makeInformer, type ObjectCache, type V1Endpoints, Watch } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { endpoints, type KubeSimulator, service, startKubeSimulator } from '../src/testing/index.js';
import { waitFor } from '@nitrox/core/testing';

let sim: KubeSimulator;
beforeEach(async () => {
  sim = await startKubeSimulator({ bookmarkIntervalMs: 100 });
});
afterEach(async () => {
  await sim.close();
});

async function readLines(url: string, count: number): Promise<Record<string, unknown>[]> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  const lines: Record<string, unknown>[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      lines.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
    }
    if (lines.length >= count) break;
  }
  controller.abort();
  return lines;
}

describe('API-server simulator', () => {
  it('pages a list with limit/continue at one resourceVersion and answers 410 on an expired token', async () => {
    for (let i = 0; i < 7; i++) sim.store.apply(service({ name: `s${i}`, ports: [{ port: 80 }] }));
    const first = (await (await fetch(`${sim.url}/api/v1/namespaces/default/services?limit=3`)).json()) as {
      metadata: { resourceVersion: string; continue?: string };
      items: unknown[];
    };
    expect(first.items).toHaveLength(3);
    sim.store.apply(service({ name: 'late', ports: [{ port: 80 }] }));
    const second = (await (
      await fetch(`${sim.url}/api/v1/namespaces/default/services?limit=10&continue=${first.metadata.continue}`)
    ).json()) as typeof first;
    expect(second.items).toHaveLength(4);
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(second.metadata.continue).toBeUndefined();
    const again = (await (await fetch(`${sim.url}/api/v1/namespaces/default/services?limit=3`)).json()) as typeof first;
    sim.faults.expireContinueTokens();
    const expired = await fetch(`${sim.url}/api/v1/namespaces/default/services?limit=3&continue=${again.metadata.continue}`);
    expect(expired.status).toBe(410);
  });

  it('streams history, live events and bookmarks, and ends too-old watches with the in-stream 410', async () => {
    sim.store.apply(endpoints({ name: 'web', addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }));
    const rv = sim.store.revision;
    sim.store.apply(endpoints({ name: 'web', addresses: [{ ip: '10.0.0.2' }], ports: [{ port: 80 }] }));
    const lines = await readLines(
      `${sim.url}/api/v1/namespaces/default/endpoints?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`,
      2,
    );
    expect(lines[0]?.type).toBe('MODIFIED');
    expect(lines[1]?.type).toBe('BOOKMARK');
    sim.faults.expireHistory();
    const gone = await readLines(`${sim.url}/api/v1/namespaces/default/endpoints?watch=1&resourceVersion=${rv}`, 1);
    expect(gone[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('serves list resourceVersion semantics: unset/0 = latest, NotOlderThan, Exact from history, 504 + Retry-After when too new', async () => {
    type List = { metadata: { resourceVersion: string; continue?: string }; items: { metadata: { name: string } }[] };
    const base = `${sim.url}/api/v1/namespaces/default/services`;
    const names = (list: List) => list.items.map((i) => i.metadata.name);
    sim.store.apply(service({ name: 'a', ports: [{ port: 80 }] }));
    const atA = sim.store.revision;
    sim.store.apply(service({ name: 'b', ports: [{ port: 80 }] }));
    sim.store.apply(service({ name: 'a', labels: { v: '2' }, ports: [{ port: 81 }] }));
    sim.store.delete('services', 'default', 'b');
    const now = sim.store.revision;
    for (const query of ['', '?resourceVersion=0', `?resourceVersion=${atA}`, `?resourceVersion=${atA}&resourceVersionMatch=NotOlderThan`]) {
      const list = (await (await fetch(base + query)).json()) as List;
      expect({ query, rv: list.metadata.resourceVersion, names: names(list) }).toEqual({ query, rv: now, names: ['a'] });
    }
    const exact = (await (await fetch(`${base}?resourceVersion=${atA}&resourceVersionMatch=Exact`)).json()) as List;
    expect(exact.metadata.resourceVersion).toBe(atA);
    expect(exact.items).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ name: 'a', resourceVersion: atA }) })]);
    const mid = String(Number(atA) + 1);
    const page1 = (await (await fetch(`${base}?resourceVersion=${mid}&resourceVersionMatch=Exact&limit=1`)).json()) as List;
    const token = page1.metadata.continue as string;
    expect(token).toEqual(expect.any(String));
    expect((await fetch(`${base}?limit=1&resourceVersion=${mid}&continue=${token}`)).status).toBe(400);
    const page2 = (await (await fetch(`${base}?limit=1&continue=${token}`)).json()) as List;
    expect({ rv: page2.metadata.resourceVersion, names: [...names(page1), ...names(page2)] }).toEqual({ rv: mid, names: ['a', 'b'] });

    const future = String(Number(now) + 5);
    for (const url of [`${base}?resourceVersion=${future}`, `${base}?watch=1&resourceVersion=${future}`]) {
      const tooLarge = await fetch(url);
      expect(tooLarge.status).toBe(504);
      expect(tooLarge.headers.get('retry-after')).toBe('1');
      expect(await tooLarge.json()).toMatchObject({
        kind: 'Status',
        code: 504,
        reason: 'Timeout',
        details: { causes: [{ reason: 'ResourceVersionTooLarge' }], retryAfterSeconds: 1 },
      });
    }
    sim.faults.expireHistory();
    expect((await fetch(`${base}?resourceVersion=${atA}&resourceVersionMatch=Exact`)).status).toBe(410);
    expect((await fetch(`${base}?resourceVersionMatch=Exact`)).status).toBe(400);
  });

  it('answers injected failures with Retry-After when asked', async () => {
    sim.faults.failRequests({ status: 429, retryAfterSeconds: 3 });
    const res = await fetch(`${sim.url}/api/v1/nodes`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });
    expect((await fetch(`${sim.url}/api/v1/nodes`)).status).toBe(200);
  });

  it('ends a watch after its timeoutSeconds, as the API server does', async () => {
    const res = await fetch(`${sim.url}/api/v1/namespaces/default/endpoints?watch=1&resourceVersion=${sim.store.revision}&timeoutSeconds=1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(''); // nothing happened, no bookmarks asked for: an empty stream, then the end
    expect(sim.openWatches).toBe(0);
  });

  it('validates its options', async () => {
    await expect(startKubeSimulator({ historyLimit: 0 })).rejects.toThrow(/historyLimit/);
    await expect(startKubeSimulator({ expiryStyle: 'never' as never })).rejects.toThrow(/expiryStyle/);
    await expect(startKubeSimulator({ tls: 'yes' as never })).rejects.toThrow(/tls/);
  });

  it('rejects a wrong bearer token with 401', async () => {
    sim.setToken('s3cret');
    const res = await fetch(`${sim.url}/api/v1/nodes`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
    const ok = await fetch(`${sim.url}/api/v1/nodes`, { headers: { authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
  });

  it("runs @kubernetes/client-node's own makeInformer and Watch, through expiry", async () => {
    sim.store.apply(endpoints({ name: 'a', addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }));
    const kc = sim.kubeConfig();
    const api = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Endpoints>(
      kc,
      '/api/v1/namespaces/default/endpoints',
      () => api.listNamespacedEndpoints({ namespace: 'default' }),
    ) as Informer<V1Endpoints> & ObjectCache<V1Endpoints>;
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    expect(informer.list('default').map((e) => e.metadata?.name)).toEqual(['a']);
    sim.store.apply(endpoints({ name: 'b', addresses: [{ ip: '10.0.0.2' }], ports: [{ port: 80 }] }));
    await waitFor(() => informer.get('b', 'default'), { what: 'client-node informer sees b' });
    sim.faults.expireHistory();
    sim.store.delete('endpoints', 'default', 'a');
    await waitFor(() => informer.get('a', 'default') === undefined && informer.list().length === 1, {
      what: 'client-node informer relists after 410',
    });
    expect(errors).toEqual([]);
    await informer.stop();

    const seen: string[] = [];
    const controller = await new Watch(kc).watch(
      '/api/v1/namespaces/default/endpoints',
      { resourceVersion: sim.store.revision, allowWatchBookmarks: true },
      (type) => seen.push(type),
      () => undefined,
    );
    sim.store.apply(endpoints({ name: 'c', addresses: [{ ip: '10.0.0.3' }], ports: [{ port: 80 }] }));
    await waitFor(() => seen.includes('ADDED') && seen.includes('BOOKMARK'), { what: 'Watch callbacks' });
    controller.abort();
  });

  it('serves HTTPS with a generated CA: client-node connects with the CA and a token or the client certificate', async () => {
    const secure = await startKubeSimulator({ tls: true, token: 'tls-token' });
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(secure.caCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
      for (const options of [{}, { auth: 'client-cert' as const }]) {
        const api = secure.kubeConfig(options).makeApiClient(CoreV1Api);
        const namespaces = await api.listNamespace();
        expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');
      }
      const refused = secure.kubeConfig({ token: 'wrong' }).makeApiClient(CoreV1Api);
      await expect(refused.listNamespace()).rejects.toMatchObject({ code: 401 });
      await expect(sim.writeKubeconfig(undefined, { auth: 'client-cert' })).rejects.toThrow(/tls: true/);
    } finally {
      await secure.close();
    }
  });
});
