import { describe, expect, it } from 'vitest';
import { checkAddress, checkCommand, checkName, checkPort, checkWeight, formatEndpoint } from './validation.js';

const hostile = ['be x', 'be;shutdown sessions server be/s', 'be\nset server be/s state maint', 'be\r', 'be\t', '', 'a/b', 'x'.repeat(65), 'é', 'be#', 'be\0'];

describe('line-protocol validation', () => {
  it.each(hostile)('refuses the name %j without retry', (name) => {
    expect(() => checkName('server', name)).toThrow(expect.objectContaining({ code: 'NITROX_SINK', retryable: false, peerCode: 'invalid-input' }));
  });
  it('accepts HAProxy identifiers', () => {
    expect(checkName('backend', 'be_web-1.a:b')).toBe('be_web-1.a:b');
  });
  it.each(['host.example', '10.0.0.1 ', '10.0.0.1;x', '10.0.0.300', 'fe80::1%eth0', '1.2.3.4\n'])('refuses the address %j', (a) => {
    expect(() => checkAddress(a)).toThrow(expect.objectContaining({ retryable: false }));
  });
  it('formats IPv4 and bracketed IPv6 endpoints', () => {
    expect(formatEndpoint('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(formatEndpoint('2001:db8::1', 443)).toBe('[2001:db8::1]:443');
  });
  it('refuses ports and weights out of range', () => {
    for (const p of [0, 65_536, 1.5, Number.NaN]) expect(() => checkPort(p)).toThrow();
    for (const w of [-1, 257, 2.5]) expect(() => checkWeight(w)).toThrow();
    expect(checkWeight(256)).toBe(256);
  });
  it('refuses a command line with a second command or line in it', () => {
    for (const c of ['show info;show stat', 'show info\nshow stat', ' show info', 'show\u0085info']) expect(() => checkCommand(c)).toThrow();
    expect(checkCommand('show servers state be')).toBe('show servers state be');
  });
});
