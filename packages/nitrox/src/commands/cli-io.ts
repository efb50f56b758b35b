/**
 * What every command shares with the command line: where it writes, its exit codes, how a failure is shown,
 * and the `--log-level` check. Kept apart from cli.ts so that the commands do not import the dispatcher that
 * imports them.
 */
import { ConfigError, isNitroxError } from '@nitrox/core';
import type { LevelWithSilent } from 'pino';

/** Exit codes of the command. */
export const exitCodes = { ok: 0, failure: 1, usage: 2 } as const;

/** Where the command writes and what it reads from its environment. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

/** Print a failure the way users should see it; returns its exit code. */
export function reportError(err: unknown, io: CliIo): number {
  if (isNitroxError(err) && err.code === 'NITROX_CONFIG') {
    io.stderr.write(`nitrox: invalid configuration: ${err.message}\n`);
    return exitCodes.usage;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`nitrox: ${message}\n`);
  return exitCodes.failure;
}

const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Check a `--log-level` value. */
export function checkLogLevel(level: string | undefined): LevelWithSilent | undefined {
  if (level !== undefined && !levels.includes(level)) {
    throw new ConfigError('--log-level', `expected one of ${levels.join('|')}, got "${level}"`);
  }
  return level as LevelWithSilent | undefined;
}
