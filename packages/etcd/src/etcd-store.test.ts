import { ConfigError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { EtcdStore, prefixEnd } from './etcd-store.js';

describe('prefixEnd', () => {
  it('is the first key after every key that starts with the prefix (etcd clientv3 GetPrefixRangeEnd)', () => {
    expect(prefixEnd(Buffer.from('/a/')).toString()).toBe('/a0');
    expect([...prefixEnd(Buffer.from([0x61, 0xff, 0xff]))]).toEqual([0x62]);
    expect([...prefixEnd(Buffer.from([0xff]))]).toEqual([0]);
  });
});

describe('EtcdStore options', () => {
  it('rejects bad options naming the option, without I/O', () => {
    const bad = (options: object) => () => new EtcdStore({ endpoints: ['http://127.0.0.1:1'], prefix: '/p/', ...options });
    expect(bad({ prefix: '' })).toThrow(ConfigError);
    expect(bad({ endpoints: [] })).toThrow(/endpoints/);
    expect(bad({ pageSize: 0 })).toThrow(/pageSize/);
    expect(bad({ idleTimeoutMs: 0 })).toThrow(/idleTimeoutMs/);
    expect(bad({ requestTimeoutMs: -1 })).toThrow(/requestTimeoutMs/);
  });

  it('answers a watch from a revision no etcd issued with ExpiredError', async () => {
    const store = new EtcdStore({ endpoints: ['http://127.0.0.1:1'], prefix: '/p/' });
    const iterator = store.watch('not-a-revision', new AbortController().signal)[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'NITROX_EXPIRED' });
    store.close();
  });
});
