/**
 * Structured logs with pino. Secrets are redacted by path (passwords, tokens, cookies, authorization headers,
 * wherever they are nested) and by value before serialization: every string of a line's fields, its message and
 * any error in it (message, stack, cause chain) has the resolved secret values replaced (see redactor.ts), so an
 * error quoting a peer's answer cannot leak a password, whatever characters it holds. As a last line of defence
 * the serialized line is searched too, for the raw and the JSON-escaped form of each secret.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { Secret } from '../config/secret.js';
import { Redactor } from './redactor.js';

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
  const redactor = new Redactor([...(options.secrets ?? [])].map((s) => s.reveal()));
  const destination = pino.destination({ fd: options.fd ?? 1, sync: true });
  const jsonEscaped = (value: string) => JSON.stringify(value).slice(1, -1);
  const stream = redactor.empty ? destination : { write: (line: string) => destination.write(redactor.escapedText(line, jsonEscaped)) };
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? { name: 'nitrox' },
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...(redactor.empty
        ? {}
        : {
            hooks: {
              logMethod(args, method) {
                method.apply(this, redactor.value(args) as typeof args);
              },
            },
          }),
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
