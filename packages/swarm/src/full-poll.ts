/**
 * The swarm source's full polls: core Pollers at a fixed period (grow and shrink factor 1) that read
 * everything. One runs every `pollIntervalMs` while the event stream is healthy, one every `fallbackPollMs`
 * while it is down; each reads at once when it takes over, adds jitter, and backs off by doubling up to 30 s
 * while full reads fail (the Poller's error backoff), so a restarting manager is not hammered.
 */
import { type Clock, type PollResult, Poller } from '@nitrox/core';

/** A fixed-period full poller around `fetch`. */
export function fullPoller(
  fetch: () => Promise<PollResult<true>>,
  everyMs: number,
  options: { readonly jitter: number; readonly clock: Clock; readonly random?: (() => number) | undefined },
): Poller<true> {
  return new Poller({
    fetch,
    intervalMs: everyMs,
    minIntervalMs: everyMs,
    maxIntervalMs: Math.max(everyMs, 30_000),
    growFactor: 1,
    shrinkFactor: 1,
    jitter: options.jitter,
    clock: options.clock,
    ...(options.random ? { random: options.random } : {}),
  });
}
