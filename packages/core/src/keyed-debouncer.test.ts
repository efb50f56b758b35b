import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { KeyedDebouncer } from './keyed-debouncer.js';

describe('KeyedDebouncer', () => {
  it('debounces each key on its own, bounded by maxWaitMs', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    const debouncer = new KeyedDebouncer<string>({
      waitMs: 100,
      maxWaitMs: 300,
      clock,
      onFire: (key) => fired.push(`${key}@${clock.now()}`),
    });
    debouncer.touch('quiet');
    for (let t = 0; t < 1_000; t += 50) {
      debouncer.touch('busy');
      await clock.advance(50);
    }
    await clock.advance(500);
    expect(fired.filter((f) => f.startsWith('quiet'))).toEqual(['quiet@100']);
    const busy = fired.filter((f) => f.startsWith('busy')).map((f) => Number(f.split('@')[1]));
    expect(busy.slice(0, 3)).toEqual([300, 600, 900]);
    expect(busy.at(-1)).toBe(1_050); // the tail of the stream, 100 ms after the last touch at 950
    expect(debouncer.size).toBe(0);
  });

  it('cancel, flush, flushAll and dispose', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    const debouncer = new KeyedDebouncer<string>({ waitMs: 100, clock, onFire: (key) => fired.push(key) });
    debouncer.touch('a');
    debouncer.touch('b');
    debouncer.touch('c');
    debouncer.cancel('b');
    expect(debouncer.has('b')).toBe(false);
    debouncer.flush('c');
    expect(fired).toEqual(['c']);
    debouncer.touch('d');
    debouncer.flushAll();
    expect(fired).toEqual(['c', 'a', 'd']);
    debouncer.touch('e');
    debouncer.dispose();
    debouncer.touch('f');
    await clock.advance(10_000);
    expect(fired).toEqual(['c', 'a', 'd']);
    expect(clock.pendingTimers).toBe(0);
  });
});
