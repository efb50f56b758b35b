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

  it('keeps one abort listener per signal however many waiters share it', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const sem = new Semaphore(1);
      const gate = deferred();
      const first = sem.run(() => gate.promise);
      const controller = new AbortController();
      const waiters = Array.from({ length: 50 }, (_, i) => sem.run(async () => i, controller.signal));
      expect(sem.waiting).toBe(50);
      gate.resolve();
      await first;
      expect(await Promise.all(waiters)).toHaveLength(50);
      const late = sem.run(async () => 'late', controller.signal);
      controller.abort(new Error('stop'));
      expect(await late).toBe('late');
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('rejects every waiter sharing a signal when it aborts', async () => {
    const sem = new Semaphore(1);
    const gate = deferred();
    const first = sem.run(() => gate.promise);
    const controller = new AbortController();
    const waiters = [1, 2, 3].map((i) => sem.run(async () => i, controller.signal));
    controller.abort(new Error('stop'));
    for (const w of waiters) await expect(w).rejects.toThrow('stop');
    expect(sem.waiting).toBe(0);
    gate.resolve();
    await first;
  });
});
