import { ConfigError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { compileSelector } from './app-selector.js';
import type { MarathonApp } from './marathon-types.js';

const apps: MarathonApp[] = [
  { id: '/prod/web', labels: { HAPROXY_GROUP: 'external', tier: 'front' } },
  { id: '/prod/db', labels: { HAPROXY_GROUP: 'internal' } },
  { id: '/dev/web', labels: { HAPROXY_GROUP: 'external,internal' } },
  { id: '/ops/all', labels: { HAPROXY_GROUP: '*' } },
  { id: '/bare' },
];

const pick = (selector: Parameters<typeof compileSelector>[0]): string[] => apps.filter(compileSelector(selector)).map((a) => a.id);

describe('compileSelector', () => {
  it('matches everything without criteria', () => {
    expect(pick(undefined)).toHaveLength(5);
    expect(pick({})).toHaveLength(5);
  });

  it('matches ids exactly or by RegExp', () => {
    expect(pick({ ids: ['/prod/web', /^\/dev\//] })).toEqual(['/prod/web', '/dev/web']);
  });

  it('matches groups by id prefix', () => {
    expect(pick({ groups: ['/prod'] })).toEqual(['/prod/web', '/prod/db']);
    expect(pick({ groups: ['prod/'] })).toEqual(['/prod/web', '/prod/db']);
    expect(pick({ groups: ['/pro'] })).toEqual([]);
  });

  it('matches labels by value or presence', () => {
    expect(pick({ labels: { tier: 'front' } })).toEqual(['/prod/web']);
    expect(pick({ labels: { HAPROXY_GROUP: true } })).toHaveLength(4);
  });

  it('matches ids by a RegExp with the g flag on every call', () => {
    const select = compileSelector({ ids: [/web/g] });
    expect([1, 2, 3].map(() => select({ id: '/prod/web' }))).toEqual([true, true, true]);
  });

  it("matches a marathon-lb group like its --group: comma lists, and '*' for every app", () => {
    // An app labelled '*' is not exposed on every load balancer (marathon-lb's has_group treats only the
    // load balancer's '*' as a wildcard).
    expect(pick({ group: 'external' })).toEqual(['/prod/web', '/dev/web']);
    expect(pick({ group: '*' })).toHaveLength(5);
    expect(compileSelector({ group: 'external' })({ id: '/odd', labels: { HAPROXY_GROUP: 42 as never } })).toBe(false);
    expect(pick({ group: 'internal', groups: ['/prod'] })).toEqual(['/prod/db']);
    const custom = compileSelector({ group: 'a', groupLabel: 'LB' });
    expect(custom({ id: '/x', labels: { LB: 'b, a' } })).toBe(true);
  });

  it('accepts a predicate', () => {
    expect(pick((a) => a.id.endsWith('web'))).toEqual(['/prod/web', '/dev/web']);
  });

  it('rejects bad criteria with ConfigError', () => {
    expect(() => compileSelector({ ids: 'x' as never })).toThrow(ConfigError);
    expect(() => compileSelector({ groups: [1] as never })).toThrow(/select\.groups/);
    expect(() => compileSelector({ group: '' })).toThrow(/select\.group/);
  });
});
