import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SinkError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { Secret } from '../config/secret.js';
import { createLogger } from './logger.js';
import { NitroxMetrics } from './metrics.js';
import { Redactor, redactingStream } from './redactor.js';

/** Passwords that defeat a search of the serialized line: quotes, backslashes, unicode, very short ones. */
const passwords = ['pa"ss\\word', "it's\"\\\\q", 'pässwörd✓🔑', '\u2028line\tsep', 'x', 'ab'];

function leaks(text: string, password: string): boolean {
  if (password.length >= 3) return text.includes(password) || text.includes(JSON.stringify(password).slice(1, -1));
  return text.includes(`nsroot:${password}@`) || text.includes(`=${password}"`) || text.includes(`=${password} `);
}

describe('secret redaction', () => {
  it.each(passwords)('keeps %j out of every part of a log line', (password) => {
    const file = join(mkdtempSync(join(tmpdir(), 'nitrox-redact-')), 'log');
    const fd = openSync(file, 'w');
    const logger = createLogger({ fd, secrets: [new Secret(password)] });
    const cause = new Error(`peer said: bad password=${password} for nsroot`);
    const err = new SinkError(`login failed for http://nsroot:${password}@10.0.0.1`, { cause });
    logger.warn({ detail: `password=${password} rejected`, nested: { list: [`nsroot:${password}@adc`] }, err }, `login as nsroot:${password}@adc failed`);
    logger.child({ sink: 'adc' }).error({ err: err.message }, 'again');
    closeSync(fd);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
    expect(leaks(text, password), text).toBe(false);
    expect(text).toContain('[REDACTED]');
  });

  it('leaves a short secret inside ordinary words alone', () => {
    const redactor = new Redactor(['x']);
    expect(redactor.text('exit code 1 for nsroot:x@adc')).toBe('exit code 1 for nsroot:[REDACTED]@adc');
  });

  it('redacts an error in place, its cause chain included, before it reaches stderr', () => {
    const redactor = new Redactor(['pa"ss']);
    const err = redactor.error(new Error('outer pa"ss', { cause: new Error('inner pa"ss', { cause: 'text pa"ss' }) }));
    expect(err.message).toBe('outer [REDACTED]');
    expect((err.cause as Error).message).toBe('inner [REDACTED]');
    expect((err.cause as Error).cause).toBe('text [REDACTED]');
    expect(err.stack).not.toContain('pa"ss');
  });

  it('redacts plain text output, plan and stderr', () => {
    const chunks: string[] = [];
    const stream = redactingStream({ write: (chunk: string) => chunks.push(chunk) } as unknown as NodeJS.WritableStream, new Redactor(['ab']));
    stream.write('  ! cannot read the pool: password=ab rejected\n');
    expect(chunks).toEqual(['  ! cannot read the pool: password=[REDACTED] rejected\n']);
  });

  it.each(passwords)('keeps %j out of /metrics label values', async (password) => {
    const metrics = new NitroxMetrics({ defaultMetrics: false, redactor: new Redactor([password]) });
    metrics.reconciled(`web`, 0.1, 'error', `E ${password} E`);
    const text = await metrics.render();
    expect(text).toContain('code="E [REDACTED] E"');
  });
});
