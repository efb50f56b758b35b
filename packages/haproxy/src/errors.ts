/**
 * HAProxy's replies mapped to typed errors. The Runtime API answers in free text; every reply the sink can get
 * is listed here (HAProxy 2.6 src/server.c, src/cli.c, checked against a running 2.6.12) with whether trying
 * again can help. An unknown reply is an error too, never taken for success.
 */
import { SinkError } from '@nitrox/core';

/** Why a command failed, as a stable string (the error's `peerCode`). */
export type HaproxyFailure =
  | 'no-such-backend'
  | 'no-such-server'
  | 'already-exists'
  | 'static-algorithm'
  | 'not-in-maintenance'
  | 'has-connections'
  | 'permission-denied'
  | 'unknown-command'
  | 'bad-argument'
  | 'unexpected-reply'
  | 'connection';

/** A Runtime API command failed; `peerCode` says how, `reply` is HAProxy's text (never holds a secret). */
export class HaproxyError extends SinkError {
  /** The command (its verb and target; the Runtime API carries no credentials). */
  readonly command: string;
  /** HAProxy's reply, trimmed. */
  readonly reply: string;

  constructor(failure: HaproxyFailure, command: string, reply: string, options: { retryable: boolean; cause?: unknown }) {
    super(`haproxy: "${command}" failed (${failure}): ${reply.slice(0, 200) || 'no reply'}`, { ...options, peerCode: failure });
    this.command = command;
    this.reply = reply;
  }
}

/** A known failure reply: its text (a prefix of HAProxy's line), the failure and whether a retry can help. */
const failures: readonly (readonly [string, HaproxyFailure, boolean])[] = [
  // The administrator must create the backend or change its algorithm: retrying cannot help.
  ['No such backend.', 'no-such-backend', false],
  ["Can't find backend.", 'no-such-backend', false], // show servers state
  ['No such proxy.', 'no-such-backend', false], // show stat
  ['Backend must use a dynamic load balancing', 'static-algorithm', false],
  // The observed state went stale (someone else changed it, or HAProxy restarted): the next apply re-reads it.
  ['No such server.', 'no-such-server', true],
  ['Already exists a server with the same name', 'already-exists', true],
  ['Only servers in maintenance mode can be deleted.', 'not-in-maintenance', true],
  ['Server still has connections attached to it', 'has-connections', true],
  // A socket below `level admin`: a configuration problem.
  ['Permission denied', 'permission-denied', false],
  ['Unknown command', 'unknown-command', false],
  ['Require ', 'bad-argument', false],
  ['Absolute weight can only be', 'bad-argument', false],
  ['Relative weight', 'bad-argument', false],
  ['unknown keyword', 'bad-argument', false],
  ['Invalid ', 'bad-argument', false],
  ['\'set server <srv> state\' expects', 'bad-argument', false],
];

/** The failure a reply names, or `undefined` when the reply is not a known failure. */
export function failureOf(reply: string): { failure: HaproxyFailure; retryable: boolean } | undefined {
  const text = reply.trim();
  for (const [prefix, failure, retryable] of failures) if (text.startsWith(prefix) || text.includes(`\n${prefix}`)) return { failure, retryable };
  return undefined;
}

/** What a successful reply to each write verb looks like. */
const successes: readonly RegExp[] = [
  /^New server registered\.$/,
  /^Server deleted\.$/,
  /^$/, // set server … state/weight, enable health: no output
  /^IP changed from .* by 'stats socket command'$/,
  /^no need to change the addr.*$/,
];

/**
 * Check the reply of a write command.
 * @throws HaproxyError for a failure reply or any reply that is not a known success
 */
export function checkWriteReply(command: string, reply: string): void {
  const text = reply.trim();
  const known = failureOf(text);
  if (known) throw new HaproxyError(known.failure, command, text, { retryable: known.retryable });
  if (!successes.some((s) => s.test(text))) throw new HaproxyError('unexpected-reply', command, text, { retryable: false });
}
