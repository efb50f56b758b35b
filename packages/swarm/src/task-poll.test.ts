import { describe, expect, it } from 'vitest';
import { maxDuty, TaskPollPacer } from './task-poll.js';

describe('TaskPollPacer', () => {
  it('polls every intervalMs while reads are cheap, slower when a read is costly, and backs off on failures', () => {
    const pacer = new TaskPollPacer({ intervalMs: 500, jitter: 0.1, random: () => 0.5 });
    expect(pacer.next(5, true)).toBe(500);
    expect(pacer.next(100, true)).toBe(100 / maxDuty); // a 100 ms read: 2 s period
    expect([1, 2, 3, 4, 5, 6].map(() => pacer.next(1, false))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(pacer.next(5, true)).toBe(500);
  });

  it('adds jitter within ±jitter', () => {
    expect(new TaskPollPacer({ intervalMs: 1_000, jitter: 0.1, random: () => 0 }).next(1, true)).toBe(900);
    expect(new TaskPollPacer({ intervalMs: 1_000, jitter: 0.1, random: () => 0.999_999 }).next(1, true)).toBe(1_100);
  });
});
