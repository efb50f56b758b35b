/**
 * Building blocks for plugin schemas, so that every adapter speaks the same file dialect: strict objects whose
 * unknown-key error lists the accepted keys, durations (`250ms`, `30s`, `5m` or milliseconds), secret
 * references (`…From: { env } | { file }`), a guard that turns an inline secret into an error, http(s) URLs that
 * must not carry credentials, and the TLS options every HTTP peer shares.
 */
import { z } from 'zod';
import { durationPattern, parseDuration } from './duration.js';

/**
 * A `z.strictObject` whose unknown-key error says which keys the section accepts: a typo must never fall back
 * silently to a default, and the message shows the right spelling.
 */
export function entrySchema<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: expected only ${known || 'none'}`
        : undefined,
  });
}

const durationExpected = 'expected a duration: milliseconds (a non-negative integer) or a string like "250ms", "30s", "5m"';

/** A duration: milliseconds, or a string such as `250ms`, `30s`, `5m`, `1h`; parsed to milliseconds. */
export const duration = z
  .union(
    [
      z.number({ error: durationExpected }).int({ error: durationExpected }).nonnegative({ error: durationExpected }),
      z.string({ error: durationExpected }).regex(durationPattern, { error: durationExpected }),
    ],
    { error: durationExpected },
  )
  .transform((value) => parseDuration(value) as number);

/** Where a secret comes from: an environment variable or a file (one trailing newline trimmed). */
export const secretRef = z.union([z.strictObject({ env: z.string().min(1) }), z.strictObject({ file: z.string().min(1) })], {
  error: 'expected { env: VARIABLE } or { file: /path/to/secret } (inline secrets are not accepted)',
});

/** A parsed secret reference. */
export type SecretRef = z.output<typeof secretRef>;

/**
 * The key of an inline secret, refused with a message pointing at its `…From` form: put it in a schema beside
 * the reference (`password: inlineSecret('passwordFrom')`).
 */
export function inlineSecret(referenceKey: string) {
  return z.never({ error: `inline secrets are not accepted: use ${referenceKey}: { env: VARIABLE } or { file: /path }` }).optional();
}

/** An `http://` or `https://` URL without credentials (credentials come from `…From` references). */
export const httpUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
  .refine((value) => {
    const url = new URL(value);
    return url.username === '' && url.password === '';
  }, 'expected a URL without credentials: give them with usernameFrom/passwordFrom/tokenFrom ({ env } or { file })');

/** TLS options of an HTTPS peer, shared by every adapter that speaks HTTP. */
export const tlsOptions = {
  insecureSkipTlsVerify: z.boolean({ error: 'expected true or false' }).default(false).describe("Skip verification of the peer's TLS certificate (test setups only)."),
  caFile: z.string().min(1).optional().describe("PEM file of the CA that signed the peer's certificate (relative to the configuration file)."),
};

/** Reconnect backoff (core's `RetryBackoffOptions`): exponential with full jitter, reset after a healthy period. */
export const backoffSchema = entrySchema({
  initialMs: duration.optional().describe('First delay.'),
  maxMs: duration.optional().describe('Longest delay.'),
  factor: z.number().min(1).optional().describe('Growth factor per failure.'),
  jitter: z.number().min(0).max(1).optional().describe('Fraction of the delay randomized.'),
  resetAfterMs: duration.optional().describe('Healthy time after which the delay starts over.'),
});
