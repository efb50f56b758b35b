/**
 * The wire format shared by the server and the follower. A list answer is JSON; a watch is NDJSON, one
 * {@link WireEvent} per line; a catch-up request is the raw digest bytes. Revisions are `<epoch>.<seq>`: the
 * epoch is random per server process, so a revision from an earlier life of the server (or from another
 * server) is refused with 410 instead of being misread as a position in this one's history.
 */
import type { Versioned } from '@nitrox/core';

/** One page of a list: `GET /<collection>?limit=N[&continue=T][&prefix=P]`. */
export interface WireListPage<T> {
  /** Revision the whole list (every page of it) is consistent with. */
  readonly revision: string;
  /** Identity of the items' version numbering (the source's list epoch), when known. */
  readonly sourceEpoch?: string;
  readonly items: readonly Versioned<T>[];
  /** Token for the next page; absent on the last one. */
  readonly continue?: string;
}

/** One line of a watch stream. `expired` ends the stream: the follower fell behind and must relist or catch up. */
export type WireEvent<T> =
  | { readonly type: 'added' | 'modified' | 'deleted'; readonly revision: string; readonly item: Versioned<T> }
  | { readonly type: 'bookmark'; readonly revision: string }
  | { readonly type: 'expired'; readonly message: string };

/**
 * Answer of catch-up round 1: `POST /<collection>/catch-up?buckets=B&fanOut=F[&prefix=P][&sourceEpoch=E]`, body
 * the follower's B top hashes (little-endian uint32 pairs).
 */
export interface WireDigestAnswer {
  /** Revision the comparison was made at; round 2 passes it as `since`. */
  readonly revision: string;
  readonly sourceEpoch?: string;
  /** Top buckets whose hash differed. */
  readonly buckets: readonly number[];
  /** Base64 of the server's F sub-hashes (uint32 pairs, little-endian) of each of those buckets, in order. */
  readonly subDigests: string;
}

/**
 * Answer of catch-up round 2: `POST /<collection>/catch-up?buckets=B&fanOut=F&since=R1[&prefix=P]`, body the
 * differing leaves (little-endian uint32 `top * F + sub`).
 */
export interface WireCatchUp<T> {
  /** Revision the answer is consistent with: the follower's state after applying it is the server's at it. */
  readonly revision: string;
  readonly sourceEpoch?: string;
  /** The leaves answered — those asked and those changed since round 1; the follower replaces their content. */
  readonly leaves: readonly number[];
  /** The server's items of those leaves. */
  readonly items: readonly Versioned<T>[];
}

/** An error answer (JSON body of a 4xx/5xx). */
export interface WireError {
  readonly code: string;
  readonly message: string;
}

/** Encode a server revision. */
export function formatRevision(epoch: string, seq: number): string {
  return `${epoch}.${seq}`;
}

/** Decode a server revision of `epoch`; `undefined` when it is malformed or belongs to another epoch. */
export function parseRevision(revision: string, epoch: string): number | undefined {
  const dot = revision.lastIndexOf('.');
  if (dot < 0 || revision.slice(0, dot) !== epoch) return undefined;
  const tail = revision.slice(dot + 1);
  if (!/^\d+$/.test(tail)) return undefined;
  const seq = Number(tail);
  return Number.isSafeInteger(seq) ? seq : undefined;
}
