/**
 * The soak's cluster model: nodes and services mirrored into the API-server simulator as the control plane would
 * write them (Services, Endpoints, EndpointSlices, Nodes), with an independent computation of the members each
 * pool must hold, so divergence is judged against the scenario's truth, not against Nitrox's own projection.
 */
import { endpointSlice, endpoints, type KubeSimulator, node, service } from '@nitrox/kubernetes/testing';

interface SoakNode {
  readonly name: string;
  readonly ip: string;
  ready: boolean;
}

interface SoakService {
  readonly name: string;
  readonly mode: 'pod' | 'nodeport';
  readonly nodePort: number;
  pods: { ip: string; node: string }[];
}

/** Pods per service, and the container port every pod serves on. */
const PODS = 6;
const TARGET_PORT = 8080;

/** A cluster of `nodes` nodes and `services` services (even ones in pod mode, odd ones in NodePort mode). */
export class SoakWorld {
  readonly nodes: SoakNode[];
  readonly services: SoakService[];
  readonly #sim: KubeSimulator;
  #seq = 0;
  #random: () => number;

  constructor(sim: KubeSimulator, options: { nodes: number; services: number; random: () => number }) {
    this.#sim = sim;
    this.#random = options.random;
    this.nodes = Array.from({ length: options.nodes }, (_, i) => ({ name: `node-${i + 1}`, ip: `10.0.1.${i + 1}`, ready: true }));
    this.services = Array.from({ length: options.services }, (_, i) => ({
      name: `svc${i}`,
      mode: i % 2 === 0 ? 'pod' : 'nodeport',
      nodePort: 30_000 + i,
      pods: [],
    }));
  }

  /** Write every node and service with its first pods. */
  seed(): void {
    for (const n of this.nodes) this.#sim.store.apply(node({ name: n.name, internalIP: n.ip, ready: n.ready }));
    for (const svc of this.services) {
      this.#sim.store.apply(
        service({
          name: svc.name,
          ...(svc.mode === 'nodeport' ? { type: 'NodePort' as const } : {}),
          ports: [{ name: 'http', port: 80, targetPort: TARGET_PORT, ...(svc.mode === 'nodeport' ? { nodePort: svc.nodePort } : {}) }],
        }),
      );
      for (let p = 0; p < PODS; p++) svc.pods.push(this.#newPod());
      this.#publish(svc);
    }
  }

  /** One endpoint change: a random pod of a random service is replaced by a new one (new IP, maybe another node). */
  churn(): void {
    const svc = this.services[Math.floor(this.#random() * this.services.length)] as SoakService;
    svc.pods.splice(Math.floor(this.#random() * svc.pods.length), 1, this.#newPod());
    this.#publish(svc);
  }

  /** Flip a node's Ready condition. */
  setReady(index: number, ready: boolean): void {
    const n = this.nodes[index] as SoakNode;
    n.ready = ready;
    this.#sim.store.apply(node({ name: n.name, internalIP: n.ip, ready }));
  }

  /** The members (`address:port`, sorted and joined) the pool of `svc` must hold. */
  expected(svc: SoakService): string {
    if (svc.mode === 'pod') return svc.pods.map((p) => `${p.ip}:${TARGET_PORT}`).sort().join();
    const withPods = new Set(svc.pods.map((p) => p.node));
    return this.nodes
      .filter((n) => n.ready && withPods.has(n.name))
      .map((n) => `${n.ip}:${svc.nodePort}`)
      .sort()
      .join();
  }

  #newPod(): { ip: string; node: string } {
    const seq = ++this.#seq;
    const nodeIndex = Math.floor(this.#random() * this.nodes.length);
    return { ip: `10.${64 + Math.floor(seq / 65_536) % 128}.${Math.floor(seq / 256) % 256}.${seq % 256}`, node: (this.nodes[nodeIndex] as SoakNode).name };
  }

  #publish(svc: SoakService): void {
    const addresses = svc.pods.map((p) => ({ ip: p.ip, nodeName: p.node }));
    const ports = [{ name: 'http', port: TARGET_PORT }];
    this.#sim.store.apply(endpoints({ name: svc.name, addresses, ports }));
    this.#sim.store.apply(endpointSlice({ name: `${svc.name}-soak`, service: svc.name, endpoints: addresses, ports }));
  }
}
