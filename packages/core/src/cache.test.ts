import { describe, expect, it } from 'vitest';
import { Cache } from './cache.js';
import { ConfigError } from './errors.js';
import type { Versioned } from './list-watch.js';

interface Pod {
  node: string;
  labels: string[];
}
const pod = (key: string, version: number, node: string, labels: string[] = []): Versioned<Pod> => ({
  key,
  version,
  value: { node, labels },
});

describe('Cache', () => {
  it('stores items by key and reports size, keys and values', () => {
    const cache = new Cache<Pod>();
    expect(cache.set(pod('a', 1, 'n1'))).toBeUndefined();
    expect(cache.set(pod('a', 2, 'n2'))?.version).toBe(1);
    cache.set(pod('b', 3, 'n1'));
    expect(cache.size).toBe(2);
    expect(cache.has('a')).toBe(true);
    expect(cache.get('a')?.value.node).toBe('n2');
    expect([...cache.keys()]).toEqual(['a', 'b']);
    expect([...cache.values()].map((i) => i.version)).toEqual([2, 3]);
    expect(cache.delete('a')?.version).toBe(2);
    expect(cache.delete('a')).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('keeps secondary indexes current through set, update and delete', () => {
    const cache = new Cache<Pod>({ indexes: { node: (i) => [i.value.node], label: (i) => i.value.labels } });
    expect(cache.indexNames()).toEqual(['node', 'label']);
    cache.set(pod('a', 1, 'n1', ['web', 'prod']));
    cache.set(pod('b', 2, 'n1', ['web']));
    expect(cache.byIndex('node', 'n1').map((i) => i.key)).toEqual(['a', 'b']);
    expect(cache.byIndex('label', 'prod').map((i) => i.key)).toEqual(['a']);
    cache.set(pod('a', 3, 'n2', ['web']));
    expect(cache.byIndex('node', 'n1').map((i) => i.key)).toEqual(['b']);
    expect(cache.byIndex('node', 'n2').map((i) => i.key)).toEqual(['a']);
    expect(cache.byIndex('label', 'prod')).toEqual([]);
    expect(cache.byIndex('label', 'web').map((i) => i.version)).toEqual([3, 2]);
    cache.delete('b');
    expect(cache.byIndex('node', 'n1')).toEqual([]);
    expect(cache.byIndex('label', 'web').map((i) => i.key)).toEqual(['a']);
    expect(() => cache.byIndex('zone', 'x')).toThrow(ConfigError);
  });

  it('mark and sweep removes exactly the keys not seen since beginMark', () => {
    const cache = new Cache<Pod>({ indexes: { node: (i) => [i.value.node] } });
    for (const k of ['a', 'b', 'c', 'd']) cache.set(pod(k, 1, 'n1'));
    cache.beginMark();
    expect(cache.mark('a')?.key).toBe('a');
    expect(cache.mark('zz')).toBeUndefined();
    cache.set(pod('c', 2, 'n1'));
    cache.set(pod('e', 3, 'n1'));
    const removed: string[] = [];
    expect(cache.sweep((i) => removed.push(i.key))).toBe(2);
    expect(removed).toEqual(['b', 'd']);
    expect([...cache.keys()]).toEqual(['a', 'c', 'e']);
    expect(cache.byIndex('node', 'n1').map((i) => i.key)).toEqual(['a', 'c', 'e']);
  });

  it('rejects an index that is not a function', () => {
    expect(() => new Cache<Pod>({ indexes: { bad: 3 as never } })).toThrow(/indexes\.bad/);
  });
});
