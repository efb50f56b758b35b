/**
 * Mapping of the `etcd3` client's errors to the core's typed errors: a compacted revision (a watch cancelled
 * with `required revision has been compacted`, a range at a compacted revision answered `GRPCOutOfRangeError`)
 * becomes an {@link ExpiredError} so the caller relists; everything else becomes a retryable
 * {@link SourceError} carrying the gRPC error as `cause`.
 */
import { ExpiredError, isNitroxError, type NitroxError, SourceError } from '@nitrox/core';

const COMPACTED = /compacted/i;

/** Whether `err` says the asked revision was compacted away. */
export function isCompacted(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return COMPACTED.test(err.message) || err.name === 'GRPCOutOfRangeError';
}

/** `err` as a core error: `ExpiredError` for a compacted revision, `SourceError` otherwise. */
export function toNitroxError(err: unknown, what: string): NitroxError {
  if (isNitroxError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isCompacted(err)) return new ExpiredError(`${what}: ${message}; relist`, { cause: err });
  return new SourceError(`${what}: ${message}`, { cause: err, peerCode: err instanceof Error ? err.name : 'unknown' });
}
