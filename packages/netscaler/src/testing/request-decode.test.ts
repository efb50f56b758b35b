import { describe, expect, it } from 'vitest';
import { decodeName, parsePairs } from './request-decode.js';

describe('decodeName (names arrive encoded twice)', () => {
  it.each([
    ['sg%2Bweb', 'sg web'], // Go QueryEscape / Python quote_plus twice: space → + → %2B
    ['sg%2520web', 'sg web'], // encodeURIComponent / Ansible quote twice
    ['a%252Bb', 'a+b'], // a literal + survives either way
    ['50%2525', '50%'],
    ['plain', 'plain'],
    ['bad%zz', 'bad%zz'],
  ])('%s → %s', (segment, name) => {
    expect(decodeName(segment)).toBe(name);
  });
});

describe('parsePairs (args and filter)', () => {
  it('form-decodes values and keeps the first colon as the separator', () => {
    expect(parsePairs('servicegroupname:sg+web,ip:fe80%3A%3A1,port:80')).toEqual({ servicegroupname: 'sg web', ip: 'fe80::1', port: '80' });
    expect(parsePairs('servername:10.0.0.2,port:80,,junk')).toEqual({ servername: '10.0.0.2', port: '80' });
  });
});
