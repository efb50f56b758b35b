import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { ConfigError } from './errors.js';
import {
  defaultControllerRateLimiter,
  exponentialBackoff,
  maxOf,
  type RateLimiter,
  tokenBucket,
} from './rate-limiter.js';

describe('exponentialBackoff', () => {
  it('doubles per failure of a key, caps at maxMs, and resets on forget', () => {
    const limiter = exponentialBackoff({ baseMs: 5, maxMs: 100 });
    expect([1, 2, 3, 4, 5, 6].map(() => limiter.when('a'))).toEqual([5, 10, 20, 40, 80, 100]);
    expect(limiter.numRequeues('a')).toBe(6);
    expect(limiter.when('b')).toBe(5);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
  });

  it('stays at maxMs after very many failures instead of overflowing', () => {
    const limiter = exponentialBackoff({ baseMs: 5, maxMs: 1_000_000 });
    let last = 0;
    for (let i = 0; i < 2_000; i++) last = limiter.when('k');
    expect(last).toBe(1_000_000);
  });

  it('rejects bad options with a ConfigError naming the option', () => {
    expect(() => exponentialBackoff({ baseMs: 0 })).toThrow(/baseMs/);
    expect(() => exponentialBackoff({ baseMs: 10, maxMs: 5 })).toThrow(ConfigError);
  });
});

describe('tokenBucket', () => {
  it('lets a burst through, then spaces requests at qps, refilling with clock time', async () => {
    const clock = new VirtualClock();
    const limiter = tokenBucket({ qps: 10, burst: 3, clock });
    expect([limiter.when('a'), limiter.when('b'), limiter.when('c')]).toEqual([0, 0, 0]);
    expect(limiter.when('d')).toBeCloseTo(100);
    expect(limiter.when('e')).toBeCloseTo(200);
    await clock.advance(1_000); // refills to the burst, not beyond
    expect([limiter.when('a'), limiter.when('a'), limiter.when('a')]).toEqual([0, 0, 0]);
    expect(limiter.when('a')).toBeCloseTo(100);
    expect(limiter.numRequeues('a')).toBe(0);
  });

  it('rejects a non-positive qps', () => {
    expect(() => tokenBucket({ qps: 0, burst: 1 })).toThrow(/qps/);
    expect(() => tokenBucket({ qps: 1, burst: 0 })).toThrow(/burst/);
  });
});

describe('maxOf', () => {
  it('waits as long as the strictest limiter and forgets in all', () => {
    const clock = new VirtualClock();
    const limiter: RateLimiter<string> = maxOf(
      exponentialBackoff({ baseMs: 1, maxMs: 1_000 }),
      tokenBucket({ qps: 1, burst: 1, clock }),
    );
    expect(limiter.when('a')).toBe(1); // backoff 1, bucket 0
    expect(limiter.when('a')).toBeCloseTo(1_000); // bucket empty: 1 s
    expect(limiter.numRequeues('a')).toBe(2);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(() => maxOf()).toThrow(ConfigError);
  });
});

describe('defaultControllerRateLimiter', () => {
  it('backs off per key from 5 ms up to 1000 s, with 100 free retries then 10 per second overall', () => {
    const clock = new VirtualClock();
    const limiter = defaultControllerRateLimiter({ clock });
    expect(limiter.when('x')).toBe(5);
    expect(limiter.when('x')).toBe(10);
    for (let i = 0; i < 98; i++) expect(limiter.when(`k${i}`)).toBe(5);
    expect(limiter.when('y')).toBeCloseTo(100); // bucket exhausted after 100
    for (let i = 0; i < 40; i++) limiter.when('z');
    expect(limiter.when('z')).toBe(1_000_000);
  });
});
