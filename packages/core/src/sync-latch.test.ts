import { describe, expect, it } from 'vitest';
import { ShutdownError } from './errors.js';
import { SyncLatch } from './sync-latch.js';

describe('SyncLatch', () => {
  it('resolves waiters when it opens, and later waits at once', async () => {
    const latch = new SyncLatch();
    const waiting = latch.wait();
    expect(latch.isOpen).toBe(false);
    latch.open();
    await expect(waiting).resolves.toBeUndefined();
    await expect(latch.wait()).resolves.toBeUndefined();
  });

  it('rejects a waiter whose signal aborts without disturbing the others', async () => {
    const latch = new SyncLatch();
    const ac = new AbortController();
    const aborted = latch.wait(ac.signal);
    const other = latch.wait();
    ac.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    await expect(latch.wait(ac.signal)).rejects.toThrow('gave up');
    latch.open();
    await expect(other).resolves.toBeUndefined();
  });

  it('rejects pending waiters on reset and closes again', async () => {
    const latch = new SyncLatch();
    latch.open();
    latch.reset(new ShutdownError('stopped'));
    expect(latch.isOpen).toBe(false);
    const waiting = latch.wait();
    latch.rejectWaiters(new ShutdownError('stopped before sync'));
    await expect(waiting).rejects.toBeInstanceOf(ShutdownError);
    expect(latch.isOpen).toBe(false);
  });
});
