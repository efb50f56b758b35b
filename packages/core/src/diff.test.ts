import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diff } from './diff.js';
import type { Versioned } from './list-watch.js';

const v = <T>(key: string, version: number, value: T): Versioned<T> => ({ key, version, value });
const snapshot = <T>(...items: Versioned<T>[]): Map<string, Versioned<T>> => new Map(items.map((i) => [i.key, i]));

describe('diff', () => {
  it('reports added, updated and removed keys', () => {
    const prev = snapshot(v('a', 1, { n: 1 }), v('b', 2, { n: 2 }), v('c', 3, { n: 3 }));
    const next = snapshot(v('a', 1, { n: 1 }), v('b', 5, { n: 20 }), v('d', 6, { n: 4 }));
    const result = diff(prev, next);
    expect(result.added.map((i) => i.key)).toEqual(['d']);
    expect(result.updated).toEqual([v('b', 5, { n: 20 })]);
    expect(result.removed.map((i) => i.key)).toEqual(['c']);
  });

  it('equal versions short-circuit without comparing values', () => {
    let calls = 0;
    const equals = (): boolean => {
      calls++;
      return false;
    };
    const prev = snapshot(v('a', 1, 'x'));
    const next = snapshot(v('a', 1, 'different but same version'));
    expect(diff(prev, next, { equals }).updated).toEqual([]);
    expect(calls).toBe(0);
  });

  it('a version bump with a deep-equal value is not an update', () => {
    const prev = snapshot(v('a', 1, { m: [1, 2], s: 'x' }));
    const next = snapshot(v('a', 9, { m: [1, 2], s: 'x' }));
    expect(diff(prev, next)).toEqual({ added: [], updated: [], removed: [] });
  });

  it('uses options.equals for differing versions', () => {
    const prev = snapshot(v('a', 1, { n: 1, noise: 1 }));
    const next = snapshot(v('a', 2, { n: 1, noise: 2 }));
    expect(diff(prev, next).updated).toHaveLength(1);
    expect(diff(prev, next, { equals: (x, y) => x.n === y.n }).updated).toHaveLength(0);
  });

  it('agrees with a naive model when next is prev edited in place (same order, inserts, deletes, moves)', () => {
    const edit = fc.record({
      size: fc.nat(30),
      ops: fc.array(fc.tuple(fc.constantFrom('insert', 'delete', 'bump', 'touch', 'move'), fc.nat(40)), { maxLength: 12 }),
    });
    fc.assert(
      fc.property(edit, ({ size, ops }) => {
        const prevItems = Array.from({ length: size }, (_, i) => v(`k${i}`, i + 1, i % 4));
        const nextItems = prevItems.map((i) => ({ ...i }));
        let fresh = 0;
        for (const [op, at] of ops) {
          const i = nextItems.length === 0 ? 0 : at % nextItems.length;
          const target = nextItems[i];
          if (op === 'insert') nextItems.splice(i, 0, v(`new${fresh++}`, 1000 + fresh, 0));
          else if (target === undefined) continue;
          else if (op === 'delete') nextItems.splice(i, 1);
          else if (op === 'bump') nextItems[i] = v(target.key, target.version + 100, target.value + 1);
          else if (op === 'touch') nextItems[i] = v(target.key, target.version + 100, target.value);
          else nextItems.push(...nextItems.splice(i, 1));
        }
        const prev = snapshot(...prevItems);
        const next = snapshot(...nextItems);
        const r = diff(prev, next);
        const keysOf = (xs: Versioned<number>[]): string[] => xs.map((x) => x.key).sort();
        expect(keysOf(r.added)).toEqual([...next.keys()].filter((k) => !prev.has(k)).sort());
        expect(keysOf(r.removed)).toEqual([...prev.keys()].filter((k) => !next.has(k)).sort());
        const changed = nextItems.filter((n) => {
          const p = prev.get(n.key);
          return p !== undefined && p.value !== n.value;
        });
        expect(keysOf(r.updated)).toEqual(keysOf(changed));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with a naive model on random snapshots', () => {
    const snap = fc
      .dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.record({ version: fc.nat(3), value: fc.nat(2) }))
      .map((d) => new Map(Object.entries(d).map(([k, x]) => [k, v(k, x.version, x.value)])));
    fc.assert(
      fc.property(snap, snap, (prev, next) => {
        const r = diff(prev, next);
        const keysOf = (xs: Versioned<number>[]): string[] => xs.map((x) => x.key).sort();
        expect(keysOf(r.added)).toEqual([...next.keys()].filter((k) => !prev.has(k)).sort());
        expect(keysOf(r.removed)).toEqual([...prev.keys()].filter((k) => !next.has(k)).sort());
        const updated = [...next.values()].filter((n) => {
          const p = prev.get(n.key);
          return p !== undefined && p.version !== n.version && p.value !== n.value;
        });
        expect(keysOf(r.updated)).toEqual(keysOf(updated));
      }),
    );
  });
});
