/**
 * Eager validation of numeric options for the queue, debounce, poller and leader-election helpers: each
 * check throws a {@link ConfigError} naming the offending option, so a bad setting fails at construction
 * rather than as a busy loop or a stuck timer later. Internal; not exported from the package.
 */
import { ConfigError } from './errors.js';

/** Require a finite number `>= min` (and `<= max` when given); returns it. */
export function checkNumber(path: string, value: number, min: number, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `between ${min} and ${max}`;
    throw new ConfigError(path, `must be a number ${range}, got ${String(value)}`);
  }
  return value;
}

/** Require a finite number strictly greater than `min`; returns it. */
export function checkAbove(path: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= min) {
    throw new ConfigError(path, `must be a finite number > ${min}, got ${String(value)}`);
  }
  return value;
}
