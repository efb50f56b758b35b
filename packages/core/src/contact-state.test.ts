import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { ContactState } from './contact-state.js';

describe('ContactState', () => {
  it('counts from start, reports each transition once, and nothing after stop', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const contact = new ContactState(clock, { lost: (e) => log.push(`lost ${e.message}`), regained: (ms) => log.push(`regained ${ms}`) });
    contact.lost(new Error('before start'));
    expect(contact.disconnectedSince).toBeUndefined();
    contact.start();
    expect(contact.disconnectedSince).toBe(0);
    await clock.advance(500);
    contact.regained();
    contact.regained();
    await clock.advance(1_000);
    contact.lost(new Error('reset'));
    await clock.advance(250);
    contact.lost(new Error('refused'));
    expect(contact.disconnectedSince).toBe(1_500);
    await clock.advance(250);
    contact.regained();
    contact.stop();
    contact.lost(new Error('after stop'));
    expect(contact.disconnectedSince).toBeUndefined();
    expect(log).toEqual(['regained 500', 'lost reset', 'regained 500']);
  });
});
