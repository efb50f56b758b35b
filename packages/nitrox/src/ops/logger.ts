/**
 * Structured logs with pino. Secrets are redacted by path (passwords, tokens, cookies, authorization headers,
 * wherever they are nested) and, as a second line of defence, every resolved secret value is scrubbed from the
 * final log line, so that an error message quoting a peer's answer cannot leak a password either.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { Secret } from '../config/secret.js';

/** Paths pino replaces with `[REDACTED]`. */
export const redactPaths = [
  'password',
  'token',
  'secret',
  'authorization',
  'cookie',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.cookie',
  '*.*.password',
  '*.*.token',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-nitro-pass"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-nitro-pass"]',
];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level. @defaultValue `'info'` */
  level?: LevelWithSilent;
  /** File descriptor to write to. @defaultValue 1 (stdout) */
  fd?: number;
  /** Secret values to scrub from every line. */
  secrets?: Iterable<Secret>;
  /** Base fields on every line. @defaultValue `{ name: 'nitrox' }` */
  base?: Record<string, unknown>;
}

/** Create the process logger. Writes synchronously, so nothing is lost when the process exits. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const values = [...(options.secrets ?? [])].map((s) => s.reveal()).filter((v) => v.length >= 3);
  const destination = pino.destination({ fd: options.fd ?? 1, sync: true });
  const stream =
    values.length === 0
      ? destination
      : {
          write(line: string) {
            let out = line;
            for (const value of values) out = out.split(value).join('[REDACTED]');
            destination.write(out);
          },
        };
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? { name: 'nitrox' },
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** Serialize an error for a log line: message, code, status and peer code, never request options. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { err: String(err) };
  const e = err as Error & { code?: unknown; status?: unknown; peerCode?: unknown; path?: unknown };
  const fields: Record<string, unknown> = { err: e.message, errName: e.name };
  if (e.code !== undefined) fields.code = e.code;
  if (e.status !== undefined) fields.status = e.status;
  if (e.peerCode !== undefined) fields.peerCode = e.peerCode;
  return fields;
}
