/**
 * Projection of one swarm service (with its tasks and the swarm's nodes) to the `BackendSet` a load balancer
 * needs. Only tasks that are both desired and actually `running` count, and only on nodes that are ready and
 * not drained. The publish mode decides the members: `host` → each task's node address : the task's
 * published port (PortStatus lists it twice, for 0.0.0.0 and ::, so members are de-duplicated); `ingress` →
 * every ready, active node : the published port (or, with `ingressNodes: 'running'`, only nodes running a
 * task, as the original Nitrox did for Kubernetes NodePorts); `task` (dnsrr or VIP on an overlay, nothing
 * published) → each task's network address without the /prefix : the target port. Ports come from the
 * service's current spec (see {@link currentPorts}). Service labels can pick the port (`nitrox.port`: a target
 * port number or a port name), the network (`nitrox.network`) and force the mode (`nitrox.mode`).
 */
import { type Backend, type BackendSet, normalizeBackendSet } from '@nitrox/core';
import type { PortConfig, SwarmNode, SwarmService, SwarmTask } from './engine-types.js';
import { nodeAddress, nodeServesIngress, nodeServesTasks } from './node-address.js';

/** How members are derived from a service. */
export type PublishModeChoice = 'host' | 'ingress' | 'task';

/** Options of {@link projectService}. */
export interface ProjectionOptions {
  /** Ingress mode pool: every ready, active node, or only those running a task of the service. @defaultValue 'all' */
  readonly ingressNodes?: 'all' | 'running';
  /**
   * Service label choosing the port when a service has several (or none published): a target port number
   * (`8080`) or the `Name` of one of its ports (`http`). @defaultValue 'nitrox.port'
   */
  readonly portLabel?: string;
  /** Service label naming the network whose task addresses `task` mode uses. @defaultValue 'nitrox.network' */
  readonly networkLabel?: string;
  /** Service label forcing the mode (`host`, `ingress` or `task`). @defaultValue 'nitrox.mode' */
  readonly modeLabel?: string;
  /** Target port for `task` mode when the service neither publishes one nor carries the port label. */
  readonly defaultTargetPort?: number;
}

/** Defaults of {@link ProjectionOptions}. */
export const projectionDefaults = {
  ingressNodes: 'all',
  portLabel: 'nitrox.port',
  networkLabel: 'nitrox.network',
  modeLabel: 'nitrox.mode',
} as const;

/** A task that serves: desired and actual state `running`. */
export function taskIsRunning(task: SwarmTask): boolean {
  return task.DesiredState === 'running' && task.Status?.State === 'running';
}

/**
 * The backend set of `service`, or `undefined` when no port can be determined for it (nothing published,
 * no port label, no default) or it has no name.
 *
 * @param tasks - the service's tasks (others are ignored).
 * @param nodes - every node of the swarm, by ID.
 */
export function projectService(
  service: SwarmService,
  tasks: Iterable<SwarmTask>,
  nodes: ReadonlyMap<string, SwarmNode>,
  options: ProjectionOptions = {},
): BackendSet | undefined {
  const name = service.Spec?.Name;
  if (name === undefined || name === '' || service.ID === undefined) return undefined;
  const labels = service.Spec?.Labels ?? {};
  const choice = choosePort(service, labels[options.portLabel ?? projectionDefaults.portLabel], options.defaultTargetPort);
  if (choice === undefined) return undefined;
  const forced = labels[options.modeLabel ?? projectionDefaults.modeLabel];
  const mode: PublishModeChoice = forced === 'host' || forced === 'ingress' || forced === 'task' ? forced : choice.mode;
  const running = [...tasks].filter((t) => t.ServiceID === service.ID && taskIsRunning(t));
  const members: Backend[] = [];
  if (mode === 'host') {
    for (const task of running) {
      const node = nodes.get(task.NodeID ?? '');
      const address = nodeServesTasks(node) ? nodeAddress(node) : undefined;
      if (address === undefined) continue;
      const published = (task.Status?.PortStatus?.Ports ?? []).filter(
        (port) => port.TargetPort === choice.targetPort && sameProtocol(port, choice.protocol) && validPort(port.PublishedPort),
      );
      for (const port of published) members.push({ address, port: port.PublishedPort as number });
      // A fixed host port is the same for every task: usable even while the manager reports no PortStatus.
      if (published.length === 0 && choice.publishedPort !== undefined) members.push({ address, port: choice.publishedPort });
    }
  } else if (mode === 'ingress') {
    if (choice.publishedPort === undefined) return { name, members: [] };
    const wanted = (options.ingressNodes ?? projectionDefaults.ingressNodes) === 'running' ? new Set(running.map((t) => t.NodeID)) : undefined;
    for (const [id, node] of nodes) {
      if (!nodeServesIngress(node) || (wanted !== undefined && !wanted.has(id))) continue;
      const address = nodeAddress(node);
      if (address !== undefined) members.push({ address, port: choice.publishedPort });
    }
  } else {
    const network = labels[options.networkLabel ?? projectionDefaults.networkLabel];
    for (const task of running) {
      if (!nodeServesTasks(nodes.get(task.NodeID ?? ''))) continue;
      const address = taskAddress(task, network);
      if (address !== undefined) members.push({ address, port: choice.targetPort });
    }
  }
  return normalizeBackendSet({ name, members });
}

