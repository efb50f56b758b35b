/**
 * The Engine API requests of one pass of the swarm source, made in parallel: a full read (services with
 * status, desired-running tasks, nodes: three requests), or a targeted one (the dirty services and their
 * tasks, the nodes when a node changed, and the task poll of the selected services), each at most one
 * request however many services it names. `GET /tasks` answers 404 when a filter names a service that no
 * longer exists: the targeted read then asks again for the services that still exist, and a task poll
 * reports `undefined` (the caller reads everything again).
 */
import { type EngineClient, undefinedIfNotFound } from './engine-client.js';
import type { SwarmNode, SwarmService, SwarmTask } from './engine-types.js';

/** The client calls a pass needs. */
export type SwarmReader = Pick<EngineClient, 'services' | 'tasks' | 'nodes'>;

/** Wraps every request (the source counts them). */
export type RequestCounter = <T>(request: Promise<T>) => Promise<T>;

/** Everything, for a full pass. */
export function readFull(
  client: SwarmReader,
  signal: AbortSignal,
  count: RequestCounter,
): Promise<[SwarmService[], SwarmTask[], SwarmNode[]]> {
  return Promise.all([count(client.services(signal)), count(client.tasks(signal)), count(client.nodes(signal))]);
}

/** What a targeted pass asks for. */
export interface TargetedRead {
  /** Services to read with their tasks. */
  readonly ids: readonly string[];
  /** Read the node list too. */
  readonly nodes: boolean;
  /** Task poll: `all` (no service filter), some service IDs, or none. */
  readonly polled: readonly string[] | 'all' | undefined;
}

/** The answers of a targeted pass. */
export interface TargetedAnswer {
  readonly services: SwarmService[];
  readonly tasks: SwarmTask[];
  readonly nodes: SwarmNode[] | undefined;
  /** The task poll's tasks; `undefined` when a polled service no longer exists (404) or nothing was polled. */
  readonly polledTasks: SwarmTask[] | undefined;
}

/** The requests of a targeted pass. */
export async function readTargeted(client: SwarmReader, read: TargetedRead, signal: AbortSignal, count: RequestCounter): Promise<TargetedAnswer> {
  const { ids, polled } = read;
  const none = <T>(): Promise<T[]> => Promise.resolve([]);
  const [services, maybeTasks, nodes, polledTasks] = await Promise.all([
    ids.length > 0 ? count(client.services(signal, { id: [...ids] })) : none<SwarmService>(),
    ids.length > 0 ? count(client.tasks(signal, ids).catch(undefinedIfNotFound)) : none<SwarmTask>(),
    read.nodes ? count(client.nodes(signal)) : Promise.resolve(undefined),
    polled === undefined || (polled !== 'all' && polled.length === 0)
      ? Promise.resolve(polled === undefined ? undefined : [])
      : count(client.tasks(signal, polled === 'all' ? undefined : polled).catch(undefinedIfNotFound)),
  ]);
  const existing = services.map((s) => s.ID).filter((id): id is string => id !== undefined && ids.includes(id));
  const tasks = maybeTasks ?? (existing.length > 0 ? await count(client.tasks(signal, existing)) : []);
  return { services, tasks, nodes, polledTasks };
}
