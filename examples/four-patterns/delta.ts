/**
 * The delta pattern, built on the core's `diff`: on every change the orchestrator sends only what differs from
 * the last state the agent acknowledged (so a lost delta is folded into the next one), without waiting for the
 * previous delta's answer. The agent applies each delta as it comes, with no version to check. What breaks it
 * is reordering: a delta that reaches the agent after a newer one writes older values back, the newer one's
 * acknowledgement has already moved the base past them, and nothing sends them again — silent divergence. And
 * when the last delta is lost, nothing follows to repair it.
 */
import { diff, type Versioned } from '@nitrox/core';
import type { StartPattern } from './harness.js';

interface WireDelta {
  readonly set: [string, number][];
  readonly removed: string[];
}

/** Delta: send `diff(acknowledged, current)` on every change; apply deltas blindly. */
export const delta: StartPattern = async (context) => {
  const { store, actual, traffic } = context;
  let acknowledged = new Map<string, Versioned<number>>();
  let acknowledgedAt = 0;
  const url = await context.agentServer((_path, body) => {
    const { set, removed } = body as WireDelta;
    traffic.items += set.length + removed.length;
    for (const [key, value] of set) actual.set(key, value);
    for (const key of removed) actual.delete(key);
  });
  return {
    onChange() {
      const revision = Number(store.revision);
      const current = new Map(Array.from(store.values(), (item) => [item.key, item]));
      const { added, updated, removed } = diff(acknowledged, current);
      const body: WireDelta = {
        set: [...added, ...updated].map((i): [string, number] => [i.key, i.value]),
        removed: removed.map((i) => i.key),
      };
      void context.push(`${url}/delta`, body).then((ok) => {
        if (ok && revision > acknowledgedAt) {
          acknowledged = current;
          acknowledgedAt = revision;
        }
      });
    },
    async stop() {},
  };
};
