import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { ConfigError } from './errors.js';
import { exponentialBackoff } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

function drain<K>(queue: WorkQueue<K>): K[] {
  const keys: K[] = [];
  for (let key = queue.tryGet(); key !== undefined; key = queue.tryGet()) {
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

describe('WorkQueue', () => {
  it('de-duplicates waiting keys and hands them out in FIFO order', () => {
    const queue = new WorkQueue<string>();
    for (const key of ['a', 'b', 'a', 'c', 'b']) queue.add(key);
    expect(queue.length).toBe(3);
    expect(drain(queue)).toEqual(['a', 'b', 'c']);
    expect(queue.length).toBe(0);
    expect(queue.processing).toBe(0);
  });

  it('never hands a key to two workers, and processes a key added meanwhile once more after done', async () => {
    const queue = new WorkQueue<string>();
    queue.add('a');
    const first = await queue.get();
    expect(first).toBe('a');
    queue.add('a');
    queue.add('a');
    expect(queue.tryGet()).toBeUndefined(); // 'a' is being processed
    expect(queue.length).toBe(0);
    queue.done('a');
    expect(queue.length).toBe(1);
    expect(queue.tryGet()).toBe('a');
    queue.done('a');
    expect(queue.tryGet()).toBeUndefined();
    expect(queue.processing).toBe(0);
  });

  it('hands a new key straight to a waiting consumer, and a re-added key after done', async () => {
    const clock = new VirtualClock();
    const queue = new WorkQueue<string>({ clock });
    const waiting = queue.get();
    queue.add('a');
    expect(queue.processing).toBe(1);
    expect(await waiting).toBe('a');
    const next = queue.get();
    queue.add('a'); // while processing
    expect(queue.processing).toBe(1);
    queue.done('a');
    expect(await next).toBe('a');
    expect(clock.pendingTimers).toBe(0); // no timers involved
  });

  it('with several concurrent workers a key is never processed twice at once', async () => {
    const clock = new VirtualClock();
    const queue = new WorkQueue<number>({ clock });
    const active = new Set<number>();
    let overlaps = 0;
    let processed = 0;
    const worker = async (): Promise<void> => {
      for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
        if (active.has(key)) overlaps++;
        active.add(key);
        await clock.flush();
        active.delete(key);
        processed++;
        queue.done(key);
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    for (let round = 0; round < 20; round++) {
      for (let key = 0; key < 5; key++) queue.add(key);
      await Promise.resolve();
    }
    await clock.flush();
    await queue.shutDown({ drain: true });
    await Promise.all(workers);
    expect(overlaps).toBe(0);
    expect(processed).toBeGreaterThanOrEqual(5);
    expect(queue.length).toBe(0);
  });

  it('addAfter delays a key and keeps the earliest due time for it', async () => {
    const clock = new VirtualClock();
    const queue = new WorkQueue<string>({ clock });
    queue.addAfter('a', 100);
    queue.addAfter('a', 50);
    queue.addAfter('a', 200);
    queue.addAfter('b', 75);
    queue.addAfter('c', 0); // immediately
    expect(queue.delayed).toBe(2);
    expect(drain(queue)).toEqual(['c']);
    await clock.advance(49);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(drain(queue)).toEqual(['a']);
    await clock.advance(25);
    expect(drain(queue)).toEqual(['b']);
    await clock.advance(1_000);
    expect(queue.length).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('addRateLimited backs off per key; forget resets numRequeues', async () => {
    const clock = new VirtualClock();
    const queue = new WorkQueue<string>({ clock, rateLimiter: exponentialBackoff({ baseMs: 10, maxMs: 1_000 }) });
    queue.addRateLimited('a');
    expect(queue.numRequeues('a')).toBe(1);
    await clock.advance(10);
    expect(drain(queue)).toEqual(['a']);
    queue.addRateLimited('a');
    await clock.advance(19);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(drain(queue)).toEqual(['a']);
    expect(queue.numRequeues('a')).toBe(2);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
  });

  it('serves the low lane at least lowPriorityShare of gets while both lanes have work', () => {
    const queue = new WorkQueue<string>({ lowPriorityShare: 0.25 });
    for (let i = 0; i < 100; i++) queue.add(`low${i}`, { priority: 'low' });
    const served: string[] = [];
    // Live changes keep coming: every get sees fresh high-priority work.
    for (let i = 0; i < 80; i++) {
      queue.add(`high${i}`);
      const key = queue.tryGet() as string;
      served.push(key);
      queue.done(key);
    }
    const lows = served.filter((k) => k.startsWith('low')).length;
    expect(lows).toBe(20); // exactly a quarter: resync is not starved
    expect(served.slice(0, 4)).toEqual(['high0', 'high1', 'high2', 'low0']); // and high is not starved either
  });

  it('serves the only lane with work, whatever the share', () => {
    const queue = new WorkQueue<string>({ lowPriorityShare: 0.1 });
    queue.add('l1', { priority: 'low' });
    queue.add('l2', { priority: 'low' });
    expect(drain(queue)).toEqual(['l1', 'l2']);
  });

  it('a high add promotes a waiting low key; a low add never demotes', () => {
    const queue = new WorkQueue<string>({ lowPriorityShare: 0.5 });
    for (const key of ['l1', 'l2', 'l3']) queue.add(key, { priority: 'low' });
    queue.add('h1');
    queue.add('l3'); // promote
    queue.add('h1', { priority: 'low' }); // stays high
    expect(queue.length).toBe(4);
    expect(drain(queue)).toEqual(['h1', 'l1', 'l3', 'l2']);
    // A stale low entry of a promoted key never yields a second hand-out.
    queue.add('x', { priority: 'low' });
    queue.add('x');
    expect(drain(queue)).toEqual(['x']);
  });

  it('a key re-added while processing waits again in the higher of the lanes it was added with', () => {
    const queue = new WorkQueue<string>({ lowPriorityShare: 0.5 });
    queue.add('a', { priority: 'low' });
    expect(queue.tryGet()).toBe('a');
    queue.add('a', { priority: 'low' });
    queue.add('a');
    queue.add('b', { priority: 'low' });
    queue.done('a');
    queue.add('c');
    // 'a' re-queued in high: high holds a, c; low holds b. Share 0.5 alternates when both have work.
    expect(drain(queue)).toEqual(['a', 'b', 'c']);
  });

  it('shutDown ignores new adds, cancels delayed ones, hands out what waits, then undefined', async () => {
    const clock = new VirtualClock();
    const queue = new WorkQueue<string>({ clock });
    queue.add('a');
    queue.addAfter('late', 10);
    await queue.shutDown();
    expect(queue.shuttingDown).toBe(true);
    queue.add('b');
    queue.addRateLimited('c');
    expect(clock.pendingTimers).toBe(0);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBeUndefined();
  });

  it('shutDown resolves waiting consumers with undefined', async () => {
    const queue = new WorkQueue<string>();
    const waiting = [queue.get(), queue.get()];
    await queue.shutDown();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
  });

  it('shutDown({ drain: true }) waits for in-flight done() calls', async () => {
    const clock = new VirtualClock();
    const queue = new WorkQueue<string>({ clock });
    queue.add('a');
    queue.add('b');
    const a = queue.tryGet() as string;
    const b = queue.tryGet() as string;
    let drained = false;
    const shutting = queue.shutDown({ drain: true }).then(() => {
      drained = true;
    });
    await clock.flush();
    expect(drained).toBe(false);
    queue.done(a);
    await clock.flush();
    expect(drained).toBe(false);
    queue.done(b);
    await shutting;
    expect(drained).toBe(true);
    expect(await queue.get()).toBeUndefined();
  });

  it('after shutDown, drains a key added again while it was processed: a waiting consumer gets it', async () => {
    const queue = new WorkQueue<string>();
    queue.add('a');
    queue.add('b');
    expect(queue.tryGet()).toBe('a');
    queue.add('a'); // while 'a' is processed
    expect(await queue.get()).toBe('b');
    const next = queue.get(); // nothing waits now, but 'a' will after its done()
    let drained = false;
    const shutting = queue.shutDown({ drain: true }).then(() => {
      drained = true;
    });
    queue.done('b');
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    queue.done('a');
    expect(await next).toBe('a'); // handed out again, not left behind with no consumer
    expect(drained).toBe(false);
    queue.done('a');
    await shutting;
    expect(drained).toBe(true);
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('after shutDown, a tryGet consumer gets the re-added key back, and drain waits for it', async () => {
    const queue = new WorkQueue<string>();
    queue.add('a');
    expect(queue.tryGet()).toBe('a');
    queue.add('a');
    let drained = false;
    const shutting = queue.shutDown({ drain: true }).then(() => {
      drained = true;
    });
    queue.add('late'); // ignored: after the shutdown
    queue.done('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    expect(queue.length).toBe(1);
    expect(queue.tryGet()).toBe('a');
    expect(queue.tryGet()).toBeUndefined();
    queue.done('a');
    await shutting;
    expect(drained).toBe(true);
    expect(await queue.get()).toBeUndefined();
  });

  it('ignores done() of a key that is not being processed', () => {
    const queue = new WorkQueue<string>();
    queue.add('a');
    queue.done('a');
    queue.done('zzz');
    queue.done(undefined as unknown as string);
    expect(queue.length).toBe(1);
    expect(queue.processing).toBe(0);
  });

  it('rejects a lowPriorityShare outside (0, 1)', () => {
    expect(() => new WorkQueue({ lowPriorityShare: 0 })).toThrow(ConfigError);
    expect(() => new WorkQueue({ lowPriorityShare: 1 })).toThrow(/lowPriorityShare/);
  });
});

describe('WorkQueue (property)', () => {
  it('keeps client-go guarantees under any interleaving of adds, gets and dones', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), key: fc.integer({ min: 0, max: 5 }), low: fc.boolean() }),
      fc.record({ kind: fc.constant('get' as const) }),
      fc.record({ kind: fc.constant('done' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('strayDone' as const), key: fc.integer({ min: 0, max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const queue = new WorkQueue<number>({ lowPriorityShare: 0.3 });
        const processing: number[] = [];
        const pendingAfter = new Set<number>(); // added since last handed out
        for (const o of ops) {
          if (o.kind === 'add') {
            queue.add(o.key, o.low ? { priority: 'low' } : {});
            pendingAfter.add(o.key);
          } else if (o.kind === 'get') {
            const key = queue.tryGet();
            if (key !== undefined) {
              expect(processing).not.toContain(key);
              expect(pendingAfter.has(key)).toBe(true); // only keys added since they were last handed out
              processing.push(key);
              pendingAfter.delete(key);
            } else {
              expect([...pendingAfter].every((k) => processing.includes(k))).toBe(true);
            }
          } else if (o.kind === 'strayDone') {
            // done() of a key that is not being processed is ignored
            if (!processing.includes(o.key)) queue.done(o.key);
          } else if (processing.length > 0) {
            const [key] = processing.splice(o.pick % processing.length, 1);
            queue.done(key as number);
          }
          expect(queue.length).toBe([...pendingAfter].filter((k) => !processing.includes(k)).length);
          expect(queue.processing).toBe(processing.length);
        }
        for (const key of processing) queue.done(key);
        const rest = new Set<number>();
        for (let key = queue.tryGet(); key !== undefined; key = queue.tryGet()) {
          expect(rest.has(key)).toBe(false);
          expect(pendingAfter.has(key)).toBe(true);
          rest.add(key);
          queue.done(key);
        }
        // Every key added after it was last handed out is processed once more, and nothing else waits.
        for (const key of pendingAfter) expect(rest.has(key)).toBe(true);
        expect(queue.length).toBe(0);
        expect(queue.processing).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
