import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep, untilAborted, VirtualClock } from './clock.js';
import { ShutdownError } from './errors.js';

describe('VirtualClock', () => {
  it('fires timers in time order, ties in creation order, each at its own time', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
    await clock.advance(15);
    expect(seen).toEqual(['a@10']);
    await clock.advance(100);
    expect(seen).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(115);
  });

  it('lets async work scheduled by a timer settle before the next timer fires', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => order.push('microtask of first'));
    }, 1);
    clock.setTimeout(() => order.push('second'), 2);
    await clock.advance(5);
    expect(order).toEqual(['microtask of first', 'second']);
  });

  it('clears timers and reports the next one', async () => {
    const clock = new VirtualClock(100);
    const handle = clock.setTimeout(() => {
      throw new Error('must not fire');
    }, 10);
    clock.setTimeout(() => {}, 30);
    expect(clock.nextTimerAt()).toBe(110);
    clock.clearTimeout(handle);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextTimerAt()).toBe(130);
    await clock.advance(50);
    expect(clock.pendingTimers).toBe(0);
  });

  it('advanceSync fires due timers without awaiting', () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const tick = (): void => {
      seen.push(clock.now());
      if (seen.length < 5) clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    clock.advanceSync(1_000);
    expect(seen).toEqual([100, 200, 300, 400, 500]);
    expect(clock.now()).toBe(1_000);
  });

  it('advanceUntil stops as soon as the condition holds and fails past its limit', async () => {
    const clock = new VirtualClock();
    let done = false;
    clock.setTimeout(() => {
      done = true;
    }, 250);
    await clock.advanceUntil(() => done);
    expect(clock.now()).toBe(250);
    await expect(clock.advanceUntil(() => false, 1_000)).rejects.toThrow(/within 1000 ms/);
  });
});

describe('sleep', () => {
  it('resolves after the delay on the given clock', async () => {
    const clock = new VirtualClock();
    let resolved = false;
    const p = sleep(clock, 500).then(() => {
      resolved = true;
    });
    await clock.advance(499);
    expect(resolved).toBe(false);
    await clock.advance(1);
    await p;
    expect(resolved).toBe(true);
  });

  it('rejects with a ShutdownError when aborted without an Error reason, and cancels its timer', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const p = sleep(clock, 500, controller.signal);
    controller.abort('bye');
    await expect(p).rejects.toBeInstanceOf(ShutdownError);
    expect(clock.pendingTimers).toBe(0);
    await expect(sleep(clock, 1, controller.signal)).rejects.toBeInstanceOf(ShutdownError);
  });
});

describe('untilAborted', () => {
  it('settles with the promise and leaves no listener on a long-lived signal; rejects with the reason on abort', async () => {
    const long = new AbortController();
    for (let i = 0; i < 100; i++) expect(await untilAborted(Promise.resolve(i), long.signal)).toBe(i);
    expect(getEventListeners(long.signal, 'abort')).toHaveLength(0);
    const pending = untilAborted(new Promise<never>(() => {}), long.signal);
    long.abort(new Error('stopped'));
    await expect(pending).rejects.toThrow('stopped');
    await expect(untilAborted(Promise.resolve(1), long.signal)).rejects.toThrow('stopped');
  });
});
