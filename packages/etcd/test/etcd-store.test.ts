/**
 * `EtcdStore` against a real single-node etcd: compare-and-swap by `mod_revision`, paged lists pinned to one
 * revision, values that do not decode skipped and counted, `deleted` events carrying the last stored value.
 */
import { ConflictError, type WatchEvent } from '@nitrox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore } from '../src/etcd-store.js';
import { EtcdCluster } from '../src/testing/etcd-cluster.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await EtcdCluster.start();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('EtcdStore', () => {
  it('writes with compare-and-swap on mod_revision and reports the stored version on conflict', async () => {
    const store = new EtcdStore<{ v: number }>({ endpoints: cluster.endpoints, prefix: '/cas/' });
    try {
      const a = await store.put('a', { v: 1 }, { ifVersion: 0 });
      expect(await store.get('a')).toEqual(a);
      const conflict = await store.put('a', { v: 2 }, { ifVersion: 0 }).catch((e: unknown) => e);
      expect(conflict).toBeInstanceOf(ConflictError);
      expect((conflict as ConflictError).actual).toBe(a.version);
      const b = await store.put('a', { v: 2 }, { ifVersion: a.version });
      expect(b.version).toBeGreaterThan(a.version);
      await expect(store.delete('a', { ifVersion: a.version })).rejects.toBeInstanceOf(ConflictError);
      expect(await store.delete('a', { ifVersion: b.version })).toEqual(b);
      expect(await store.delete('a')).toBeUndefined();
      expect(await store.get('a')).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it('lists a prefix in pages pinned to the revision of the first page', async () => {
    const store = new EtcdStore<number>({ endpoints: cluster.endpoints, prefix: '/paged/', pageSize: 3 });
    const writer = new EtcdStore<number>({ endpoints: cluster.endpoints, prefix: '/paged/' });
    try {
      for (let i = 0; i < 10; i++) await writer.put(`k${i}`, i);
      await writer.put('z-outside', 0).then(() => writer.delete('z-outside'));
      // A write between the pages must not show: every page is read at the first page's revision.
      const range = store.client.kv.range.bind(store.client.kv);
      let pages = 0;
      store.client.kv.range = async (req, options) => {
        if (pages++ === 1) await writer.put('k9', 99);
        return range(req, options);
      };
      const { revision, items } = await store.list();
      expect(pages).toBe(4);
      expect(items.map((i) => i.key)).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
      expect(items.find((i) => i.key === 'k9')?.value).toBe(9);
      expect(Number(revision)).toBe(Math.max(...items.map((i) => i.version)) + 2);
    } finally {
      store.close();
      writer.close();
    }
  });

  it('skips and counts values that do not decode; a deleted event carries the last stored value', async () => {
    const errors: Error[] = [];
    const store = new EtcdStore<{ v: number }>({ endpoints: cluster.endpoints, prefix: '/codec/', onMalformed: (e) => errors.push(e) });
    try {
      await store.put('good', { v: 1 });
      await store.client.put('/codec/bad').value('{not json');
      const { revision, items } = await store.list();
      expect(items.map((i) => i.key)).toEqual(['good']);
      expect(store.malformed).toBe(1);
      const abort = new AbortController();
      const events: WatchEvent<{ v: number }>[] = [];
      const watching = (async () => {
        for await (const e of store.watch(revision, abort.signal)) {
          events.push(e);
          if (e.type === 'deleted') break;
        }
      })();
      await store.client.put('/codec/bad').value('still not json');
      await store.delete('good');
      await watching;
      abort.abort();
      expect(events.map((e) => e.type)).toEqual(['bookmark', 'deleted']);
      expect(events[1]?.type === 'deleted' && events[1].item).toMatchObject({ key: 'good', value: { v: 1 } });
      expect(errors).toHaveLength(2);
    } finally {
      store.close();
    }
  });
});
