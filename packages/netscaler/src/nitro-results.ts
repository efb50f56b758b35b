/**
 * The result label of one NITRO exchange, for metrics (e.g. a Prometheus `result` label): `ok` for a 2xx
 * answer with errorcode 0; `errorcode:<n>` when the appliance named a NITRO error (a 207 partial bulk failure is
 * `errorcode:1243`, a 404 "No such resource" is `errorcode:258`); `http:<n>xx` for an error answer without an
 * errorcode; `timeout`, `network` or `aborted` when no answer came. The set of labels stays small: NITRO
 * errorcodes and status classes, never names or addresses.
 */
import { TimeoutError } from '@nitrox/core';
import { NitroError } from './errors.js';

/** A result label; see the module comment. */
export type NitroResult = 'ok' | 'timeout' | 'network' | 'aborted' | `errorcode:${number}` | `http:${number}xx`;

/** The label of an answered request. */
export function nitroResultOf(status: number, errorcode: number | undefined): NitroResult {
  const code = errorcode ?? 0;
  if (status >= 200 && status < 300 && status !== 207 && code === 0) return 'ok';
  if (code !== 0) return `errorcode:${code}`;
  if (status === 207) return 'errorcode:1243';
  return `http:${Math.floor(status / 100)}xx`;
}

/** The label of a request that got no answer (`error` is what the transport threw). */
export function nitroFailureOf(error: unknown): NitroResult {
  if (error instanceof NitroError) {
    if (error.status !== undefined) return nitroResultOf(error.status, error.errorcode);
    return error.cause instanceof TimeoutError ? 'timeout' : 'network';
  }
  return 'aborted';
}

/** Counts of requests by result label. */
export class NitroResultCounter {
  readonly #counts = new Map<NitroResult, number>();

  /** Count one request. */
  add(result: NitroResult): void {
    this.#counts.set(result, (this.#counts.get(result) ?? 0) + 1);
  }

  /** A copy of the counts, by label (labels never seen are absent). */
  snapshot(): Readonly<Partial<Record<NitroResult, number>>> {
    return Object.fromEntries(this.#counts) as Partial<Record<NitroResult, number>>;
  }
}