interface PortChoice {
  readonly mode: PublishModeChoice;
  readonly targetPort: number;
  readonly publishedPort?: number;
  readonly protocol: string;
}

/**
 * The ports a service publishes now: its *current* spec (`Spec.EndpointSpec.Ports`), with the published port
 * the manager assigned (`Endpoint.Ports`) filled in where the spec leaves it open. `Endpoint.Ports` alone is
 * not the truth: after `--publish-rm 8080 --publish-add target=9090` dockerd 20.10 keeps the removed host-mode
 * entry there. Only a service whose spec carries no endpoint spec at all falls back to `Endpoint.Ports`.
 */
export function currentPorts(service: SwarmService): readonly PortConfig[] {
  const spec = service.Spec?.EndpointSpec;
  const assigned = service.Endpoint?.Ports ?? [];
  if (spec === undefined) return assigned;
  return (spec.Ports ?? []).map((port) => {
    if (validPort(port.PublishedPort)) return port;
    const match = assigned.find(
      (a): a is PortConfig & { PublishedPort: number } =>
        a.TargetPort === port.TargetPort &&
        (a.Protocol ?? 'tcp') === (port.Protocol ?? 'tcp') &&
        (a.PublishMode ?? 'ingress') === (port.PublishMode ?? 'ingress') &&
        validPort(a.PublishedPort),
    );
    return match === undefined ? port : { ...port, PublishedPort: match.PublishedPort };
  });
}

/**
 * The distinct TCP target ports a service publishes when it names none with the port label and has more than
 * one, else `undefined`. The source then balances on the first in the spec (the docker CLI sorts them by
 * target port) and reports the ambiguity: `docker service update --publish-rm 8080` removes only an *ingress*
 * 8080, so after `--publish-add mode=host,target=9090` the spec still holds host-mode 8080 as well.
 */
export function ambiguousPorts(service: SwarmService, options: ProjectionOptions = {}): number[] | undefined {
  const label = service.Spec?.Labels?.[options.portLabel ?? projectionDefaults.portLabel];
  if (label !== undefined && label.trim() !== '') return undefined;
  const ports = [...new Set(currentPorts(service).filter((p) => (p.Protocol ?? 'tcp') === 'tcp' && validPort(p.TargetPort)).map((p) => p.TargetPort as number))];
  return ports.length > 1 ? ports : undefined;
}

/**
 * Pick the port a service is balanced on. The port label names a target port (`8080`) or a port by its
 * `Name` (`http`); without it, the first TCP port of the current spec; with nothing published, `task` mode
 * on the labelled target port or `defaultTargetPort`.
 */
function choosePort(service: SwarmService, label: string | undefined, defaultTargetPort: number | undefined): PortChoice | undefined {
  const ports = currentPorts(service);
  const wanted = label === undefined || label.trim() === '' ? undefined : label.trim();
  const labelledNumber = wanted !== undefined && /^\d+$/.test(wanted) ? Number(wanted) : undefined;
  const candidates = ports.filter(
    (p) => validPort(p.TargetPort) && (wanted === undefined || (labelledNumber !== undefined ? p.TargetPort === labelledNumber : p.Name === wanted)),
  );
  const port = candidates.find((p) => (p.Protocol ?? 'tcp') === 'tcp') ?? candidates[0];
  if (port !== undefined && port.TargetPort !== undefined) {
    const mode: PublishModeChoice = port.PublishMode === 'host' ? 'host' : 'ingress';
    return {
      mode,
      targetPort: port.TargetPort,
      ...(validPort(port.PublishedPort) ? { publishedPort: port.PublishedPort } : {}),
      protocol: port.Protocol ?? 'tcp',
    };
  }
  const target = (labelledNumber !== undefined && validPort(labelledNumber) ? labelledNumber : undefined) ?? defaultTargetPort;
  return target === undefined || !validPort(target) ? undefined : { mode: 'task', targetPort: target, protocol: 'tcp' };
}

/** The task's address on `network` (name or ID), else on its first non-ingress network; without /prefix. */
function taskAddress(task: SwarmTask, network: string | undefined): string | undefined {
  for (const attachment of task.NetworksAttachments ?? []) {
    const net = attachment.Network;
    const isIngress = net?.Spec?.Ingress === true || net?.Spec?.Name === 'ingress';
    if (network === undefined ? isIngress : net?.Spec?.Name !== network && net?.ID !== network) continue;
    const cidr = attachment.Addresses?.[0];
    if (cidr !== undefined && cidr !== '') return cidr.split('/')[0];
  }
  return undefined;
}

/** Equality of two normalized sets (same name, same members in the same order). */
export function sameBackendSet(a: BackendSet, b: BackendSet): boolean {
  if (a.name !== b.name || a.members.length !== b.members.length) return false;
  return a.members.every((m, i) => {
    const n = b.members[i];
    return n !== undefined && m.address === n.address && m.port === n.port && m.weight === n.weight;
  });
}

function sameProtocol(port: PortConfig, protocol: string): boolean {
  return (port.Protocol ?? 'tcp') === protocol;
}

function validPort(port: number | undefined): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536;
}
