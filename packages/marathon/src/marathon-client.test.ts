import { SourceError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { redirectTarget } from './marathon-client.js';

const from = 'https://standby.example:8443/v2/events?event_type=a';

describe('redirectTarget (the /v2/events redirect of a standby master)', () => {
  it('follows a relative or absolute http(s) Location, dropping userinfo', () => {
    expect(redirectTarget(from, 'https://leader.example:8443/v2/events?event_type=a', 0, 1)).toBe('https://leader.example:8443/v2/events?event_type=a');
    expect(redirectTarget(from, '/v2/events?x=1', 0, 1)).toBe('https://standby.example:8443/v2/events?x=1');
    expect(redirectTarget('http://a/v2/events', 'http://u:p@leader/v2/events', 0, 1)).toBe('http://leader/v2/events');
    expect(redirectTarget('http://a/v2/events', 'https://leader/v2/events', 0, 1)).toBe('https://leader/v2/events');
  });

  it('refuses more hops than allowed, a missing Location, other schemes and an https → http downgrade', () => {
    const why = (r: string | SourceError): string => (r instanceof SourceError ? r.message : `followed ${r}`);
    expect(why(redirectTarget(from, 'https://leader/v2/events', 1, 1))).toMatch(/more than 1 redirect\)/);
    expect(why(redirectTarget(from, 'https://leader/v2/events', 0, 0))).toMatch(/more than 0 redirects/);
    expect(why(redirectTarget(from, undefined, 0, 1))).toMatch(/no Location/);
    expect(why(redirectTarget(from, 'file:///etc/passwd', 0, 1))).toMatch(/scheme file: refused/);
    expect(why(redirectTarget(from, 'http://leader/v2/events', 0, 1))).toMatch(/https to http downgrade refused/);
  });
});
