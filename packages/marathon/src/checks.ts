/**
 * Small eager option checks shared by this package's constructors; each failure is a {@link ConfigError}
 * naming the option.
 */
import { ConfigError } from '@nitrox/core';

/** `value` when it is a finite number > 0. @throws {@link ConfigError} otherwise. */
export function checkPositive(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ConfigError(path, 'must be a positive number');
  return value;
}

/** `value` when it is a finite number >= 0. @throws {@link ConfigError} otherwise. */
export function checkNonNegative(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ConfigError(path, 'must be a number >= 0');
  return value;
}
