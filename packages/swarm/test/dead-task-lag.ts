/**
 * Measuring how long a killed task stays in the pool, on a real testbed swarm: kill one container of a
 * service on a node, probe the manager's `/tasks` every 20 ms for the moment it stops listing that task as
 * running, and watch the source for the moment its set loses a member; the lag is the difference. The
 * service must restart tasks slowly (`restartDelayMs` of a few seconds), so the first change of the set after
 * the kill is the removal, not the replacement. Shared by the real-swarm test and bench/swarm.ts.
 */
import type { BackendSet } from '@nitrox/core';
import type { SwarmSource } from '../src/swarm-source.js';
import type { SwarmPass } from '../src/swarm-source-options.js';
import { killTask, type SwarmTestbed, type TestbedNode, taskListedRunning, waitFor } from '../src/testing/index.js';

/** One kill. */
export interface KillSample {
  readonly node: string;
  /** From the kill until the manager stopped listing the task as running. */
  readonly apiMs: number;
  /** From the kill until the source's set lost the member. */
  readonly poolMs: number;
  /** `poolMs - apiMs`: the source's own lag. */
  readonly lagMs: number;
  /** The kind of the pass that removed it. */
  readonly noticedBy: SwarmPass['kind'] | 'unknown';
}

const key = (set: BackendSet | undefined): string => (set?.members ?? []).map((m) => `${m.address}:${m.port}`).join(',');

/** Wait until `service` has `replicas` members and the manager lists as many running tasks. */
export async function steady(tb: SwarmTestbed, source: SwarmSource, service: string, replicas: number): Promise<void> {
  await waitFor(
    async () => {
      if (source.get(service)?.value.members.length !== replicas) return undefined;
      const tasks = (await tb.manager.docker.listTasks({ filters: { service: [service], 'desired-state': ['running'] } })) as {
        Status?: { State?: string };
      }[];
      return tasks.length === replicas && tasks.every((t) => t.Status?.State === 'running') ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50, what: `${service} steady at ${replicas}` },
  );
}

/** Kill one task of `service` on `node` and measure; returns once the set has `replicas` members again. */
export async function killAndMeasure(tb: SwarmTestbed, source: SwarmSource, service: string, node: TestbedNode, replicas: number): Promise<KillSample> {
  await steady(tb, source, service, replicas);
  const before = key(source.get(service)?.value);
  let noticedBy: KillSample['noticedBy'] = 'unknown';
  const onPass = (pass: SwarmPass): void => {
    if (noticedBy === 'unknown' && pass.changed.includes(service) && key(source.get(service)?.value) !== before) noticedBy = pass.kind;
  };
  source.on('pass', onPass);
  try {
    const t0 = performance.now();
    const { taskId } = await killTask(node, service);
    const [apiAt, poolAt] = await Promise.all([
      waitFor(async () => ((await taskListedRunning(tb, taskId)) ? undefined : performance.now()), { intervalMs: 20, timeoutMs: 60_000, what: 'API drops the task' }),
      waitFor(() => (key(source.get(service)?.value) === before ? undefined : performance.now()), { intervalMs: 2, timeoutMs: 60_000, what: 'pool drops the member' }),
    ]);
    const apiMs = Math.round(apiAt - t0);
    const poolMs = Math.round(poolAt - t0);
    return { node: node.name, apiMs, poolMs, lagMs: poolMs - apiMs, noticedBy };
  } finally {
    source.off('pass', onPass);
  }
}

/** Median of numbers (rounded). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return Math.round(s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2);
}
