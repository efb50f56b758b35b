import { describe, expect, it } from 'vitest';
import { configPath, encodeName, formatParams, parseParams } from './nitro-query.js';

describe('NITRO query spelling', () => {
  it('encodes names twice, as the official clients do', () => {
    expect(encodeName('web app#1')).toBe('web%2520app%25231');
    expect(decodeURIComponent(decodeURIComponent(encodeName('a b/c')))).toBe('a b/c');
  });

  it('formats and parses args with values that contain separators', () => {
    const text = formatParams({ ip: 'fe80::1', port: 80, name: 'a,b', skip: undefined });
    expect(text).toBe('ip:fe80%3A%3A1,port:80,name:a%2Cb');
    expect(parseParams(text)).toEqual({ ip: 'fe80::1', port: '80', name: 'a,b' });
    expect(parseParams('ip:fe80::1,bad,:x,port:1')).toEqual({ ip: 'fe80::1', port: '1' });
  });

  it('builds config paths', () => {
    expect(configPath('servicegroup')).toBe('/nitro/v1/config/servicegroup');
    expect(configPath('lbvserver_servicegroup_binding', { name: 'vs 1', filter: { servicegroupname: 'sg' }, attrs: ['name'] })).toBe(
      '/nitro/v1/config/lbvserver_servicegroup_binding/vs%25201?filter=servicegroupname:sg&attrs=name',
    );
    expect(configPath('servicegroup', { action: 'enable' })).toBe('/nitro/v1/config/servicegroup?action=enable');
  });
});
