import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps FIFO order across wrap-around and growth', () => {
    const ring = new RingBuffer<number>(4);
    const model: number[] = [];
    let next = 0;
    for (let step = 0; step < 1_000; step++) {
      // Push more than shift on average so the buffer wraps and grows several times.
      if (step % 3 !== 2) {
        ring.push(next);
        model.push(next++);
      } else {
        expect(ring.shift()).toBe(model.shift());
      }
      expect(ring.length).toBe(model.length);
    }
    while (model.length > 0) expect(ring.shift()).toBe(model.shift());
    expect(ring.shift()).toBeUndefined();
    ring.push(7);
    ring.clear();
    expect(ring.length).toBe(0);
  });
});
