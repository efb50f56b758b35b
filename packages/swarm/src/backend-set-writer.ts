/**
 * Writes derived backend sets into the source's store: for each affected service, select it (names/labels),
 * project it from the cached service, its tasks and the nodes, and put the set only when its members really
 * changed (so a read that finds nothing new wakes nobody). It remembers which key each service wrote, so a
 * renamed or deselected service deletes its old set, and which services are selected, for the task poll.
 */
import type { BackendSet, MemoryStore } from '@nitrox/core';
import { ambiguousPorts, type ProjectionOptions, projectService, sameBackendSet } from './backend-projection.js';
import type { SwarmNode, SwarmService } from './engine-types.js';
import { type ServiceSelector, selects } from './swarm-source-options.js';
import type { SwarmState } from './swarm-state.js';

/** Derives and stores the backend sets of swarm services. */
export class BackendSetWriter {
  readonly #store: MemoryStore<BackendSet>;
  readonly #options: ProjectionOptions & { readonly select?: ServiceSelector | undefined };
  readonly #keyOf = new Map<string, string>();
  readonly #warned = new Map<string, number | undefined>();
  readonly #onAmbiguous: (service: string, targetPorts: number[]) => void;

  /** @param onAmbiguous - told once per service version that publishes several TCP ports and labels none. */
  constructor(
    store: MemoryStore<BackendSet>,
    options: ProjectionOptions & { readonly select?: ServiceSelector | undefined },
    onAmbiguous: (service: string, targetPorts: number[]) => void = () => {},
  ) {
    this.#store = store;
    this.#options = options;
    this.#onAmbiguous = onAmbiguous;
  }

  /** IDs of the services that currently have a set. */
  selectedIds(): IterableIterator<string> {
    return this.#keyOf.keys();
  }

  /** Derive the sets of `serviceIds` and write the ones that changed; returns the changed keys. */
  write(serviceIds: Iterable<string>, state: SwarmState, nodes: ReadonlyMap<string, SwarmNode>): string[] {
    const changed: string[] = [];
    for (const id of new Set(serviceIds)) {
      const service = state.services.get(id);
      const name = service?.Spec?.Name;
      const set =
        service !== undefined && name !== undefined && selects(this.#options.select, name, service.Spec?.Labels ?? {})
          ? projectService(service, state.tasks.get(id) ?? [], nodes, this.#options)
          : undefined;
      const oldKey = this.#keyOf.get(id);
      if (oldKey !== undefined && oldKey !== set?.name && this.#store.delete(oldKey) !== undefined) changed.push(oldKey);
      if (set === undefined || service === undefined) {
        this.#keyOf.delete(id);
        this.#warned.delete(id);
        continue;
      }
      this.#warnIfAmbiguous(id, set.name, service);
      this.#keyOf.set(id, set.name);
      const current = this.#store.get(set.name);
      if (current === undefined || !sameBackendSet(current.value, set)) {
        this.#store.put(set.name, set);
        changed.push(set.name);
      }
    }
    return changed;
  }

  #warnIfAmbiguous(id: string, name: string, service: SwarmService): void {
    const version = service.Version?.Index;
    if (this.#warned.has(id) && this.#warned.get(id) === version) return;
    const ports = ambiguousPorts(service, this.#options);
    if (ports === undefined) {
      this.#warned.delete(id);
      return;
    }
    this.#warned.set(id, version);
    this.#onAmbiguous(name, ports);
  }
}
