import { describe, expect, it } from 'vitest';
import { ConfigError, ConflictError, ExpiredError } from './errors.js';
import type { WatchEvent } from './list-watch.js';
import { MemoryStore } from './memory-store.js';

/** Collect `count` events from an iterator. */
async function take<T>(iterator: AsyncIterator<WatchEvent<T>>, count: number): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  while (out.length < count) {
    const r = await iterator.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

function open<T>(store: MemoryStore<T>, from: string, signal = new AbortController().signal): AsyncIterator<WatchEvent<T>> {
  return store.watch(from, signal)[Symbol.asyncIterator]();
}

describe('MemoryStore', () => {
  it('versions every write with the store revision, monotonic across keys', () => {
    const store = new MemoryStore<number>();
    expect(store.revision).toBe('0');
    const a = store.put('a', 1);
    const b = store.put('b', 2);
    const a2 = store.put('a', 3);
    expect([a.version, b.version, a2.version]).toEqual([1, 2, 3]);
    expect(store.revision).toBe('3');
    expect(store.get('a')).toEqual({ key: 'a', version: 3, value: 3 });
    expect(store.size).toBe(2);
  });

  it('compare-and-swap: ifVersion must match, 0 means absent', () => {
    const store = new MemoryStore<string>();
    const a = store.put('a', 'x', { ifVersion: 0 });
    expect(() => store.put('a', 'y', { ifVersion: 0 })).toThrow(ConflictError);
    const err = (() => {
      try {
        store.put('a', 'y', { ifVersion: a.version + 7 });
      } catch (e) {
        return e as ConflictError;
      }
      return undefined;
    })();
    expect(err).toMatchObject({ code: 'NITROX_CONFLICT', key: 'a', expected: 8, actual: 1 });
    expect(store.put('a', 'y', { ifVersion: a.version }).value).toBe('y');
    expect(() => store.delete('a', { ifVersion: 1 })).toThrow(ConflictError);
    expect(store.delete('a', { ifVersion: 2 })?.value).toBe('y');
    expect(store.delete('a')).toBeUndefined();
    expect(store.revision).toBe('3');
    expect(() => store.delete('zz', { ifVersion: 5 })).toThrow(ConflictError);
  });

  it('validates options and keys eagerly', () => {
    expect(() => new MemoryStore({ historyLimit: 0 })).toThrow(ConfigError);
    expect(() => new MemoryStore({ historyLimit: 1.5 })).toThrow(/historyLimit/);
    expect(() => new MemoryStore<number>().put('', 1)).toThrow(ConfigError);
  });

  it('lists a snapshot with its revision', async () => {
    const store = new MemoryStore<number>();
    store.put('a', 1);
    store.put('b', 2);
    const { revision, items } = await store.list(new AbortController().signal);
    store.put('c', 3);
    expect(revision).toBe('2');
    expect(items.map((i) => i.key)).toEqual(['a', 'b']);
  });

  it('watch delivers strictly after the revision, in order, then live', async () => {
    const store = new MemoryStore<number>();
    store.put('a', 1);
    store.put('b', 2);
    store.put('a', 3);
    const it = open(store, '1');
    const replay = await take(it, 2);
    expect(replay.map((e) => [e.type, e.revision])).toEqual([
      ['added', '2'],
      ['modified', '3'],
    ]);
    const pending = take(it, 2);
    store.delete('b');
    store.put('c', 4);
    const live = await pending;
    expect(live.map((e) => [e.type, e.revision])).toEqual([
      ['deleted', '4'],
      ['added', '5'],
    ]);
  });

  it('deleted events carry the last state of the item', async () => {
    const store = new MemoryStore<{ n: number }>();
    store.put('a', { n: 1 });
    store.put('a', { n: 2 });
    const it = open(store, store.revision);
    store.delete('a');
    const [event] = await take(it, 1);
    expect(event).toEqual({ type: 'deleted', revision: '3', item: { key: 'a', version: 2, value: { n: 2 } } });
  });

  it('answers a watch older than the bounded history with ExpiredError', async () => {
    const store = new MemoryStore<number>({ historyLimit: 3 });
    for (let i = 0; i < 5; i++) store.put(`k${i}`, i);
    await expect(take(open(store, '1'), 1)).rejects.toBeInstanceOf(ExpiredError);
    const ok = await take(open(store, '2'), 3);
    expect(ok.map((e) => e.revision)).toEqual(['3', '4', '5']);
    await expect(take(open(store, 'bogus'), 1)).rejects.toBeInstanceOf(ExpiredError);
  });

  it('answers a watch from a revision ahead of the store with ExpiredError (another store issued it)', async () => {
    const store = new MemoryStore<number>();
    store.put('a', 1);
    // Waiting until the store reached revision 9 would silently skip revisions 2..9.
    await expect(take(open(store, '9'), 1)).rejects.toBeInstanceOf(ExpiredError);
    store.put('b', 2);
    expect((await take(open(store, '1'), 1)).map((e) => e.revision)).toEqual(['2']);
  });

  it('a watcher that falls behind the history ends with ExpiredError', async () => {
    const store = new MemoryStore<number>({ historyLimit: 2 });
    const it = open(store, '0');
    store.put('a', 1);
    expect((await take(it, 1))[0]?.revision).toBe('1');
    for (let i = 0; i < 5; i++) store.put('a', i);
    await expect(take(it, 1)).rejects.toBeInstanceOf(ExpiredError);
  });

  it('expireHistory ends open watches and makes older revisions too old', async () => {
    const store = new MemoryStore<number>();
    store.put('a', 1);
    const it = open(store, store.revision);
    const pending = take(it, 1);
    store.expireHistory();
    await expect(pending).rejects.toBeInstanceOf(ExpiredError);
    await expect(take(open(store, '0'), 1)).rejects.toBeInstanceOf(ExpiredError);
    const fresh = open(store, store.revision);
    store.put('b', 2);
    expect((await take(fresh, 1))[0]?.revision).toBe('2');
  });

  it('aborting the signal ends a waiting watch with the abort reason', async () => {
    const store = new MemoryStore<number>();
    const ac = new AbortController();
    const pending = take(open(store, '0', ac.signal), 1);
    ac.abort(new Error('bye'));
    await expect(pending).rejects.toThrow('bye');
    await expect(store.list(ac.signal)).rejects.toThrow('bye');
  });

  it('serves several watchers from one history without copying per watcher', async () => {
    const store = new MemoryStore<number>({ historyLimit: 100 });
    const a = open(store, '0');
    const b = open(store, '0');
    const pa = take(a, 50);
    const pb = take(b, 50);
    for (let i = 0; i < 50; i++) store.put(`k${i % 7}`, i);
    const [ea, eb] = await Promise.all([pa, pb]);
    expect(ea.map((e) => e.revision)).toEqual(eb.map((e) => e.revision));
    expect(ea.at(-1)?.revision).toBe('50');
  });
});
