import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { optionRows, optionsMarkdown } from './option-table.js';
import { duration, entrySchema, httpUrl, inlineSecret, secretRef, tlsOptions } from './schema.js';
import { secretRefsOf } from './secret-refs.js';

describe('schema building blocks', () => {
  it('lists the accepted keys when an unknown key is given', () => {
    const result = entrySchema({ url: z.string(), port: z.number() }).safeParse({ url: 'x', port: 1, prot: 2 });
    expect(result.error?.issues[0]?.message).toBe('unknown key "prot": expected only url, port');
  });

  it('parses durations to milliseconds', () => {
    expect(duration.parse('1.5s')).toBe(1_500);
    expect(duration.parse(250)).toBe(250);
    expect(duration.safeParse('5 minutes').success).toBe(false);
  });

  it('refuses inline secrets and credentials in URLs, pointing at the reference form', () => {
    const schema = entrySchema({ url: httpUrl, passwordFrom: secretRef.optional(), password: inlineSecret('passwordFrom') });
    const inline = schema.safeParse({ url: 'http://h', password: 'hunter2' });
    expect(inline.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['password', 'inline secrets are not accepted: use passwordFrom: { env: VARIABLE } or { file: /path }']]);
    const userinfo = schema.safeParse({ url: 'https://admin:hunter2@h' });
    expect(userinfo.error?.issues[0]?.path).toEqual(['url']);
    expect(userinfo.error?.issues[0]?.message).toContain('without credentials');
    expect(JSON.stringify(userinfo.error?.issues)).not.toContain('hunter2');
    expect(schema.safeParse({ url: 'http://h', passwordFrom: { env: 'PW' } }).success).toBe(true);
    expect(schema.safeParse({ url: 'http://h', passwordFrom: 'PW' }).success).toBe(false);
  });

  it('finds every secret reference of an entry, at any depth', () => {
    const refs = secretRefsOf({ passwordFrom: { env: 'A' }, auth: { tokenFrom: { file: 't' } }, other: { env: 'B' }, listFrom: ['x'] });
    expect(refs).toEqual([
      ['passwordFrom', { env: 'A' }],
      ['auth.tokenFrom', { file: 't' }],
    ]);
  });
});

describe('option table', () => {
  it('reads each option with type, default and description from the schema, nested objects flattened', () => {
    const schema = entrySchema({
      url: z.union([httpUrl, z.array(httpUrl)]).describe('Where.'),
      pollIntervalMs: duration.default(15_000).describe('How often.'),
      mode: z.enum(['a', 'b']).default('a'),
      settleMs: duration.refine((ms) => ms >= 10).optional(),
      passwordFrom: secretRef.describe('Password.'),
      home: httpUrl.describe('Home.'),
      password: inlineSecret('passwordFrom'),
      select: entrySchema({ labels: z.record(z.string(), z.string()).optional().describe('Labels.') }).optional(),
      ...tlsOptions,
    });
    const rows = optionRows(schema);
    expect(rows.map((r) => [r.path, r.type, r.required, r.defaultValue])).toEqual([
      ['url', 'URL | URL[]', true, undefined],
      ['pollIntervalMs', 'duration', false, '15000'],
      ['mode', '"a" | "b"', false, '"a"'],
      ['settleMs', 'duration', false, undefined],
      ['passwordFrom', 'secret ({ env } | { file })', true, undefined],
      ['home', 'URL', true, undefined],
      ['select', 'object', false, undefined],
      ['select.labels', 'map of string', false, undefined],
      ['insecureSkipTlsVerify', 'boolean', false, 'false'],
      ['caFile', 'string', false, undefined],
    ]);
    expect(rows[1]?.description).toBe('How often.');
    expect(optionsMarkdown(rows.slice(0, 2))).toBe(
      ['| option | type | default | description |', '|---|---|---|---|', '| `url` | URL \\| URL[] | required | Where. |', '| `pollIntervalMs` | duration | `15000` | How often. |'].join('\n'),
    );
  });
});
