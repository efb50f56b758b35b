/**
 * What `nitrox plan` reports for each mapping, computed the way `run` decides ({@link poolAction}): read the
 * mapping's desired set from its synced source (an app the source does not hold is an empty set), read the
 * pool from its sink (reads only), and either hold the pool or diff it against the desired set. Kept apart from
 * the command's printing so that a test can hold plan and run to the same answers.
 */
import type { BackendSet } from '@nitrox/core';
import type { SinkRuntime, SourceRuntime } from '@nitrox/plugin';
import type { ResolvedMapping } from '../config/load-config.js';
import { type PoolDiff, poolDiff } from './pool-diff.js';
import { poolAction } from './pool-action.js';
import { sourceMapping } from './mapping-view.js';

/** The plan of one mapping's pool. */
export type PoolPlan =
  | { readonly mapping: ResolvedMapping; readonly kind: 'hold'; readonly actual: BackendSet | undefined }
  | { readonly mapping: ResolvedMapping; readonly kind: 'apply'; readonly actual: BackendSet | undefined; readonly desired: BackendSet; readonly diff: PoolDiff }
  | { readonly mapping: ResolvedMapping; readonly kind: 'unreadable'; readonly error: unknown };

/** Plan one mapping from its (synced) source and its sink. */
export async function planPool(mapping: ResolvedMapping, source: SourceRuntime, sink: SinkRuntime, signal: AbortSignal): Promise<PoolPlan> {
  let actual: BackendSet | undefined;
  try {
    actual = await sink.pool({ pool: mapping.pool, allowEmpty: mapping.allowEmpty, options: mapping.sinkOptions }).observe(mapping.pool, signal);
  } catch (error) {
    return { mapping, kind: 'unreadable', error };
  }
  const action = poolAction(mapping, source.desired(sourceMapping(mapping)));
  if (action.kind === 'hold') return { mapping, kind: 'hold', actual };
  return { mapping, kind: 'apply', actual, desired: action.desired, diff: poolDiff(actual, action.desired) };
}
