/**
 * Checks a desired member against what NetScaler can take before anything is sent: an address must be an IP
 * (a host name needs a domain-based `server`, and must never go out as `ip`), a weight an integer from 1 to
 * 100 (the binding's documented range). A member that fails is a desired-state error: reported with a
 * `reason`, not retryable (the same desired state fails the same way), and never written — while a member
 * the appliance holds at the same `address:port` is still kept, so a bad weight never removes a live member.
 */
import { isIP } from 'node:net';
import type { Backend } from '@nitrox/core';
import type { MemberFailure, MemberRejection } from './errors.js';

/** Lowest and highest member weight NetScaler accepts (servicegroup_servicegroupmember_binding, `weight`). */
export const weightRange = { min: 1, max: 100 } as const;

/** Why `member` cannot be written, or `undefined` when it can (`defaultWeight` stands in for no weight). */
export function rejectionOf(member: Backend, defaultWeight: number): { reason: MemberRejection; message: string } | undefined {
  if (isIP(member.address) === 0) {
    return {
      reason: 'not-an-ip',
      message: `address "${member.address}" is not an IP address; NetScaler binds a host name only through a domain-based server`,
    };
  }
  const weight = member.weight ?? defaultWeight;
  if (!Number.isInteger(weight) || weight < weightRange.min || weight > weightRange.max) {
    return { reason: 'invalid-weight', message: `weight ${weight} is not an integer from ${weightRange.min} to ${weightRange.max}` };
  }
  return undefined;
}

/** The failure reported for a member refused before sending. */
export function rejectedMember(
  operation: MemberFailure['operation'],
  member: Backend,
  rejection: { reason: MemberRejection; message: string },
): MemberFailure {
  return { operation, member, errorcode: undefined, message: rejection.message, retryable: false, reason: rejection.reason };
}
