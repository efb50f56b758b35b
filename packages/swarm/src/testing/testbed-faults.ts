/**
 * Faults and changes for tests on a {@link SwarmTestbed}, through the Engine API as an operator would cause
 * them: kill a task's container on a given node (swarm then replaces the task after its restart delay), and
 * ask the manager whether it still lists a task as running.
 */
import type { SwarmTestbed, TestbedNode } from './swarm-testbed.js';

/** The task killed by {@link killTask}. */
export interface KilledTask {
  /** Swarm task ID (label `com.docker.swarm.task.id`). */
  readonly taskId: string;
  /** Its container's ID on the node. */
  readonly containerId: string;
}

/** SIGKILL one running container of service `service` on `node` (`docker kill` on that node's Engine). */
export async function killTask(node: TestbedNode, service: string, avoid: ReadonlySet<string> = new Set()): Promise<KilledTask> {
  const containers = (await node.docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${service}`] } })) as {
    Id: string;
    Labels: Record<string, string>;
  }[];
  const target = containers.find((c) => !avoid.has(c.Labels['com.docker.swarm.task.id'] ?? ''));
  if (target === undefined) throw new Error(`no running container of ${service} on ${node.name}`);
  await node.docker.getContainer(target.Id).kill();
  return { taskId: target.Labels['com.docker.swarm.task.id'] as string, containerId: target.Id };
}

/** Whether the manager still lists task `taskId` as desired and actually running. */
export async function taskListedRunning(tb: SwarmTestbed, taskId: string): Promise<boolean> {
  const tasks = (await tb.manager.docker.listTasks({ filters: { id: [taskId] } })) as { ID?: string; DesiredState?: string; Status?: { State?: string } }[];
  const task = tasks.find((t) => t.ID === taskId);
  return task !== undefined && task.DesiredState === 'running' && task.Status?.State === 'running';
}
