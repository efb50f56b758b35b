/**
 * Builders of realistic Kubernetes objects for tests and demos: Services, Endpoints, EndpointSlices, Nodes
 * and Pods with only the fields that matter spelled out. Feed them to the simulator's `store.apply`.
 */
import type { KubeObject } from './simulator-store.js';

/** A port of a {@link service}. */
export interface ServicePortSpec {
  name?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

/** A v1 Service. */
export function service(spec: {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  ports: ServicePortSpec[];
  selector?: Record<string, string>;
  publishNotReadyAddresses?: boolean;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.name, namespace: spec.namespace ?? 'default', ...(spec.labels ? { labels: spec.labels } : {}) },
    spec: {
      type: spec.type ?? 'ClusterIP',
      selector: spec.selector ?? { app: spec.name },
      ports: spec.ports.map((p) => ({ protocol: 'TCP', targetPort: p.port, ...p })),
      ...(spec.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
    },
  };
}

/** One endpoint address for {@link endpoints} and {@link endpointSlice}. */
export interface EndpointSpec {
  ip: string;
  nodeName?: string;
  ready?: boolean;
  terminating?: boolean;
  pod?: string;
}

function targetRef(namespace: string, e: EndpointSpec): Record<string, unknown> {
  return { kind: 'Pod', namespace, name: e.pod ?? `pod-${e.ip.replaceAll(/[.:]/g, '-')}`, uid: `uid-${e.ip}` };
}

/** A v1 Endpoints object with one subset; ready and not-ready addresses split by `ready` (default true). */
export function endpoints(spec: {
  name: string;
  namespace?: string;
  addresses: EndpointSpec[];
  ports: { name?: string; port: number; protocol?: string }[];
}): KubeObject {
  const namespace = spec.namespace ?? 'default';
  const address = (e: EndpointSpec): Record<string, unknown> => ({
    ip: e.ip,
    ...(e.nodeName ? { nodeName: e.nodeName } : {}),
    targetRef: targetRef(namespace, e),
  });
  const ready = spec.addresses.filter((e) => e.ready !== false).map(address);
  const notReady = spec.addresses.filter((e) => e.ready === false).map(address);
  const subsets =
    spec.addresses.length === 0
      ? []
      : [
          {
            ...(ready.length ? { addresses: ready } : {}),
            ...(notReady.length ? { notReadyAddresses: notReady } : {}),
            ports: spec.ports.map((p) => ({ protocol: 'TCP', ...p })),
          },
        ];
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: spec.name, namespace, labels: { app: spec.name } },
    subsets,
  };
}

/** A discovery.k8s.io/v1 EndpointSlice of a service. */
export function endpointSlice(spec: {
  name: string;
  service: string;
  namespace?: string;
  addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: EndpointSpec[];
  ports: { name?: string; port: number | null; protocol?: string }[];
}): KubeObject {
  const namespace = spec.namespace ?? 'default';
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: spec.name,
      namespace,
      labels: { 'kubernetes.io/service-name': spec.service, 'endpointslice.kubernetes.io/managed-by': 'nitrox-sim' },
    },
    addressType: spec.addressType ?? 'IPv4',
    endpoints: spec.endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready !== false && !e.terminating, serving: e.ready !== false, terminating: e.terminating === true },
      ...(e.nodeName ? { nodeName: e.nodeName } : {}),
      targetRef: targetRef(namespace, e),
    })),
    ports: spec.ports.map((p) => ({ protocol: 'TCP', ...p })),
  };
}

/** A v1 Node with Ready condition and addresses. */
export function node(spec: {
  name: string;
  internalIP: string;
  externalIP?: string;
  ready?: boolean;
  labels?: Record<string, string>;
  unschedulable?: boolean;
}): KubeObject {
  const addresses = [
    { type: 'InternalIP', address: spec.internalIP },
    ...(spec.externalIP ? [{ type: 'ExternalIP', address: spec.externalIP }] : []),
    { type: 'Hostname', address: spec.name },
  ];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: spec.name, labels: { 'kubernetes.io/hostname': spec.name, ...spec.labels } },
    spec: spec.unschedulable ? { unschedulable: true } : {},
    status: {
      addresses,
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: spec.ready === false ? 'False' : 'True', reason: spec.ready === false ? 'KubeletNotReady' : 'KubeletReady' },
      ],
    },
  };
}

/** A v1 Pod scheduled on a node. */
export function pod(spec: {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  ip?: string;
  hostIP?: string;
  ready?: boolean;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, namespace: spec.namespace ?? 'default', labels: spec.labels ?? {} },
    spec: { ...(spec.nodeName ? { nodeName: spec.nodeName } : {}), containers: [{ name: 'main', image: 'nginx' }] },
    status: {
      phase: 'Running',
      ...(spec.ip ? { podIP: spec.ip } : {}),
      ...(spec.hostIP ? { hostIP: spec.hostIP } : {}),
      conditions: [{ type: 'Ready', status: spec.ready === false ? 'False' : 'True' }],
    },
  };
}
