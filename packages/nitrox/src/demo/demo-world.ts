/**
 * The demo's little cluster: four nodes and two services in namespace `shop` — `web` (pod mode: pod IP :
 * 8080) and `api` (NodePort mode: node address : 30443 for Ready nodes that run a ready pod). The world keeps
 * its own model, writes Services, Pods, Endpoints and EndpointSlices into the API-server simulator as the real
 * control plane would, and computes independently which members each pool must end up with, so convergence is
 * checked against the story's truth, not against Nitrox's own projection.
 */
import type { KubeSimulator } from '@nitrox/kubernetes/testing';
import { endpointSlice, endpoints, node, pod, service } from '@nitrox/kubernetes/testing';

/** Namespace of the demo services. */
export const demoNamespace = 'shop';

interface DemoNode {
  readonly name: string;
  readonly ip: string;
  ready: boolean;
}

interface DemoPod {
  readonly name: string;
  readonly ip: string;
  readonly node: string;
}

interface DemoService {
  readonly name: string;
  readonly mode: 'pod' | 'nodeport';
  readonly port: { name: string; port: number; targetPort: number; nodePort?: number };
  pods: DemoPod[];
}

/** The model of the demo cluster, mirrored into the simulator. */
export class DemoWorld {
  readonly nodes: DemoNode[] = [1, 2, 3, 4].map((i) => ({ name: `node-${i}`, ip: `10.0.1.${i}`, ready: true }));
  readonly services: Record<'web' | 'api', DemoService> = {
    web: { name: 'web', mode: 'pod', port: { name: 'http', port: 80, targetPort: 8080 }, pods: [] },
    api: { name: 'api', mode: 'nodeport', port: { name: 'https', port: 443, targetPort: 8443, nodePort: 30443 }, pods: [] },
  };
  readonly #sim: KubeSimulator;
  #podSeq = 0;

  constructor(sim: KubeSimulator) {
    this.#sim = sim;
  }

  /** Create the nodes and both services: web with `webPods` pods (never on node-2), api on nodes 1–3. */
  seed(webPods: number): void {
    for (const n of this.nodes) this.#sim.store.apply(node({ name: n.name, internalIP: n.ip, ready: n.ready }));
    const web = this.services.web;
    const api = this.services.api;
    this.#sim.store.apply(service({ name: web.name, namespace: demoNamespace, ports: [web.port] }));
    this.#sim.store.apply(service({ name: api.name, namespace: demoNamespace, type: 'NodePort', ports: [api.port] }));
    for (const nodeName of ['node-1', 'node-2', 'node-3']) api.pods.push(this.#newPod(api, nodeName));
    for (let i = 0; i < webPods; i++) web.pods.push(this.#newPod(web, this.#webNode(i)));
    for (const svc of [web, api]) {
      for (const p of svc.pods) this.#applyPod(svc, p);
      this.#publish(svc);
    }
  }

  /** Scale `web` to `replicas` pods (new pods spread over nodes 1, 3, 4; scale-down removes the newest). */
  scaleWeb(replicas: number): void {
    const web = this.services.web;
    while (web.pods.length < replicas) {
      const p = this.#newPod(web, this.#webNode(web.pods.length));
      web.pods.push(p);
      this.#applyPod(web, p);
    }
    while (web.pods.length > replicas) {
      const p = web.pods.pop() as DemoPod;
      this.#sim.store.delete('pods', demoNamespace, p.name);
    }
    this.#publish(web);
  }

  /** Set a node's Ready condition. */
  setNodeReady(name: string, ready: boolean): void {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    n.ready = ready;
    this.#sim.store.apply(node({ name: n.name, internalIP: n.ip, ready }));
  }

  /** The members (`address:port`, sorted) the pool of `svc` must hold. */
  expected(svc: 'web' | 'api'): string[] {
    const s = this.services[svc];
    if (s.mode === 'pod') return s.pods.map((p) => `${p.ip}:${s.port.targetPort}`).sort();
    const withPods = new Set(s.pods.map((p) => p.node));
    return this.nodes
      .filter((n) => n.ready && withPods.has(n.name))
      .map((n) => `${n.ip}:${s.port.nodePort}`)
      .sort();
  }

  #webNode(i: number): string {
    return ['node-1', 'node-3', 'node-4'][i % 3] as string;
  }

  #newPod(svc: DemoService, nodeName: string): DemoPod {
    const seq = ++this.#podSeq;
    const nodeIndex = Number(nodeName.split('-')[1]);
    return { name: `${svc.name}-${seq.toString(36).padStart(5, '0')}`, ip: `10.244.${nodeIndex}.${seq + 10}`, node: nodeName };
  }

  #applyPod(svc: DemoService, p: DemoPod): void {
    const hostIP = this.nodes.find((n) => n.name === p.node)?.ip;
    this.#sim.store.apply(
      pod({ name: p.name, namespace: demoNamespace, labels: { app: svc.name }, nodeName: p.node, ip: p.ip, ...(hostIP ? { hostIP } : {}) }),
    );
  }

  /** Write the Endpoints and the EndpointSlice of a service, as the endpoints controllers would. */
  #publish(svc: DemoService): void {
    const addresses = svc.pods.map((p) => ({ ip: p.ip, nodeName: p.node, pod: p.name }));
    const ports = [{ name: svc.port.name, port: svc.port.targetPort }];
    this.#sim.store.apply(endpoints({ name: svc.name, namespace: demoNamespace, addresses, ports }));
    this.#sim.store.apply(
      endpointSlice({ name: `${svc.name}-abcde`, service: svc.name, namespace: demoNamespace, endpoints: addresses, ports }),
    );
  }
}
