/**
 * Error classes with stable string codes. Every error Nitrox throws or reports is a {@link NitroxError}
 * subclass; `code` never changes between releases, `retryable` says whether trying again can help, and
 * the brand (a `Symbol.for` key) makes `isNitroxError` work across two installed copies of the package.
 */

const brand = Symbol.for('nitrox.error');

/** Stable codes of every {@link NitroxError}. */
export type NitroxErrorCode =
  | 'NITROX_EXPIRED'
  | 'NITROX_CONFLICT'
  | 'NITROX_SOURCE'
  | 'NITROX_SINK'
  | 'NITROX_CONFIG'
  | 'NITROX_MALFORMED_EVENT'
  | 'NITROX_TIMEOUT'
  | 'NITROX_SHUTDOWN';

/** Options shared by every Nitrox error. */
export interface NitroxErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** Whether retrying the operation can succeed. */
  retryable?: boolean;
}

/** Base class of every Nitrox error. */
export class NitroxError extends Error {
  /** Stable machine-readable code. */
  readonly code: NitroxErrorCode;
  /** Whether retrying can succeed. */
  readonly retryable: boolean;
  readonly [brand] = true;

  constructor(code: NitroxErrorCode, message: string, options: NitroxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** True for any {@link NitroxError}, even one thrown by another installed copy of `@nitrox/core`. */
export function isNitroxError(value: unknown): value is NitroxError {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}

/** A watch asked for a revision older than the retained history: relist, then watch from the new revision. */
export class ExpiredError extends NitroxError {
  constructor(message = 'revision is older than the retained history', options: NitroxErrorOptions = {}) {
    super('NITROX_EXPIRED', message, { retryable: true, ...options });
  }
}

/** A compare-and-swap failed: the stored version is not the expected one. */
export class ConflictError extends NitroxError {
  /** The key that conflicted. */
  readonly key: string;
  /** The version the caller expected. */
  readonly expected: number;
  /** The version the store holds (0 when the key is absent). */
  readonly actual: number;

  constructor(key: string, expected: number, actual: number, options: NitroxErrorOptions = {}) {
    super('NITROX_CONFLICT', `conflict on "${key}": expected version ${expected}, found ${actual}`, options);
    this.key = key;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Details a source or sink error can carry. */
export interface PeerErrorOptions extends NitroxErrorOptions {
  /** HTTP status of the peer's answer, when there was one. */
  status?: number;
  /** The peer's own error code, when it gave one. */
  peerCode?: number | string;
}

/** A source (orchestrator, store) failed or answered with something unusable. */
export class SourceError extends NitroxError {
  /** HTTP status of the peer's answer, when there was one. */
  readonly status: number | undefined;
  /** The peer's own error code, when it gave one. */
  readonly peerCode: number | string | undefined;

  constructor(message: string, options: PeerErrorOptions = {}) {
    super('NITROX_SOURCE', message, { retryable: true, ...options });
    this.status = options.status;
    this.peerCode = options.peerCode;
  }
}

/** A sink (load balancer, external system) failed or answered with something unusable. */
export class SinkError extends NitroxError {
  /** HTTP status of the peer's answer, when there was one. */
  readonly status: number | undefined;
  /** The peer's own error code, when it gave one. */
  readonly peerCode: number | string | undefined;

  constructor(message: string, options: PeerErrorOptions = {}) {
    super('NITROX_SINK', message, { retryable: true, ...options });
    this.status = options.status;
    this.peerCode = options.peerCode;
  }
}

/** Invalid configuration or options; `path` names the offending setting. */
export class ConfigError extends NitroxError {
  /** Dotted path of the offending setting, e.g. `mappings[0].sink`. */
  readonly path: string;

  constructor(path: string, message: string, options: NitroxErrorOptions = {}) {
    super('NITROX_CONFIG', path ? `${path}: ${message}` : message, { retryable: false, ...options });
    this.path = path;
  }
}

/** A source delivered an event that does not have the expected shape; it is skipped and counted. */
export class MalformedEventError extends NitroxError {
  constructor(message: string, options: NitroxErrorOptions = {}) {
    super('NITROX_MALFORMED_EVENT', message, { retryable: false, ...options });
  }
}

/** An operation or a silent stream exceeded its deadline. */
export class TimeoutError extends NitroxError {
  constructor(message: string, options: NitroxErrorOptions = {}) {
    super('NITROX_TIMEOUT', message, { retryable: true, ...options });
  }
}

/** The component was stopped while the operation was pending. */
export class ShutdownError extends NitroxError {
  constructor(message = 'stopped', options: NitroxErrorOptions = {}) {
    super('NITROX_SHUTDOWN', message, { retryable: false, ...options });
  }
}

/** `value` itself when it is an Error, else an Error carrying its text (for things thrown that are not errors). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
