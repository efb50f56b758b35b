/**
 * Configuration problems as data until they are reported: each has the exact path of the offending setting
 * (`mappings[1].port`, `defaults.maxWait`, `sinks.adc.passwordFrom.env`) and what was expected. All the
 * problems of a file are collected and reported at once in one `ConfigError` naming the first path.
 */
import { ConfigError } from '@nitrox/core';
import type { z } from 'zod';

/** One problem. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** Render a path as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Zod issues as {@link ConfigIssue}s, their paths under `prefix`. */
export function issuesOf(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  return issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: issue.message }));
}

/** One ConfigError naming the first issue's path, the others listed below it. */
export function configErrorOf(issues: readonly ConfigIssue[]): ConfigError {
  const first = issues[0];
  const more = issues.slice(1).map((i) => `  ${i.path ? `${i.path}: ` : ''}${i.message}`);
  return new ConfigError(first?.path ?? '', `${first?.message ?? 'invalid configuration'}${more.length ? `\n${more.join('\n')}` : ''}`);
}

/** Turn zod issues into one ConfigError naming the first offending path (all of them in the message). */
export function configErrorFromIssues(issues: readonly z.core.$ZodIssue[]): ConfigError {
  return configErrorOf(issuesOf(issues));
}
