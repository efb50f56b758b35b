import { ConfigError, VirtualClock } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { CachedHostResolver, HostResolutionError } from './host-resolver.js';

function fakeDns(table: Record<string, string[] | undefined>) {
  const asked: string[] = [];
  const lookup = async (host: string): Promise<string[]> => {
    asked.push(host);
    const answer = table[host];
    if (answer === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return { asked, lookup };
}

describe('CachedHostResolver', () => {
  it('resolves names (IPv4 first), passes IP literals through, and caches for ttlMs', async () => {
    const clock = new VirtualClock();
    const dns = fakeDns({ 'agent-1.example': ['fe80::1', '10.1.0.1'] });
    const r = new CachedHostResolver({ lookup: dns.lookup, clock, ttlMs: 60_000 });
    await r.prepare(['agent-1.example', '10.9.9.9', 'agent-1.example']);
    expect(r.address('agent-1.example')).toBe('10.1.0.1');
    expect(r.address('10.9.9.9')).toBe('10.9.9.9');
    await r.prepare(['agent-1.example']);
    expect(dns.asked).toEqual(['agent-1.example']);
    await clock.advance(60_000);
    await r.prepare(['agent-1.example']);
    expect(dns.asked).toEqual(['agent-1.example', 'agent-1.example']);
    expect(r.stats).toMatchObject({ lookups: 2, failures: 0, hits: 1 });
  });

  it('remembers failures for negativeTtlMs and reports them as HostResolutionError', async () => {
    const clock = new VirtualClock();
    const dns = fakeDns({});
    const r = new CachedHostResolver({ lookup: dns.lookup, clock, negativeTtlMs: 5_000 });
    await r.prepare(['ghost.example']);
    await r.prepare(['ghost.example']);
    expect(dns.asked).toHaveLength(1);
    const error = r.address('ghost.example', 'web.1');
    expect(error).toBeInstanceOf(HostResolutionError);
    expect(error).toMatchObject({ code: 'NITROX_SOURCE', host: 'ghost.example', taskId: 'web.1' });
    await clock.advance(5_000);
    await r.prepare(['ghost.example']);
    expect(dns.asked).toHaveLength(2);
  });

  it('keeps the last good address through a resolver outage', async () => {
    const clock = new VirtualClock();
    const table: Record<string, string[] | undefined> = { 'agent-2.example': ['10.1.0.2'] };
    const r = new CachedHostResolver({ lookup: fakeDns(table).lookup, clock, ttlMs: 1_000 });
    await r.prepare(['agent-2.example']);
    table['agent-2.example'] = undefined;
    await clock.advance(1_000);
    await r.prepare(['agent-2.example']);
    expect(r.address('agent-2.example')).toBe('10.1.0.2');
    expect(r.stats.failures).toBe(1);
  });

  it('is bounded (least recently refreshed first out) and an unprepared name is an error, not a name', async () => {
    const r = new CachedHostResolver({ lookup: fakeDns({ a: ['10.0.0.1'], b: ['10.0.0.2'] }).lookup, maxEntries: 1 });
    await r.prepare(['a', 'b']);
    expect(r.address('b')).toBe('10.0.0.2');
    expect(r.address('a')).toBeInstanceOf(HostResolutionError);
  });

  it('gives up on a lookup after timeoutMs and remembers it as failed', async () => {
    const clock = new VirtualClock();
    const r = new CachedHostResolver({ lookup: () => new Promise(() => undefined), clock, timeoutMs: 3_000 });
    const prepared = r.prepare(['slow.example']);
    await clock.advance(3_000);
    await prepared;
    expect(r.address('slow.example')).toBeInstanceOf(HostResolutionError);
    expect(r.stats.failures).toBe(1);
  });

  it('validates its options', () => {
    expect(() => new CachedHostResolver({ ttlMs: -1 })).toThrow(ConfigError);
    expect(() => new CachedHostResolver({ lookup: 'dns' as never })).toThrow(/resolver\.lookup/);
  });
});
