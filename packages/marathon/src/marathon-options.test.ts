import { ConfigError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { resolveConnection } from './marathon-options.js';

describe('resolveConnection', () => {
  it('moves URL credentials into a basic Authorization header and out of the URL', () => {
    const c = resolveConnection({ url: 'http://alice:s%3Dcret@marathon.mesos:8080/service/marathon/' });
    expect(c.baseUrls).toEqual(['http://marathon.mesos:8080/service/marathon']);
    expect(c.headers.authorization).toBe(`Basic ${Buffer.from('alice:s=cret').toString('base64')}`);
    expect(JSON.stringify({ ...c, headers: undefined })).not.toContain('cret');
  });

  it('accepts several URLs (HA masters), all stripped of credentials', () => {
    const c = resolveConnection({ url: ['http://m1:8080/', 'http://bob:pw@m2:8080'] });
    expect(c.baseUrls).toEqual(['http://m1:8080', 'http://m2:8080']);
    expect(c.headers.authorization).toBe(`Basic ${Buffer.from('bob:pw').toString('base64')}`);
    expect(() => resolveConnection({ url: [] })).toThrow(/url/);
    expect(() => resolveConnection({ url: ['http://m1', 'gopher://m2'] })).toThrow(/url\[1\]/);
  });

  it('sends a DC/OS token or a bearer token', () => {
    expect(resolveConnection({ url: 'http://m', auth: { token: 'abc' } }).headers.authorization).toBe('token=abc');
    expect(resolveConnection({ url: 'http://m', auth: { token: 'abc', type: 'bearer' } }).headers.authorization).toBe('Bearer abc');
  });

  it('prefers explicit auth over URL userinfo', () => {
    const c = resolveConnection({ url: 'http://u:p@m', auth: { username: 'x', password: 'y' } });
    expect(c.headers.authorization).toBe(`Basic ${Buffer.from('x:y').toString('base64')}`);
  });

  it('rejects bad options naming them, without echoing secrets', () => {
    expect(() => resolveConnection({ url: 'ftp://m' })).toThrow(ConfigError);
    expect(() => resolveConnection({ url: 'not a url' })).toThrow(/url/);
    expect(() => resolveConnection({ url: 'http://m', requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/);
    expect(() => resolveConnection({ url: 'http://m', auth: { token: '' } })).toThrow(/auth\.token/);
    try {
      resolveConnection({ url: 'http://m', auth: { username: '', password: 'hunter2' } });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).path).toBe('auth.username');
      expect(String(error)).not.toContain('hunter2');
    }
  });
});
