import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { ConfigError } from './errors.js';
import { RetryBackoff, retryBackoffDefaults } from './retry-backoff.js';

describe('RetryBackoff', () => {
  it('grows exponentially from initialMs to maxMs with client-go defaults', () => {
    const backoff = new RetryBackoff({ random: () => 0, clock: new VirtualClock() });
    const delays = Array.from({ length: 9 }, () => backoff.next());
    expect(delays).toEqual([800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 30_000]);
    expect(retryBackoffDefaults).toMatchObject({ initialMs: 800, maxMs: 30_000, factor: 2, jitter: 1, resetAfterMs: 0 });
  });

  it('adds up to jitter * delay of random spread', () => {
    const backoff = new RetryBackoff({ random: () => 0.5, clock: new VirtualClock() });
    expect(backoff.next()).toBe(1200);
    expect(backoff.next()).toBe(2400);
    const high = new RetryBackoff({ random: () => 0.999, jitter: 0.1, initialMs: 1000, clock: new VirtualClock() });
    const d = high.next();
    expect(d).toBeGreaterThan(1000);
    expect(d).toBeLessThan(1100);
  });

  it('counts consecutive failures: a success starts over at initialMs', () => {
    const backoff = new RetryBackoff({ random: () => 0, clock: new VirtualClock() });
    backoff.next();
    backoff.next();
    expect(backoff.next()).toBe(3200);
    backoff.succeeded();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(800);
  });

  it('with resetAfterMs, resets only after a healthy period that long', async () => {
    const clock = new VirtualClock();
    const backoff = new RetryBackoff({ random: () => 0, clock, resetAfterMs: 1000 });
    backoff.next();
    backoff.next();
    backoff.succeeded();
    await clock.advance(999);
    expect(backoff.next()).toBe(3200); // healthy too briefly: keep growing
    backoff.succeeded();
    await clock.advance(1000);
    expect(backoff.next()).toBe(800);
    expect(backoff.attempts).toBe(1);
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(800);
  });

  it('never gives up', () => {
    const backoff = new RetryBackoff({ random: () => 0, clock: new VirtualClock() });
    for (let i = 0; i < 10_000; i++) backoff.next();
    expect(backoff.next()).toBe(30_000);
  });

  it('validates options eagerly', () => {
    expect(() => new RetryBackoff({ initialMs: -1 })).toThrow(ConfigError);
    expect(() => new RetryBackoff({ factor: 0.5 })).toThrow(/factor/);
    expect(() => new RetryBackoff({ initialMs: 10, maxMs: 5 })).toThrow(/maxMs/);
    expect(() => new RetryBackoff({ jitter: Number.NaN })).toThrow(/jitter/);
  });
});
