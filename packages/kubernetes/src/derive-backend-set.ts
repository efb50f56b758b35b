/**
 * The pure rule that turns one Service, its endpoints and the nodes into a `BackendSet`: in `pod` mode the
 * ready endpoint addresses with the target port of the chosen service port; in `nodeport` mode the address of
 * every node that runs a ready endpoint, with the service's nodePort, skipping nodes that are not Ready or are
 * excluded from external load balancers. Not-ready endpoints count when the Service sets
 * `publishNotReadyAddresses` or the caller asks for them.
 */
import { type Backend, type BackendSet, normalizeBackendSet } from '@nitrox/core';
import { type EndpointGroup, type NodeInfo, type ServiceInfo, type ServicePortInfo, splitList } from './kube-model.js';

/** How backends are addressed. */
export type BackendMode = 'pod' | 'nodeport';

/** Options of {@link deriveBackendSet}. */
export interface DeriveOptions {
  /** `pod`: endpoint address : target port; `nodeport`: node address : nodePort. */
  readonly mode: BackendMode;
  /** Service port to use, by name; `undefined` takes the first port. */
  readonly portName: string | undefined;
  /** Node address used in `nodeport` mode. */
  readonly nodeAddressType: 'InternalIP' | 'ExternalIP';
  /** Include endpoints that are not ready. */
  readonly includeNotReady: boolean;
  /** The BackendSet name of a service. */
  readonly nameOf: (service: ServiceInfo) => string;
}

/** The service port a backend set uses, or `undefined` when the service has no such port. */
export function selectPort(service: ServiceInfo, portName: string | undefined): ServicePortInfo | undefined {
  return portName === undefined ? service.ports[0] : service.ports.find((p) => p.name === portName);
}

function groupPort(group: EndpointGroup, port: ServicePortInfo, singlePort: boolean): number | undefined {
  const match = group.ports.find((p) => p.name === port.name);
  if (match !== undefined) return match.port;
  // A single-port service's endpoints may leave the port unnamed.
  return singlePort && group.ports.length === 1 ? group.ports[0]?.port : undefined;
}

/**
 * Derive the backend set of one service.
 *
 * @param service - the service, or `undefined` when it does not exist (then so does the set).
 * @param groups - every endpoint group (Endpoints subsets or EndpointSlices) of the service.
 * @param nodeOf - node lookup by name (only used in `nodeport` mode).
 */
export function deriveBackendSet(
  service: ServiceInfo | undefined,
  groups: Iterable<EndpointGroup>,
  nodeOf: (name: string) => NodeInfo | undefined,
  options: DeriveOptions,
): BackendSet | undefined {
  if (service === undefined) return undefined;
  const name = options.nameOf(service);
  const port = selectPort(service, options.portName);
  if (port === undefined) return { name, members: [] };
  const allowNotReady = options.includeNotReady || service.publishNotReadyAddresses;
  const members: Backend[] = [];
  if (options.mode === 'pod') {
    const singlePort = service.ports.length === 1;
    for (const group of groups) {
      const target = groupPort(group, port, singlePort);
      if (target === undefined) continue;
      for (const address of splitList(group.ready)) members.push({ address, port: target });
      if (allowNotReady) for (const address of splitList(group.notReady)) members.push({ address, port: target });
    }
  } else {
    const nodePort = port.nodePort;
    if (nodePort === undefined) return { name, members: [] };
    const seen = new Set<string>();
    const consider = (name: string): void => {
      if (name === '' || seen.has(name)) return;
      seen.add(name);
      const node = nodeOf(name);
      if (node === undefined || !node.ready || node.excluded) return;
      const address = options.nodeAddressType === 'ExternalIP' ? node.externalIP : node.internalIP;
      if (address !== undefined) members.push({ address, port: nodePort });
    };
    for (const group of groups) {
      for (const name of splitList(group.readyNodes)) consider(name);
      if (allowNotReady) for (const name of splitList(group.notReadyNodes)) consider(name);
    }
  }
  return normalizeBackendSet({ name, members });
}
