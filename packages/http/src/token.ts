/**
 * Bearer tokens for both ends: a fixed string, or read from an environment variable or a file (re-read on
 * every use, so a rotated Kubernetes-secret file takes effect without a restart). Compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@nitrox/core';

/** Where a bearer token comes from. */
export type TokenSource = string | { readonly env: string } | { readonly file: string };

/** A function returning the current token of `source` (trimmed); it throws {@link ConfigError} when it is empty or unreadable. */
export function tokenReader(source: TokenSource, option = 'token'): () => string {
  return () => {
    let token: string | undefined;
    if (typeof source === 'string') token = source;
    else if ('env' in source) token = process.env[source.env];
    else {
      try {
        token = readFileSync(source.file, 'utf8');
      } catch (err) {
        throw new ConfigError(option, `cannot read the token file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    token = token?.trim();
    if (!token) throw new ConfigError(option, 'the token is empty');
    return token;
  };
}

/** Whether the `authorization` header carries exactly `Bearer <expected>`. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}
