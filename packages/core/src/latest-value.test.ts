import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MalformedEventError } from './errors.js';
import { LatestValue } from './latest-value.js';

describe('LatestValue', () => {
  it('keeps only the newest pending offer', () => {
    const box = new LatestValue<string>();
    expect(box.offer('v1', 1)).toBe(true);
    expect(box.offer('v3', 3)).toBe(true);
    expect(box.offer('v2', 2)).toBe(false); // older than pending
    expect(box.tryTake()).toEqual({ value: 'v3', version: 3 });
    expect(box.tryTake()).toBeUndefined();
    expect(box.stats).toEqual({ offered: 3, replaced: 1, staleDropped: 1, taken: 1 });
  });

  it('drops offers older than or equal to the applied version', () => {
    const box = new LatestValue<string>();
    box.offer('v5', 5);
    box.markApplied(5);
    expect(box.pending).toBeUndefined();
    expect(box.offer('v5 again', 5)).toBe(false);
    expect(box.offer('v4', 4)).toBe(false);
    expect(box.offer('v6', 6)).toBe(true);
    expect(box.appliedVersion).toBe(5);
    expect(box.stats.staleDropped).toBe(3); // the pending v5 made obsolete by markApplied, then v5 and v4
  });

  it('a take served by an offer leaves no abort listener on a long-lived signal', async () => {
    const box = new LatestValue<number>();
    const run = new AbortController();
    for (let version = 1; version <= 20; version++) {
      const taking = box.take(run.signal);
      box.offer(version, version);
      expect((await taking).version).toBe(version);
    }
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    const waiting = box.take(run.signal);
    run.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });

  it('take waits for a value and is handed the next offer directly', async () => {
    const box = new LatestValue<number>();
    const taking = box.take();
    box.offer(42, 1);
    expect(await taking).toEqual({ value: 42, version: 1 });
    box.offer(43, 2);
    expect(await box.take()).toEqual({ value: 43, version: 2 });
    expect(box.stats.taken).toBe(2);
  });

  it('take rejects when its signal aborts, and the value goes to the next taker', async () => {
    const box = new LatestValue<number>();
    const abort = new AbortController();
    const first = box.take(abort.signal);
    abort.abort(new Error('stop'));
    await expect(first).rejects.toThrow('stop');
    await expect(box.take(abort.signal)).rejects.toThrow('stop');
    box.offer(1, 1);
    expect(box.pending?.version).toBe(1);
  });

  it('a slow consumer only ever applies increasing versions, and sees the last one', async () => {
    const box = new LatestValue<number>();
    const applied: number[] = [];
    const consumer = (async () => {
      for (;;) {
        const { version } = await box.take();
        applied.push(version);
        box.markApplied(version);
        if (version === 100) return;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let v = 1; v <= 100; v++) {
      box.offer(v, v);
      box.offer(v - 1, v - 1); // late redelivery
    }
    await consumer;
    expect(applied.at(-1)).toBe(100);
    expect([...applied].sort((a, b) => a - b)).toEqual(applied);
    expect(applied.length).toBeLessThan(100);
  });

  it('rejects a version that is not a number', () => {
    const box = new LatestValue<number>();
    expect(() => box.offer(1, Number.NaN)).toThrow(MalformedEventError);
  });
});
