import { describe, expect, it } from 'vitest';
import { type DeriveOptions, deriveBackendSet } from './derive-backend-set.js';
import type { EndpointGroup, NodeInfo, ServiceInfo } from './kube-model.js';

const svc: ServiceInfo = {
  namespace: 'default',
  name: 'web',
  type: 'NodePort',
  ports: [
    { name: 'http', port: 80, nodePort: 30080 },
    { name: 'admin', port: 81, nodePort: 30081 },
  ],
  publishNotReadyAddresses: false,
};
const group: EndpointGroup = {
  ready: '10.0.0.2,10.0.0.1,10.0.0.4',
  readyNodes: 'n1,n1,n3',
  notReady: '10.0.0.3',
  notReadyNodes: 'n2',
  ports: [
    { name: 'http', port: 8080 },
    { name: 'admin', port: 8081 },
  ],
};
const nodes: Record<string, NodeInfo> = {
  n1: { name: 'n1', ready: true, excluded: false, internalIP: '192.168.0.1', externalIP: '203.0.113.1' },
  n2: { name: 'n2', ready: true, excluded: false, internalIP: '192.168.0.2' },
  n3: { name: 'n3', ready: true, excluded: true, internalIP: '192.168.0.3' },
};
const options: DeriveOptions = {
  mode: 'pod',
  portName: undefined,
  nodeAddressType: 'InternalIP',
  includeNotReady: false,
  nameOf: (s) => `${s.namespace}/${s.name}`,
};
const derive = (o: Partial<DeriveOptions>, s: ServiceInfo | undefined = svc) =>
  deriveBackendSet(s, [group], (n) => nodes[n], { ...options, ...o });

describe('deriveBackendSet', () => {
  it('pod mode: ready endpoints with the target port of the first service port, sorted', () => {
    expect(derive({})).toEqual({
      name: 'default/web',
      members: [
        { address: '10.0.0.1', port: 8080 },
        { address: '10.0.0.2', port: 8080 },
        { address: '10.0.0.4', port: 8080 },
      ],
    });
  });

  it('chooses the port by name and includes not-ready endpoints when asked or published', () => {
    expect(derive({ portName: 'admin', includeNotReady: true })?.members.map((m) => m.port)).toEqual([8081, 8081, 8081, 8081]);
    expect(derive({}, { ...svc, publishNotReadyAddresses: true })?.members).toHaveLength(4);
    expect(derive({ portName: 'nope' })).toEqual({ name: 'default/web', members: [] });
  });

  it('nodeport mode: one member per Ready, not excluded node running a ready endpoint', () => {
    expect(derive({ mode: 'nodeport' })?.members).toEqual([{ address: '192.168.0.1', port: 30080 }]);
    expect(derive({ mode: 'nodeport', includeNotReady: true })?.members).toEqual([
      { address: '192.168.0.1', port: 30080 },
      { address: '192.168.0.2', port: 30080 },
    ]);
    expect(derive({ mode: 'nodeport', nodeAddressType: 'ExternalIP', includeNotReady: true })?.members).toEqual([
      { address: '203.0.113.1', port: 30080 },
    ]);
    const clusterIp: ServiceInfo = { ...svc, type: 'ClusterIP', ports: [{ name: 'http', port: 80 }] };
    expect(derive({ mode: 'nodeport' }, clusterIp)?.members).toEqual([]);
  });

  it('a missing service has no backend set; an unnamed single port matches', () => {
    expect(deriveBackendSet(undefined, [group], () => undefined, options)).toBeUndefined();
    const single: ServiceInfo = { ...svc, ports: [{ name: '', port: 80 }] };
    const unnamed: EndpointGroup = { ready: '10.0.0.9', notReady: '', ports: [{ name: '', port: 9000 }] };
    expect(deriveBackendSet(single, [unnamed], () => undefined, options)?.members).toEqual([{ address: '10.0.0.9', port: 9000 }]);
  });
});
