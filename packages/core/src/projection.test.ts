import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { ConfigError, type NitroxError } from './errors.js';
import { Informer } from './informer.js';
import type { InformerChange } from './informer-options.js';
import { type BackendSet, normalizeBackendSet } from './load-balancer.js';
import { MemoryStore } from './memory-store.js';
import { Projection } from './projection.js';

interface Service {
  port: number;
}
interface Endpoint {
  service: string;
  address: string;
  ready: boolean;
}

const stoppers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stoppers.splice(0).reverse()) await stop();
});

/** Services + endpoints → one BackendSet per service that has ready endpoints. */
function setup() {
  const clock = new VirtualClock();
  const serviceStore = new MemoryStore<Service>();
  const endpointStore = new MemoryStore<Endpoint>();
  const services = new Informer(serviceStore, { clock, name: 'services' });
  const endpoints = new Informer(endpointStore, {
    clock,
    name: 'endpoints',
    indexes: { service: (e) => [e.value.service] },
  });
  const derived: string[] = [];
  const projection = new Projection<BackendSet, { services: Informer<Service>; endpoints: Informer<Endpoint> }>({
    name: 'pools',
    inputs: { services, endpoints },
    affects: { services: (s) => [s.key], endpoints: (e) => [e.value.service] },
    derive: (key, caches) => {
      derived.push(key);
      const service = caches.services.get(key);
      if (service === undefined) return undefined;
      const members = caches.endpoints
        .byIndex('service', key)
        .filter((e) => e.value.ready)
        .map((e) => ({ address: e.value.address, port: service.value.port }));
      return normalizeBackendSet({ name: key, members });
    },
  });
  stoppers.push(
    () => services.stop(),
    () => endpoints.stop(),
    () => projection.stop(),
  );
  return { clock, serviceStore, endpointStore, services, endpoints, projection, derived };
}

describe('Projection', () => {
  it('lists with an epoch of its own: a new instance numbers its versions anew', async () => {
    const one = setup();
    const two = setup();
    for (const { services, endpoints, projection } of [one, two]) {
      services.start();
      endpoints.start();
      projection.start();
    }
    const signal = new AbortController().signal;
    const listed = await Promise.all([one.projection.list(signal), two.projection.list(signal)]);
    expect(listed[0].epoch).toBe(one.projection.epoch);
    expect(listed[1].epoch).toBe(two.projection.epoch);
    expect(one.projection.epoch).not.toBe(two.projection.epoch);
  });

  it('is synced only after every input synced, then holds every derived key', async () => {
    const { clock, serviceStore, endpointStore, services, endpoints, projection } = setup();
    serviceStore.put('web', { port: 80 });
    endpointStore.put('e1', { service: 'web', address: '10.0.0.2', ready: true });
    endpointStore.put('e2', { service: 'web', address: '10.0.0.1', ready: true });
    endpointStore.put('e3', { service: 'gone', address: '10.0.0.9', ready: true });
    projection.start();
    services.start();
    await services.waitForSync();
    await clock.flush();
    expect(projection.hasSynced()).toBe(false);
    endpoints.start();
    await projection.waitForSync();
    expect([...projection.cache.keys()]).toEqual(['web']);
    expect(projection.cache.get('web')?.value.members).toEqual([
      { address: '10.0.0.1', port: 80 },
      { address: '10.0.0.2', port: 80 },
    ]);
  });

  it('re-derives only affected keys, once per burst, and bumps the version only on real change', async () => {
    const { clock, serviceStore, endpointStore, services, endpoints, projection, derived } = setup();
    serviceStore.put('web', { port: 80 });
    serviceStore.put('api', { port: 8080 });
    endpointStore.put('w1', { service: 'web', address: '10.0.0.1', ready: true });
    endpointStore.put('a1', { service: 'api', address: '10.0.1.1', ready: true });
    const changes: InformerChange<BackendSet>[] = [];
    projection.changes$.subscribe((c) => changes.push(c));
    projection.start();
    services.start();
    endpoints.start();
    await projection.waitForSync();
    const webVersion = projection.cache.get('web')?.version;
    const apiVersion = projection.cache.get('api')?.version;
    derived.length = 0;

    // Two endpoint changes of one service in one burst: derived once.
    endpointStore.put('w2', { service: 'web', address: '10.0.0.2', ready: true });
    endpointStore.put('w3', { service: 'web', address: '10.0.0.3', ready: false });
    await clock.advanceUntil(() => endpoints.revision === endpointStore.revision);
    await clock.flush();
    expect(derived).toEqual(['web']);
    expect(projection.cache.get('web')?.value.members).toHaveLength(2);
    expect(projection.cache.get('web')?.version).toBeGreaterThan(webVersion as number);
    expect(projection.cache.get('api')?.version).toBe(apiVersion);

    // A change that does not alter the derived value keeps the version.
    const before = projection.cache.get('web')?.version;
    const changesBefore = changes.length;
    endpointStore.put('w3', { service: 'web', address: '10.0.0.33', ready: false });
    await clock.advanceUntil(() => endpoints.revision === endpointStore.revision);
    await clock.flush();
    expect(projection.cache.get('web')?.version).toBe(before);
    expect(changes.length).toBe(changesBefore);
    expect(projection.stats.derives).toBeGreaterThan(0);

    // An endpoint moving between services re-derives the old and the new one.
    derived.length = 0;
    endpointStore.put('w1', { service: 'api', address: '10.0.0.1', ready: true });
    await clock.advanceUntil(() => endpoints.revision === endpointStore.revision);
    await clock.flush();
    expect(derived.sort()).toEqual(['api', 'web']);
    expect(projection.cache.get('api')?.value.members).toHaveLength(2);

    // Deleting the service deletes the derived key.
    serviceStore.delete('web');
    await clock.advanceUntil(() => services.revision === serviceStore.revision);
    await clock.flush();
    expect(projection.cache.has('web')).toBe(false);
    expect(changes.at(-1)).toMatchObject({ type: 'deleted', item: { key: 'web' } });
  });

  it('is a ListWatch: a second Informer over it follows every change', async () => {
    const { clock, serviceStore, endpointStore, services, endpoints, projection } = setup();
    serviceStore.put('web', { port: 80 });
    endpointStore.put('w1', { service: 'web', address: '10.0.0.1', ready: true });
    const follower = new Informer(projection, { clock, name: 'follower' });
    stoppers.push(() => follower.stop());
    const log: string[] = [];
    follower.on('added', (i) => log.push(`added ${i.key} ${i.value.members.length}`));
    follower.on('updated', (i) => log.push(`updated ${i.key} ${i.value.members.length}`));
    follower.on('deleted', (i) => log.push(`deleted ${i.key}`));
    follower.start(); // lists only once the projection has synced
    projection.start();
    services.start();
    endpoints.start();
    await follower.waitForSync();
    endpointStore.put('w2', { service: 'web', address: '10.0.0.2', ready: true });
    serviceStore.put('api', { port: 81 });
    await clock.advanceUntil(() => follower.cache.has('api'));
    serviceStore.delete('web');
    await clock.advanceUntil(() => !follower.cache.has('web'));
    expect(log).toEqual(['added web 1', 'updated web 2', 'added api 0', 'deleted web']);
    expect(follower.revision).toBe(projection.revision);
  });

  it('reports a throwing derive, keeps the previous value and goes on', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore<number>();
    const input = new Informer(store, { clock });
    stoppers.push(() => input.stop());
    const projection = new Projection<number, { n: Informer<number> }>({
      inputs: { n: input },
      affects: { n: (i) => [i.key] },
      derive: (key, { n }) => {
        const v = n.get(key)?.value;
        if (v === 13) throw new Error('unlucky');
        return v === undefined ? undefined : v * 2;
      },
    });
    stoppers.push(() => projection.stop());
    const errors: NitroxError[] = [];
    projection.on('error', (e) => errors.push(e));
    store.put('a', 1);
    projection.start();
    input.start();
    await projection.waitForSync();
    store.put('a', 13);
    store.put('b', 2);
    await clock.advanceUntil(() => projection.cache.has('b'));
    expect(projection.cache.get('a')?.value).toBe(2);
    expect(errors[0]?.message).toContain('derive("a") failed: unlucky');
    expect(projection.stats.errors).toBe(1);
  });

  it('validates options eagerly', () => {
    const input = new Informer(new MemoryStore<number>());
    expect(
      () =>
        new Projection<number, { n: Informer<number> }>({
          inputs: { n: input },
          affects: {} as never,
          derive: () => 1,
        }),
    ).toThrow(ConfigError);
    expect(() => new Projection({ inputs: {}, affects: {}, derive: () => 1 })).toThrow(/inputs/);
  });
});

