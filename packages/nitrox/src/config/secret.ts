/**
 * Secrets read from the environment or from files. A {@link Secret} keeps its value in a private field and prints
 * as `[REDACTED]` in JSON, `util.inspect` and string conversion, so that logging a resolved configuration or an
 * options object can never leak a password; only `reveal()` hands the value to the adapter that needs it.
 */
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { ConfigError } from '@nitrox/core';
import type { SecretRef } from '@nitrox/plugin';

/** A secret value that refuses to be printed. */
export class Secret {
  readonly #value: string;

  /** Wrap a value. */
  constructor(value: string) {
    this.#value = value;
  }

  /** The value itself, for the one call that needs it. */
  reveal(): string {
    return this.#value;
  }

  /** Always `[REDACTED]`. */
  toJSON(): string {
    return '[REDACTED]';
  }

  /** Always `[REDACTED]`. */
  toString(): string {
    return '[REDACTED]';
  }

  [inspect.custom](): string {
    return '[REDACTED]';
  }
}

/** Where secrets are read from; injectable for tests. */
export interface SecretEnvironment {
  /** Environment variables. @defaultValue `process.env` */
  env?: NodeJS.ProcessEnv;
  /** Base directory of relative `file` paths. @defaultValue the directory of the configuration file */
  baseDir?: string;
}

/**
 * Read one secret.
 *
 * @param path - dotted configuration path of the reference, for the error message.
 * @throws ConfigError naming `path` when the variable is unset or empty, or the file cannot be read or is empty.
 */
export async function resolveSecret(ref: SecretRef, path: string, environment: SecretEnvironment = {}): Promise<Secret> {
  if ('env' in ref) {
    const value = (environment.env ?? process.env)[ref.env];
    if (value === undefined || value === '') {
      throw new ConfigError(`${path}.env`, `expected environment variable ${ref.env} to be set and non-empty`);
    }
    return new Secret(value);
  }
  const { resolve } = await import('node:path');
  const file = resolve(environment.baseDir ?? process.cwd(), ref.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${path}.file`, `expected a readable file at ${file} (${reason})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new ConfigError(`${path}.file`, `expected a non-empty secret in ${file}`);
  return new Secret(value);
}
