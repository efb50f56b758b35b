/**
 * The source's local copy of swarm objects: services, their desired-running tasks, and nodes, by ID. Each
 * object carries `Version.Index` (the raft index of its last update), so an update replaces a cached object
 * only when the index moved, and reports exactly which services need their backend set derived again:
 * a changed service, a changed task list of a service, or (for any node change) every service, since a
 * node's address, availability or state feeds every publish mode. Deriving only the affected services keeps
 * a 50-task rolling update from re-projecting the whole swarm on every pass.
 */
import type { SwarmNode, SwarmService, SwarmTask } from './engine-types.js';

/** What an update changed. */
export interface StateChange {
  /** IDs of services whose backend set must be derived again (including removed ones). */
  readonly services: ReadonlySet<string>;
  /** Whether any node changed. */
  readonly nodes: boolean;
}

/** Cached swarm objects with Version.Index change detection. */
export class SwarmState {
  /** Services by ID. */
  readonly services = new Map<string, SwarmService>();
  /** Desired-running tasks by service ID. */
  readonly tasks = new Map<string, readonly SwarmTask[]>();
  /** Nodes by ID. */
  readonly nodes = new Map<string, SwarmNode>();
  readonly #taskSignatures = new Map<string, string>();

  /** Replace everything with a full read. */
  replaceAll(services: readonly SwarmService[], tasks: readonly SwarmTask[], nodes: readonly SwarmNode[]): StateChange {
    const affected = new Set<string>();
    const seen = new Set<string>();
    const grouped = groupTasks(tasks);
    for (const service of services) {
      if (service.ID === undefined) continue;
      seen.add(service.ID);
      if (this.#putService(service.ID, service, grouped.get(service.ID) ?? [])) affected.add(service.ID);
    }
    for (const id of [...this.services.keys()]) {
      if (!seen.has(id)) {
        this.#removeService(id);
        affected.add(id);
      }
    }
    const nodesChanged = this.replaceNodes(nodes);
    if (nodesChanged) for (const id of this.services.keys()) affected.add(id);
    return { services: affected, nodes: nodesChanged };
  }

  /**
   * Replace the services `ids` with a targeted read: `services` are those of them that still exist,
   * `tasks` their desired-running tasks. A requested ID absent from `services` was removed.
   */
  replaceServices(ids: Iterable<string>, services: readonly SwarmService[], tasks: readonly SwarmTask[]): StateChange {
    const affected = new Set<string>();
    const grouped = groupTasks(tasks);
    const found = new Map<string, SwarmService>();
    for (const service of services) if (service.ID !== undefined) found.set(service.ID, service);
    for (const id of ids) {
      const service = found.get(id);
      if (service === undefined) {
        if (this.services.has(id)) {
          this.#removeService(id);
          affected.add(id);
        }
      } else if (this.#putService(id, service, grouped.get(id) ?? [])) {
        affected.add(id);
      }
    }
    return { services: affected, nodes: false };
  }

  /** Replace the node list; true when any node was added, removed or changed. */
  replaceNodes(nodes: readonly SwarmNode[]): boolean {
    let changed = false;
    const seen = new Set<string>();
    for (const node of nodes) {
      if (node.ID === undefined) continue;
      seen.add(node.ID);
      const cached = this.nodes.get(node.ID);
      if (cached === undefined || !sameVersion(cached, node)) {
        this.nodes.set(node.ID, node);
        changed = true;
      }
    }
    for (const id of [...this.nodes.keys()]) {
      if (!seen.has(id)) {
        this.nodes.delete(id);
        changed = true;
      }
    }
    return changed;
  }

  #putService(id: string, service: SwarmService, tasks: readonly SwarmTask[]): boolean {
    const cached = this.services.get(id);
    const signature = taskSignature(tasks);
    const serviceChanged = cached === undefined || !sameVersion(cached, service) || !sameStatus(cached, service);
    const tasksChanged = this.#taskSignatures.get(id) !== signature;
    if (serviceChanged) this.services.set(id, service);
    if (tasksChanged) {
      this.tasks.set(id, tasks);
      this.#taskSignatures.set(id, signature);
    }
    return serviceChanged || tasksChanged;
  }

  #removeService(id: string): void {
    this.services.delete(id);
    this.tasks.delete(id);
    this.#taskSignatures.delete(id);
  }
}

function groupTasks(tasks: readonly SwarmTask[]): Map<string, SwarmTask[]> {
  const grouped = new Map<string, SwarmTask[]>();
  for (const task of tasks) {
    if (task.ServiceID === undefined) continue;
    const list = grouped.get(task.ServiceID);
    if (list === undefined) grouped.set(task.ServiceID, [task]);
    else list.push(task);
  }
  return grouped;
}

/** Objects without an index are always treated as changed. */
function sameVersion(a: { Version?: { Index?: number } }, b: { Version?: { Index?: number } }): boolean {
  return a.Version?.Index !== undefined && a.Version.Index === b.Version?.Index;
}

/** ServiceStatus (running/desired counts) is computed, not versioned: compare it too. */
function sameStatus(a: SwarmService, b: SwarmService): boolean {
  return a.ServiceStatus?.RunningTasks === b.ServiceStatus?.RunningTasks && a.ServiceStatus?.DesiredTasks === b.ServiceStatus?.DesiredTasks;
}

/** Task identity and version, order-independent; a task changes state only with a new index. */
function taskSignature(tasks: readonly SwarmTask[]): string {
  return tasks
    .map((t) => `${t.ID ?? '?'}@${t.Version?.Index ?? '?'}:${t.Status?.State ?? '?'}`)
    .sort()
    .join(',');
}
