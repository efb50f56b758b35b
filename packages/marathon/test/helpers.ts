/**
 * Shared helpers of the integration tests: start a simulator and a source against it, read pools as sorted
 * `address:port` lists, and tear everything down.
 */
import { type BackendSet, backendKey } from '@nitrox/core';
import { MarathonSource, type MarathonSourceOptions } from '../src/index.js';
import { type MarathonSimulator, type MarathonSimulatorOptions, startMarathonSimulator } from '../src/testing/index.js';

export interface Harness {
  readonly sim: MarathonSimulator;
  readonly source: MarathonSource;
  /** Full snapshots applied so far (the `snapshot` event): 2 once the snapshot after the first connect is in. */
  applied(): number;
  close(): Promise<void>;
}

/** Fast timings for tests over loopback. */
export const fast = {
  debounceMs: 20,
  maxWaitMs: 200,
  snapshotIntervalMs: 0,
  idleTimeoutMs: 5_000,
  backoff: { initialMs: 10, maxMs: 100 },
} as const satisfies Partial<MarathonSourceOptions>;

export async function harness(
  simOptions: MarathonSimulatorOptions = {},
  sourceOptions: Partial<MarathonSourceOptions> = {},
): Promise<Harness> {
  const sim = await startMarathonSimulator({ heartbeatMs: 0, ...simOptions });
  const source = new MarathonSource({ url: sim.url, ...fast, ...sourceOptions });
  source.on('error', () => undefined);
  let applied = 0;
  source.on('snapshot', () => applied++);
  return {
    sim,
    source,
    applied: () => applied,
    close: async () => {
      await source.stop();
      await sim.close();
    },
  };
}

/** The members of a pool as sorted `address:port` strings ([] when absent). */
export function members(set: BackendSet | undefined): string[] {
  return (set?.members ?? []).map(backendKey).sort();
}

/** The expected members of an app, straight from the simulator's task list. */
export async function expectedMembers(sim: MarathonSimulator, appId: string): Promise<string[]> {
  const res = await fetch(`${sim.url}/v2/apps${appId}/tasks`);
  const body = (await res.json()) as { tasks: { host: string; ports: number[]; state: string }[] };
  return body.tasks
    .filter((t) => t.state === 'TASK_RUNNING')
    .map((t) => `${t.host}:${t.ports[0]}`)
    .sort();
}
