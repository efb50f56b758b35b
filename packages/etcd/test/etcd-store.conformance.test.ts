/**
 * The core's ListWatch conformance kit against `EtcdStore` over a real single-node etcd (progress notifications
 * every 500 ms, so quiet watches get bookmarks). One cluster serves every check; each check gets its own prefix.
 */
import { describeListWatchConformance } from '@nitrox/core/conformance';
import { afterAll, beforeAll } from 'vitest';
import { EtcdStore } from '../src/etcd-store.js';
import { EtcdCluster, freePort } from '../src/testing/etcd-cluster.js';

let cluster: EtcdCluster;
let n = 0;

beforeAll(async () => {
  cluster = await EtcdCluster.start();
});
afterAll(async () => {
  await cluster?.stop();
});

describeListWatchConformance<{ n: number }>('EtcdStore', {
  bookmarks: true,
  async setup() {
    const store = new EtcdStore<{ n: number }>({ endpoints: cluster.endpoints, prefix: `/conformance/${++n}/` });
    return {
      listWatch: store,
      create: async (name) => void (await store.put(name, { n: 0 })),
      update: async (name) => void (await store.put(name, { n: 1 })),
      remove: async (name) => void (await store.delete(name)),
      async expire() {
        await store.put('filler', { n: 0 });
        const last = await store.put('filler', { n: 1 });
        await cluster.compact(last.version);
      },
      teardown: async () => store.close(),
    };
  },
  failing() {
    return new EtcdStore<{ n: number }>({ endpoints: [`http://127.0.0.1:${closedPort}`], prefix: '/failing/' });
  },
});

let closedPort = 1;
beforeAll(async () => {
  closedPort = await freePort();
});
