/**
 * An in-memory stand-in for a manager's Engine API, shaped like the swarm source's client: mutable services,
 * tasks and nodes, an `/events` stream the test writes lines into, and a log of every request. For unit
 * tests on virtual time; the real Engine is covered by the testbed suite.
 */
import { PassThrough, type Readable } from 'node:stream';
import { SourceError } from '@nitrox/core';
import type { EngineEvent, SwarmNode, SwarmService, SwarmTask } from '../src/engine-types.js';

let index = 100;

/** A fake swarm with one node per address. */
export class FakeSwarm {
  readonly services = new Map<string, SwarmService>();
  readonly tasks = new Map<string, SwarmTask>();
  readonly nodes = new Map<string, SwarmNode>();
  readonly requests: string[] = [];
  readonly eventStreams: PassThrough[] = [];
  readonly eventSince: (bigint | undefined)[] = [];
  readonly #muted = new WeakSet<PassThrough>();
  /** When set, every request fails with it. */
  failWith: Error | undefined;
  /** When true, `events()` fails. */
  refuseEvents = false;

  constructor(nodeAddresses: readonly string[] = ['10.0.9.1', '10.0.9.2']) {
    nodeAddresses.forEach((addr, i) => {
      this.nodes.set(`node${i + 1}`, {
        ID: `node${i + 1}`,
        Version: { Index: ++index },
        Spec: { Role: i === 0 ? 'manager' : 'worker', Availability: 'active' },
        Status: { State: 'ready', Addr: addr },
      });
    });
  }

  /** A host-mode service with `replicas` running tasks spread over the nodes. */
  addService(name: string, replicas: number, labels: Record<string, string> = {}): string {
    const id = `svc-${name}`;
    this.services.set(id, {
      ID: id,
      Version: { Index: ++index },
      Spec: { Name: name, Labels: labels, Mode: { Replicated: { Replicas: replicas } } },
      Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 0, PublishMode: 'host' }] },
      ServiceStatus: { RunningTasks: replicas, DesiredTasks: replicas },
    });
    for (let slot = 1; slot <= replicas; slot++) this.setTask(id, slot, 'running');
    return id;
  }

  /** Create or change the task in `slot` of a service. */
  setTask(serviceId: string, slot: number, state: string, desired = 'running'): void {
    const nodeIds = [...this.nodes.keys()];
    const port = 30000 + slot;
    this.tasks.set(`${serviceId}.${slot}`, {
      ID: `${serviceId}.${slot}`,
      Version: { Index: ++index },
      ServiceID: serviceId,
      Slot: slot,
      NodeID: nodeIds[(slot - 1) % nodeIds.length] as string,
      DesiredState: desired,
      Status: { State: state, PortStatus: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: port, PublishMode: 'host' }] } },
    });
  }

  /** Change the desired replica count (tasks are changed separately). */
  scale(serviceId: string, replicas: number): void {
    const s = this.services.get(serviceId) as SwarmService;
    this.services.set(serviceId, {
      ...s,
      Version: { Index: ++index },
      Spec: { ...s.Spec, Mode: { Replicated: { Replicas: replicas } } },
      ServiceStatus: { RunningTasks: s.ServiceStatus?.RunningTasks ?? 0, DesiredTasks: replicas },
    });
    for (const [id, t] of this.tasks) if (t.ServiceID === serviceId && (t.Slot ?? 0) > replicas) this.tasks.delete(id);
  }

  /** Write a line (an object is JSON-encoded) to every open event stream. */
  emit(event: EngineEvent | string): void {
    const line = typeof event === 'string' ? event : JSON.stringify(event);
    for (const stream of this.eventStreams) if (!stream.destroyed && !this.#muted.has(stream)) stream.write(`${line}\n`);
  }

  /** Make every open event stream half-open: it stays connected but carries nothing more. */
  muteEvents(): void {
    for (const stream of this.eventStreams) this.#muted.add(stream);
  }

  serviceEvent(serviceId: string, action = 'update'): EngineEvent {
    return { Type: 'service', Action: action, Actor: { ID: serviceId, Attributes: { name: serviceId } }, scope: 'swarm', timeNano: Date.now() * 1e6 };
  }

  containerEvent(serviceId: string, action = 'start'): EngineEvent {
    return {
      Type: 'container',
      Action: action,
      Actor: { ID: `c${++index}`, Attributes: { 'com.docker.swarm.service.id': serviceId } },
      scope: 'local',
      timeNano: Date.now() * 1e6,
    };
  }

  /** End every open event stream (as a daemon restart or a proxy cut would). */
  cutEvents(): void {
    for (const stream of this.eventStreams) stream.end();
  }

  /** The client the swarm source is given. */
  readonly client = {
    services: async (_signal: AbortSignal, filters?: Record<string, string[]>): Promise<SwarmService[]> => {
      this.#request(`services${filters?.id ? `:${filters.id.join(',')}` : ''}`);
      const all = [...this.services.values()].map((s) => this.#withStatus(s));
      return filters?.id ? all.filter((s) => filters.id?.includes(s.ID as string)) : all;
    },
    tasks: async (_signal: AbortSignal, serviceIds?: readonly string[]): Promise<SwarmTask[]> => {
      this.#request(`tasks${serviceIds ? `:${serviceIds.join(',')}` : ''}`);
      // Like dockerd: a filter naming a service that does not exist is a 404.
      const missing = serviceIds?.find((id) => !this.services.has(id));
      if (missing !== undefined) throw new SourceError(`service ${missing} not found`, { status: 404 });
      return [...this.tasks.values()].filter((t) => t.DesiredState === 'running' && (!serviceIds || serviceIds.includes(t.ServiceID as string)));
    },
    nodes: async (): Promise<SwarmNode[]> => {
      this.#request('nodes');
      return [...this.nodes.values()];
    },
    events: async (_signal: AbortSignal, options: { sinceNano?: bigint }): Promise<Readable> => {
      this.#request('events');
      if (this.refuseEvents) throw new SourceError('events refused (test)');
      const stream = new PassThrough();
      this.eventStreams.push(stream);
      this.eventSince.push(options.sinceNano);
      return stream;
    },
  };

  #request(what: string): void {
    this.requests.push(what);
    if (this.failWith !== undefined) throw this.failWith;
  }

  #withStatus(s: SwarmService): SwarmService {
    const running = [...this.tasks.values()].filter((t) => t.ServiceID === s.ID && t.Status?.State === 'running').length;
    return { ...s, ServiceStatus: { RunningTasks: running, DesiredTasks: s.ServiceStatus?.DesiredTasks ?? 0 } };
  }
}
