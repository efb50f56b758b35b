/**
 * What the API server fills in on Services written over REST (the store's own `apply`/`create` leave objects
 * as given): `spec.type` ClusterIP, port `protocol` TCP and `targetPort` = `port`, `sessionAffinity` None, a
 * cluster IP from 10.96.0.0/12 (none for ExternalName) and node ports from 30000–32767 for NodePort and
 * LoadBalancer; on updates the allocated cluster IP and node ports are kept when the new spec leaves them out.
 */
import type { KubeObject } from './simulator-store.js';

type Port = { port?: number; protocol?: string; targetPort?: number | string; nodePort?: number };
type ServiceSpec = { type?: string; ports?: Port[]; clusterIP?: string; clusterIPs?: string[]; sessionAffinity?: string };

/** Allocates cluster IPs and node ports, each once. */
export class ServiceAllocator {
  #nextIp = 1;
  readonly #nodePorts = new Set<number>();

  /** Default and allocate a Service's spec in place; `live` is the stored object on an update. */
  prepare(object: KubeObject, live: KubeObject | undefined): void {
    if (object.spec === undefined || object.spec === null || typeof object.spec !== 'object') object.spec = {};
    const spec = object.spec as ServiceSpec;
    const before = (live?.spec ?? {}) as ServiceSpec;
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    for (const port of spec.ports ?? []) {
      port.protocol ??= 'TCP';
      if (port.targetPort === undefined && port.port !== undefined) port.targetPort = port.port;
      const old = before.ports?.find((p) => p.port === port.port && (p.protocol ?? 'TCP') === port.protocol);
      if (port.nodePort === undefined && old?.nodePort !== undefined && spec.type !== 'ClusterIP') port.nodePort = old.nodePort;
      if (port.nodePort === undefined && (spec.type === 'NodePort' || spec.type === 'LoadBalancer')) port.nodePort = this.#nodePort();
      if (port.nodePort !== undefined) this.#nodePorts.add(port.nodePort);
    }
    if (spec.type === 'ExternalName') return;
    if (!spec.clusterIP && before.clusterIP) spec.clusterIP = before.clusterIP;
    if (!spec.clusterIP) spec.clusterIP = this.#clusterIp();
    if (!spec.clusterIPs || spec.clusterIPs.length === 0) spec.clusterIPs = [spec.clusterIP];
  }

  #clusterIp(): string {
    const n = this.#nextIp++;
    return `10.96.${(n >> 8) & 255}.${n & 255}`;
  }

  #nodePort(): number {
    for (let port = 30000; port <= 32767; port++) if (!this.#nodePorts.has(port)) return port;
    throw new Error('no node port left in 30000-32767');
  }
}
