import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { coalesce, debounce } from './debounce.js';
import { ConfigError } from './errors.js';

describe('debounce', () => {
  it('fires once, waitMs after the last call of a burst, with the latest arguments', async () => {
    const clock = new VirtualClock();
    const fired: [number, string][] = [];
    const d = debounce((value: string) => fired.push([clock.now(), value]), { waitMs: 100, maxWaitMs: 1_000, clock });
    d.call('a');
    await clock.advance(50);
    d.call('b');
    expect(d.pending).toBe(true);
    await clock.advance(99);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([[150, 'b']]);
    expect(d.pending).toBe(false);
    await clock.advance(1_000);
    expect(fired).toHaveLength(1);
  });

  it('under a call every 10 ms for 10 s still fires about every maxWaitMs', async () => {
    const clock = new VirtualClock();
    const firedAt: number[] = [];
    const d = debounce(() => firedAt.push(clock.now()), { waitMs: 100, maxWaitMs: 500, clock });
    for (let t = 0; t < 10_000; t += 10) {
      d.call();
      await clock.advance(10);
    }
    await clock.advance(1_000);
    expect(firedAt.length).toBeGreaterThanOrEqual(19);
    expect(firedAt.length).toBeLessThanOrEqual(21);
    const gaps = firedAt.slice(1).map((t, i) => t - (firedAt[i] as number));
    expect(Math.max(firedAt[0] as number, ...gaps)).toBeLessThanOrEqual(500);
  });

  it('flush runs a pending call now; cancel drops it', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const d = debounce(() => calls++, { waitMs: 100, clock });
    d.flush();
    expect(calls).toBe(0);
    d.call();
    d.flush();
    expect(calls).toBe(1);
    d.call();
    d.cancel();
    await clock.advance(10_000);
    expect(calls).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('validates its options eagerly', () => {
    expect(() => debounce(() => {}, { waitMs: -1 })).toThrow(ConfigError);
    expect(() => debounce(() => {}, { waitMs: 100, maxWaitMs: 50 })).toThrow(/maxWaitMs/);
  });
});

describe('coalesce', () => {
  it('emits the latest value of each burst, bounded by maxWaitMs, and the pending one on completion', async () => {
    const clock = new VirtualClock();
    const input = new Subject<number>();
    const out: [number, number][] = [];
    let completed = false;
    input.pipe(coalesce({ waitMs: 100, maxWaitMs: 300, clock })).subscribe({
      next: (v) => out.push([clock.now(), v]),
      complete: () => {
        completed = true;
      },
    });
    input.next(1);
    input.next(2);
    await clock.advance(200);
    expect(out).toEqual([[100, 2]]);
    for (let i = 0; i < 10; i++) {
      input.next(10 + i);
      await clock.advance(50);
    }
    expect(out[1]).toEqual([500, 15]); // first of the burst at 200, forced out at 200 + 300
    input.next(99);
    input.complete();
    expect(out.at(-1)).toEqual([700, 99]);
    expect(completed).toBe(true);
  });

  it('passes errors through and drops the pending value', async () => {
    const clock = new VirtualClock();
    const input = new Subject<number>();
    const out: number[] = [];
    let error: unknown;
    input.pipe(coalesce({ waitMs: 10, clock })).subscribe({ next: (v) => out.push(v), error: (e) => (error = e) });
    input.next(1);
    input.error(new Error('boom'));
    await clock.advance(100);
    expect(out).toEqual([]);
    expect((error as Error).message).toBe('boom');
  });
});
