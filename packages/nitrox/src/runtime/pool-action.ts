/**
 * What to do with a mapping's pool given its desired set — the one decision `run` (at every reconcile) and
 * `plan` (once, to print it) share, so that they cannot disagree: an app the source does not hold is an empty
 * desired set (it was deleted, perhaps while nitrox was down), and an empty set is held unless the mapping
 * says `allowEmpty`; anything else is applied as the complete pool.
 */
import type { BackendSet } from '@nitrox/core';
import type { ResolvedMapping } from '../config/load-config.js';

/** Hold the pool as it is, or apply `desired` to it. */
export type PoolAction =
  | { readonly kind: 'hold'; readonly reason: 'empty' }
  | { readonly kind: 'apply'; readonly desired: BackendSet };

/** The action for `mapping` when its source holds `desired` (`undefined`: the source has no such app). */
export function poolAction(mapping: Pick<ResolvedMapping, 'pool' | 'allowEmpty'>, desired: BackendSet | undefined): PoolAction {
  const members = desired?.members ?? [];
  if (members.length === 0 && !mapping.allowEmpty) return { kind: 'hold', reason: 'empty' };
  return { kind: 'apply', desired: { name: mapping.pool, members } };
}
