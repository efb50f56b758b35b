import { describe, expect, it } from 'vitest';
import { rejectionOf } from './member-validation.js';

describe('rejectionOf', () => {
  it.each([
    ['10.0.0.1', undefined],
    ['fe80::1', undefined],
    ['web.internal', 'not-an-ip'],
    ['10.0.0', 'not-an-ip'],
    ['', 'not-an-ip'],
  ])('address %s → %s', (address, reason) => {
    expect(rejectionOf({ address, port: 80 }, 1)?.reason).toBe(reason);
  });

  it.each([
    [1, undefined],
    [100, undefined],
    [0, 'invalid-weight'],
    [101, 'invalid-weight'],
    [2.5, 'invalid-weight'],
    [Number.NaN, 'invalid-weight'],
  ])('weight %s → %s', (weight, reason) => {
    expect(rejectionOf({ address: '10.0.0.1', port: 80, weight }, 1)?.reason).toBe(reason);
  });

  it('uses the default weight when the member names none', () => {
    expect(rejectionOf({ address: '10.0.0.1', port: 80 }, 7)).toBeUndefined();
  });
});
