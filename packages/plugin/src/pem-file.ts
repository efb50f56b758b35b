/**
 * Reading a CA bundle named in the configuration (`caFile`), relative to the configuration file's folder, with
 * a {@link ConfigError} that names the setting when it cannot be read.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '@nitrox/core';

/**
 * Read the PEM file `file` (relative to `baseDir`), or return `undefined` when none is configured.
 *
 * @param path - the setting's path in the configuration, for the error (e.g. `sinks.adc.caFile`).
 * @throws {@link ConfigError} naming `path` when the file cannot be read.
 */
export function readPemFile(path: string, file: string | undefined, baseDir: string): string | undefined {
  if (!file) return undefined;
  const absolute = resolve(baseDir, file);
  try {
    return readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new ConfigError(path, `expected a readable PEM file at ${absolute} (${(err as NodeJS.ErrnoException).code})`);
  }
}
