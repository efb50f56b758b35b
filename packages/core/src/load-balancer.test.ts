import { describe, expect, it } from 'vitest';
import { backendKey, normalizeBackendSet } from './load-balancer.js';

describe('load-balancer domain', () => {
  it('keys members by address and port, bracketing IPv6', () => {
    expect(backendKey({ address: '10.0.0.1', port: 80 })).toBe('10.0.0.1:80');
    expect(backendKey({ address: 'fd00::1', port: 443 })).toBe('[fd00::1]:443');
  });

  it('normalizes: de-duplicates, sorts, keeps the last weight', () => {
    const a = normalizeBackendSet({
      name: 'web',
      members: [
        { address: '10.0.0.2', port: 80 },
        { address: '10.0.0.1', port: 80, weight: 1 },
        { address: '10.0.0.1', port: 80, weight: 3 },
      ],
    });
    expect(a).toEqual({
      name: 'web',
      members: [
        { address: '10.0.0.1', port: 80, weight: 3 },
        { address: '10.0.0.2', port: 80 },
      ],
    });
    const b = normalizeBackendSet({ name: 'web', members: [...a.members].reverse() });
    expect(b).toEqual(a);
  });
});
