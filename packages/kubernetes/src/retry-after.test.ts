import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './retry-after.js';

describe('retryAfterMs', () => {
  it('reads delta-seconds on 429 and 5xx only', () => {
    expect(retryAfterMs(429, '2', 60_000)).toBe(2_000);
    expect(retryAfterMs(504, '1', 60_000)).toBe(1_000);
    expect(retryAfterMs(503, ['3', '9'], 60_000)).toBe(3_000);
    expect(retryAfterMs(410, '1', 60_000)).toBeUndefined();
    expect(retryAfterMs(401, '1', 60_000)).toBeUndefined();
    expect(retryAfterMs(500, undefined, 60_000)).toBeUndefined();
  });

  it('reads an HTTP date, clamps to the maximum and ignores garbage', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(retryAfterMs(429, 'Thu, 01 Jan 2026 00:00:05 GMT', 60_000, now)).toBe(5_000);
    expect(retryAfterMs(429, 'Wed, 31 Dec 2025 23:00:00 GMT', 60_000, now)).toBe(0);
    expect(retryAfterMs(429, '3600', 60_000)).toBe(60_000);
    expect(retryAfterMs(429, 'soon', 60_000)).toBeUndefined();
    expect(retryAfterMs(429, '-1', 60_000)).toBeUndefined();
  });
});
