import { describe, expect, it } from 'vitest';
import type { SwarmNode } from './engine-types.js';
import { NodeGrace } from './node-grace.js';

const node = (state: string, addr = '10.0.0.2', availability = 'active'): SwarmNode => ({
  ID: 'n2',
  Spec: { Availability: availability },
  Status: { State: state, Addr: addr },
});

describe('NodeGrace', () => {
  it('an unknown node that was ready counts as ready until the grace ends, counted from when it turned unknown', () => {
    const grace = new NodeGrace(10_000);
    grace.update(new Map([['n2', node('ready')]]), 0);
    grace.update(new Map([['n2', node('unknown', '0.0.0.0')]]), 5_000);
    expect(grace.effective(14_999).get('n2')?.Status).toEqual({ State: 'ready', Addr: '10.0.0.2' });
    expect(grace.nextExpiry(6_000)).toBe(15_000);
    expect(grace.effective(15_000).get('n2')?.Status?.State).toBe('unknown');
    expect(grace.nextExpiry(15_000)).toBeUndefined();
  });

  it('no grace for a node never seen ready, for a down node, or with graceMs 0; availability stays current', () => {
    const fresh = new NodeGrace(10_000);
    fresh.update(new Map([['n2', node('unknown')]]), 0);
    expect(fresh.effective(1).get('n2')?.Status?.State).toBe('unknown');
    const down = new NodeGrace(10_000);
    down.update(new Map([['n2', node('ready')]]), 0);
    down.update(new Map([['n2', node('down')]]), 1);
    down.update(new Map([['n2', node('unknown')]]), 2);
    expect(down.effective(3).get('n2')?.Status?.State).toBe('unknown');
    const off = new NodeGrace(0);
    off.update(new Map([['n2', node('ready')]]), 0);
    off.update(new Map([['n2', node('unknown')]]), 1);
    expect(off.effective(2).get('n2')?.Status?.State).toBe('unknown');
    const drained = new NodeGrace(10_000);
    drained.update(new Map([['n2', node('ready')]]), 0);
    drained.update(new Map([['n2', node('unknown', '10.0.0.2', 'drain')]]), 1);
    expect(drained.effective(2).get('n2')?.Spec?.Availability).toBe('drain');
  });
});
