import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { Secret } from '../config/secret.js';

describe('createLogger', () => {
  it('redacts secret fields and scrubs secret values from every line', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'nitrox-log-')), 'log');
    const fd = openSync(file, 'w');
    const secret = new Secret('Tr0ub4dor&3');
    const logger = createLogger({ fd, secrets: [secret] });
    logger.info({ password: 'plain-field', sink: { token: 'tok-123' }, headers: { authorization: 'Bearer abc' } }, 'fields');
    logger.warn({ err: 'login failed for nsroot:Tr0ub4dor&3' }, 'peer echoed the password');
    logger.info({ secret }, 'a Secret object');
    closeSync(fd);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('plain-field');
    expect(text).not.toContain('tok-123');
    expect(text).not.toContain('Bearer abc');
    expect(text).not.toContain('Tr0ub4dor&3');
    expect(text.match(/\[REDACTED\]/g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('keeps Secret values out of JSON, inspect and strings', () => {
    const s = new Secret('pw');
    expect(JSON.stringify({ s })).toBe('{"s":"[REDACTED]"}');
    expect(inspect(s)).toBe('[REDACTED]');
    expect(`${s}`).toBe('[REDACTED]');
    expect(s.reveal()).toBe('pw');
  });
});
