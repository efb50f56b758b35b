/**
 * Value-based secret redaction, applied to data before it is serialized — log fields and messages, error
 * messages, stacks and cause chains, the text `plan` prints, stderr — so that escaping (a password with `"` or `\`
 * logged as `pa\"ss\\word`) can never hide a secret from the search. Secrets of three characters or more are
 * replaced wherever they occur; shorter ones (which occur inside ordinary words) wherever they stand alone, not
 * touching a letter or digit (`nsroot:x@host`, `password=ab`). For text already serialized in a known format,
 * {@link Redactor.escapedText} searches the escaped forms too (Prometheus label values).
 */

import type { Secret } from '../config/secret.js';

/** Replacement of a secret. */
export const redacted = '[REDACTED]';

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces known secret values in strings and in structured data. */
export class Redactor {
  readonly #values: readonly string[];
  readonly #pattern: RegExp | undefined;

  /** @param values - the secret values (empty strings are ignored). */
  constructor(values: Iterable<string>) {
    // Longest first, so a secret containing another is replaced whole.
    this.#values = [...new Set([...values].filter((v) => v.length > 0))].sort((a, b) => b.length - a.length);
    const parts = this.#values.map((v) => (v.length >= 3 ? escapeRegExp(v) : `(?<![\\p{L}\\p{N}])${escapeRegExp(v)}(?![\\p{L}\\p{N}])`));
    this.#pattern = parts.length > 0 ? new RegExp(parts.join('|'), 'gu') : undefined;
  }

  /** True when there is nothing to redact. */
  get empty(): boolean {
    return this.#pattern === undefined;
  }

  /** `text` with every secret replaced. */
  text(text: string): string {
    return this.#pattern ? text.replace(this.#pattern, redacted) : text;
  }

  /** Serialized `text` with every secret replaced, raw or in the form `escapeValue` gives it. */
  escapedText(text: string, escapeValue: (value: string) => string): string {
    let out = this.text(text);
    for (const value of this.#values) {
      const escaped = escapeValue(value);
      if (escaped !== value) out = out.split(escaped).join(redacted);
    }
    return out;
  }

  /**
   * A copy of `value` with every string redacted, at any depth (arrays, plain objects, errors with their
   * message, stack and cause chain). Other objects are kept as they are (their own toJSON decides).
   */
  value(value: unknown, depth = 0): unknown {
    if (this.#pattern === undefined) return value;
    if (typeof value === 'string') return this.text(value);
    if (depth > 8 || value === null || typeof value !== 'object') return value;
    if (value instanceof Error) return this.#error(value, depth);
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1));
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v, depth + 1)]));
  }

  /** Redact an error in place (message, stack, string fields, cause chain) and return it. */
  error<E>(err: E): E {
    if (err instanceof Error) this.#error(err, 0);
    return err;
  }

  #error(err: Error, depth: number): Error {
    for (const key of ['message', 'stack'] as const) {
      const text = err[key];
      if (typeof text === 'string') {
        try {
          err[key] = this.text(text);
        } catch {
          // a frozen error keeps its text; it is redacted again where it is printed
        }
      }
    }
    const cause: unknown = (err as { cause?: unknown }).cause;
    if (cause instanceof Error && depth < 8) this.#error(cause, depth + 1);
    else if (typeof cause === 'string') (err as { cause?: unknown }).cause = this.text(cause);
    return err;
  }
}

/** A redactor of resolved secrets (a configuration's `secrets.values()`). */
export function secretsRedactor(secrets: Iterable<Secret>): Redactor {
  return new Redactor([...secrets].map((s) => s.reveal()));
}

/** A writable that redacts every chunk written to `stream` (plain text output: plan, stderr). */
export function redactingStream(stream: NodeJS.WritableStream, redactor: Redactor): NodeJS.WritableStream {
  if (redactor.empty) return stream;
  return new Proxy(stream, {
    get(target, property, receiver) {
      if (property !== 'write') return Reflect.get(target, property, receiver) as unknown;
      return (chunk: unknown, ...rest: unknown[]) =>
        (target.write as (...args: unknown[]) => boolean).call(target, typeof chunk === 'string' ? redactor.text(chunk) : chunk, ...rest);
    },
  });
}
