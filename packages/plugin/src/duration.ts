/**
 * Durations in the configuration file: a plain number of milliseconds or a string with a unit
 * (`250ms`, `30s`, `5m`, `1h`), so that `resync: 5m` reads as what it means. Parsed once, at load time.
 */

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The accepted string form of a duration: an integer or decimal followed by `ms`, `s`, `m` or `h`. */
export const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/**
 * Milliseconds in a duration value, or `undefined` when it is not one.
 *
 * @example parseDuration('1.5s') // 1500
 */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const match = durationPattern.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (units[match[2] as string] as number));
}

/** A duration in milliseconds rendered for people: `850ms`, `12.3s`, `5m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  return `${(ms / 60_000).toFixed(1)}m`;
}