describe('Projection (property)', () => {
  it('always equals derive over the final inputs, and every emitted update is a real change', async () => {
    const op = fc.oneof(
      fc.record({ key: fc.constantFrom('i1', 'i2', 'i3', 'i4'), group: fc.constantFrom('g1', 'g2', 'g3'), n: fc.nat(2) }),
      fc.record({ key: fc.constantFrom('i1', 'i2', 'i3', 'i4') }),
      fc.constant('yield' as const),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const clock = new VirtualClock();
        const store = new MemoryStore<{ group: string; n: number }>({ historyLimit: 4 });
        const input = new Informer(store, { clock, indexes: { group: (i) => [i.value.group] } });
        const projection = new Projection<number, { items: Informer<{ group: string; n: number }> }>({
          inputs: { items: input },
          affects: { items: (i) => [i.value.group] },
          derive: (group, { items }) => {
            const members = items.byIndex('group', group);
            return members.length === 0 ? undefined : members.reduce((sum, i) => sum + i.value.n, 0);
          },
        });
        const bogus: string[] = [];
        projection.changes$.subscribe((c) => {
          if (c.type === 'updated' && c.previous?.value === c.item.value) bogus.push(c.item.key);
        });
        projection.start();
        input.start();
        try {
          for (const o of ops) {
            if (o === 'yield') await clock.flush();
            else if ('group' in o) store.put(o.key, { group: o.group, n: o.n });
            else store.delete(o.key);
          }
          await clock.advanceUntil(() => input.revision === store.revision, 600_000);
          await clock.flush();
          const expected = new Map<string, number>();
          for (const i of store.values()) expected.set(i.value.group, (expected.get(i.value.group) ?? 0) + i.value.n);
          expect(new Map([...projection.cache.values()].map((i) => [i.key, i.value]))).toEqual(expected);
          expect(bogus).toEqual([]);
        } finally {
          await input.stop();
          await projection.stop();
        }
      }),
      { numRuns: 100 },
    );
  });
});
