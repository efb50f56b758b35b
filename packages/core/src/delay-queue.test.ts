import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { DelayQueue } from './delay-queue.js';

describe('DelayQueue', () => {
  it('releases keys in due order with one timer, keeping the earliest due time and the higher lane', async () => {
    const clock = new VirtualClock();
    const ready: string[] = [];
    const queue = new DelayQueue<string>(clock, (key, lane) => ready.push(`${key}:${lane}@${clock.now()}`));
    const dues = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 200) + 1);
    for (const [i, due] of dues.entries()) queue.schedule(`k${i}`, due * 10, 2);
    expect(clock.pendingTimers).toBe(1);
    queue.schedule('k0', 5, 1); // earlier and higher lane
    queue.schedule('k1', 100_000, 2); // later: ignored
    expect(queue.dueAt('k0')).toBe(5);
    await clock.advance(3_000);
    expect(ready).toHaveLength(200);
    expect(ready[0]).toBe('k0:1@5');
    const times = ready.map((r) => Number(r.split('@')[1]));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(queue.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('clear drops every key and the timer', async () => {
    const clock = new VirtualClock();
    const ready: string[] = [];
    const queue = new DelayQueue<string>(clock, (key) => ready.push(key));
    queue.schedule('a', 10, 1);
    queue.clear();
    await clock.advance(100);
    expect(ready).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
