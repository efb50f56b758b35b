/**
 * The source's local copy of swarm objects: services, their desired-running tasks, and nodes, by ID. Each
 * object carries `Version.Index` (the raft index of its last update), so an update replaces a cached object
 * only when the index moved, and reports exactly which services need their backend set derived again:
 * a changed service, a changed task list of a service, or (for any node change) every service, since a
 * node's address, availability or state feeds every publish mode. Deriving only the affected services keeps
 * a 50-task rolling update from re-projecting the whole swarm on every pass. A running task that comes back
 * without its published ports (after a manager restart) keeps the ones it had.
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

  /**
   * Replace the desired-running tasks of the services `ids` (a task poll). Tasks of services not cached yet
   * are returned as `unknown` (they need a service read), those of other services are ignored.
   */
  replaceTasks(ids: Iterable<string>, tasks: readonly SwarmTask[]): StateChange & { readonly unknown: ReadonlySet<string> } {
    const affected = new Set<string>();
    const unknown = new Set<string>();
    const grouped = groupTasks(tasks);
    for (const serviceId of grouped.keys()) if (!this.services.has(serviceId)) unknown.add(serviceId);
    for (const id of ids) {
      const service = this.services.get(id);
      if (service !== undefined && this.#putService(id, service, grouped.get(id) ?? [])) affected.add(id);
    }
    return { services: affected, nodes: false, unknown };
  }

  #putService(id: string, service: SwarmService, fresh: readonly SwarmTask[]): boolean {
    const cached = this.services.get(id);
    const tasks = keepKnownPorts(fresh, this.tasks.get(id) ?? []);
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

/**
 * After a manager restart, dockerd 20.10 lists some running tasks with an empty `Status.PortStatus` for 20 s
 * to over a minute while their containers keep serving on the same published port. A running task that
 * reports no ports keeps the ports it last reported, as long as it is the same task on the same node.
 */
function keepKnownPorts(fresh: readonly SwarmTask[], cached: readonly SwarmTask[]): readonly SwarmTask[] {
  if (cached.length === 0) return fresh;
  let byId: Map<string, SwarmTask> | undefined;
  return fresh.map((task) => {
    if (task.Status?.State !== 'running' || (task.Status.PortStatus?.Ports?.length ?? 0) > 0 || task.ID === undefined) return task;
    byId ??= new Map(cached.filter((t) => t.ID !== undefined).map((t) => [t.ID as string, t]));
    const known = byId.get(task.ID);
    const ports = known?.Status?.PortStatus?.Ports;
    if (known === undefined || known.NodeID !== task.NodeID || ports === undefined || ports.length === 0) return task;
    return { ...task, Status: { ...task.Status, PortStatus: { Ports: ports } } };
  });
}

/** Objects without an index are always treated as changed. */
function sameVersion(a: { Version?: { Index?: number } }, b: { Version?: { Index?: number } }): boolean {
  return a.Version?.Index !== undefined && a.Version.Index === b.Version?.Index;
}

/** ServiceStatus (running/desired counts) is computed, not versioned: compare it too. */
function sameStatus(a: SwarmService, b: SwarmService): boolean {
  return a.ServiceStatus?.RunningTasks === b.ServiceStatus?.RunningTasks && a.ServiceStatus?.DesiredTasks === b.ServiceStatus?.DesiredTasks;
}

/**
 * Digest of a service's task list: identity, version, state, node and published ports, order-independent. A
 * poll whose digest equals the cached one changes nothing and derives nothing. Ports are part of it because a
 * remembered port (see keepKnownPorts) may sit on a task whose index did not move.
 */
function taskSignature(tasks: readonly SwarmTask[]): string {
  return tasks
    .map(
      (t) =>
        `${t.ID ?? '?'}@${t.Version?.Index ?? '?'}:${t.Status?.State ?? '?'}:${t.DesiredState ?? '?'}:${t.NodeID ?? '?'}:${(t.Status?.PortStatus?.Ports ?? [])
          .map((p) => `${p.TargetPort}/${p.PublishedPort}`)
          .join('+')}`,
    )
    .sort()
    .join(',');
}
