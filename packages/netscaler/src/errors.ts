/**
 * NetScaler errors. Every failure is a core `SinkError` (code `NITROX_SINK`), so a controller treats it like
 * any sink failure; {@link NitroError} adds what the appliance said (errorcode, message, HTTP status, the
 * request that failed) and {@link NetScalerApplyError} says exactly which members an `apply` could not change.
 * Messages are built only from the method, the resource path and the appliance's answer, never from request
 * bodies or headers, so credentials cannot leak into them.
 */
import { type ApplyResult, type Backend, SinkError } from '@nitrox/core';
import { NitroErrorCode } from './nitro-types.js';

/** NITRO codes worth retrying: the session, the management plane's limits, a busy appliance. */
const retryableCodes = new Set<number>([
  NitroErrorCode.sessionExpired,
  NitroErrorCode.sessionLimit,
  NitroErrorCode.connectionLimit,
  NitroErrorCode.authTimeout,
]);

/** Whether a NITRO answer (HTTP status and errorcode) can succeed when tried again. */
export function isRetryableNitro(status: number | undefined, errorcode: number | undefined): boolean {
  if (errorcode !== undefined && retryableCodes.has(errorcode)) return true;
  if (status === undefined) return true; // network error or timeout
  return status >= 500 || status === 429 || status === 408;
}

/** Details of a failed NITRO request. */
export interface NitroErrorDetails {
  /** HTTP status, when the appliance answered. */
  readonly status?: number | undefined;
  /** NITRO `errorcode`, when the body carried one. */
  readonly errorcode?: number | undefined;
  /** NITRO `message`, when the body carried one. */
  readonly nitroMessage?: string | undefined;
  /** HTTP method of the request. */
  readonly method: string;
  /** Path of the request without its query (e.g. `/nitro/v1/config/servicegroup/web`). */
  readonly resource: string;
  /** The underlying error (network failure, timeout). */
  readonly cause?: unknown;
  /** Overrides the retryable classification. */
  readonly retryable?: boolean;
}

/**
 * A NITRO request failed: the appliance answered with an error, or the request could not complete.
 * `status` and `peerCode` (the core fields) equal `status` and `errorcode`.
 */
export class NitroError extends SinkError {
  /** NITRO `errorcode` (e.g. 258 No such resource, 444 Session expired), when known. */
  readonly errorcode: number | undefined;
  /** NITRO `message`, when known. */
  readonly nitroMessage: string | undefined;
  /** HTTP method of the failed request. */
  readonly method: string;
  /** Path of the failed request, without its query. */
  readonly resource: string;

  constructor(message: string, details: NitroErrorDetails) {
    const text =
      `${message} (${details.method} ${details.resource}` +
      (details.status === undefined ? '' : `, HTTP ${details.status}`) +
      (details.errorcode === undefined ? '' : `, errorcode ${details.errorcode}`) +
      (details.nitroMessage === undefined ? '' : `: ${details.nitroMessage}`) +
      ')';
    super(text, {
      ...(details.status === undefined ? {} : { status: details.status }),
      ...(details.errorcode === undefined ? {} : { peerCode: details.errorcode }),
      ...(details.cause === undefined ? {} : { cause: details.cause }),
      retryable: details.retryable ?? isRetryableNitro(details.status, details.errorcode),
    });
    this.errorcode = details.errorcode;
    this.nitroMessage = details.nitroMessage;
    this.method = details.method;
    this.resource = details.resource;
  }
}

/**
 * Why Nitrox refused a member without asking the appliance (a desired-state error, never retryable):
 * `not-an-ip` — its address is a host name; `invalid-weight` — its weight is not an integer from 1 to 100;
 * `ip-conflict` — the appliance answered "Resource already exists" to its add but does not list it (another
 * server probably holds the IP), so Nitrox stops re-adding it until the next ownership check.
 */
export type MemberRejection = 'not-an-ip' | 'invalid-weight' | 'ip-conflict';

/** One member an `apply` could not change. */
export interface MemberFailure {
  /** What was attempted. */
  readonly operation: 'add' | 'update' | 'remove';
  /** The member. */
  readonly member: Backend;
  /** NITRO errorcode of the item, when the appliance gave one. */
  readonly errorcode: number | undefined;
  /** The appliance's message, or the request error's message. */
  readonly message: string;
  /** Whether trying again can succeed. */
  readonly retryable: boolean;
  /** Set when Nitrox refused the member before sending it (see {@link MemberRejection}). */
  readonly reason?: MemberRejection;
}

/**
 * An `apply` changed part of a servicegroup and failed for the listed members. `result` counts what did
 * change; the next `apply` of the same desired set retries only the failed members (the rest already match).
 */
export class NetScalerApplyError extends SinkError {
  /** The members that could not be changed, with the appliance's reason for each. */
  readonly failures: readonly MemberFailure[];
  /** What the failed apply did change. */
  readonly result: ApplyResult;
  /** The servicegroup concerned. */
  readonly servicegroup: string;

  constructor(servicegroup: string, failures: readonly MemberFailure[], result: ApplyResult) {
    const list = failures
      .slice(0, 5)
      .map((f) => `${f.operation} ${f.member.address}:${f.member.port}: ${f.message}`)
      .join('; ');
    const more = failures.length > 5 ? `; and ${failures.length - 5} more` : '';
    super(`servicegroup ${servicegroup}: ${failures.length} member change(s) failed: ${list}${more}`, {
      retryable: failures.some((f) => f.retryable),
      ...(failures[0]?.errorcode === undefined ? {} : { peerCode: failures[0].errorcode }),
    });
    this.failures = failures;
    this.result = result;
    this.servicegroup = servicegroup;
  }
}
