import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('Semaphore', () => {
  it('caps holders and serves waiters in order', async () => {
    const sem = new Semaphore(2);
    const order: number[] = [];
    const gates = [0, 1, 2, 3].map(() => deferred());
    const runs = gates.map((g, i) => sem.run(async () => { order.push(i); await g.promise; }));
    await Promise.resolve();
    expect(sem.active).toBe(2);
    expect(sem.waiting).toBe(2);
    gates[1]?.resolve();
    gates[0]?.resolve();
    gates[2]?.resolve();
    gates[3]?.resolve();
    await Promise.all(runs);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(sem.active).toBe(0);
  });

  it('drops a waiter whose signal aborts', async () => {
    const sem = new Semaphore(1);
    const gate = deferred();
    const first = sem.run(() => gate.promise);
    const controller = new AbortController();
    const second = sem.run(async () => 'ran', controller.signal);
    controller.abort(new Error('stop'));
    await expect(second).rejects.toThrow('stop');
    expect(sem.waiting).toBe(0);
    gate.resolve();
    await first;
  });
});
