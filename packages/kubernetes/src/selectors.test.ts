import { describe, expect, it } from 'vitest';
import { parseSelector } from './selectors.js';

describe('parseSelector', () => {
  it('matches equality, inequality, set and existence terms', () => {
    const s = parseSelector('app=web, tier!=db,env in (prod, staging),owner,!legacy');
    expect(s({ app: 'web', env: 'prod', owner: 'x' })).toBe(true);
    expect(s({ app: 'web', env: 'dev', owner: 'x' })).toBe(false);
    expect(s({ app: 'web', env: 'prod', owner: 'x', tier: 'db' })).toBe(false);
    expect(s({ app: 'web', env: 'prod', owner: 'x', legacy: '1' })).toBe(false);
    expect(s({ app: 'web', env: 'prod' })).toBe(false);
    expect(parseSelector('a notin (x)')({})).toBe(true);
    expect(parseSelector('a==b')({ a: 'b' })).toBe(true);
  });

  it('matches everything when empty and names the option on a parse error', () => {
    expect(parseSelector(undefined)(undefined)).toBe(true);
    expect(parseSelector('  ')({ a: 'b' })).toBe(true);
    expect(() => parseSelector('a in b', 'services.selector')).toThrow(/services\.selector/);
  });
});
