import { describe, expect, it } from 'vitest';
import type { SwarmService, SwarmTask } from './engine-types.js';
import { isSettled, SettleTracker } from './settle-tracker.js';

const timing = { settlePollMs: 250, fallbackPollMs: 2_000, settleTimeoutMs: 10_000 };

describe('SettleTracker', () => {
  it('reads steadily for ~1.5 s, then backs off to the fallback period', () => {
    const tracker = new SettleTracker(timing);
    expect(tracker.nextDelay()).toBeUndefined();
    tracker.observe('s', true, false, 0);
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      delays.push(tracker.nextDelay() as number);
      tracker.observe('s', true, false, i * 100);
    }
    expect(delays.slice(0, 6)).toEqual([250, 250, 250, 250, 250, 250]);
    expect(delays[6]).toBe(375);
    expect(delays.at(-1)).toBe(2_000);
  });

  it('releases a service after two settled reads in a row, when it is gone, or after the timeout', () => {
    const tracker = new SettleTracker(timing);
    tracker.observe('a', true, false, 0);
    tracker.observe('a', true, true, 1);
    tracker.observe('a', true, false, 2); // a paced rollout: settled between two tasks
    tracker.observe('a', true, true, 3);
    expect(tracker.has('a')).toBe(true);
    tracker.observe('a', true, true, 4);
    expect(tracker.has('a')).toBe(false);
    tracker.observe('b', true, false, 0);
    tracker.observe('b', false, true, 1);
    tracker.observe('c', true, false, 0);
    tracker.observe('c', true, false, 10_001);
    tracker.observe('d', true, true, 0); // settled and not followed: nothing to do
    expect(tracker.size).toBe(0);
  });

  it('isSettled: nothing starting and as many running as desired', () => {
    const service: SwarmService = { ServiceStatus: { DesiredTasks: 2 } };
    const run = (state: string): SwarmTask => ({ DesiredState: 'running', Status: { State: state } });
    expect(isSettled(service, [run('running'), run('running')])).toBe(true);
    expect(isSettled(service, [run('running'), run('starting')])).toBe(false);
    expect(isSettled(service, [run('running')])).toBe(false);
    expect(isSettled({}, [])).toBe(true);
  });
});
