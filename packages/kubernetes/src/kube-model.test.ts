import { describe, expect, it } from 'vitest';
import { endpointSlice, endpoints, node, service } from './testing/fixtures.js';
import type { KubeObjectJson } from './kube-list-watch.js';
import { trimEndpointSlice, trimEndpoints, trimNode, trimService } from './kube-model.js';

const json = (o: unknown): KubeObjectJson => o as KubeObjectJson;

describe('ingest transforms', () => {
  it('trim a Service to its ports and flags', () => {
    const s = trimService(json(service({ name: 'web', type: 'NodePort', labels: { a: 'b' }, ports: [{ name: 'http', port: 80, nodePort: 30080 }] })));
    expect(s).toEqual({
      namespace: 'default',
      name: 'web',
      labels: { a: 'b' },
      type: 'NodePort',
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      publishNotReadyAddresses: false,
    });
  });

  it('trim Endpoints and EndpointSlices to the same shape, nodes only when asked', () => {
    const spec = { addresses: [{ ip: '10.0.0.1', nodeName: 'n1' }, { ip: '10.0.0.2', nodeName: 'n2', ready: false }], ports: [{ name: 'http', port: 8080 }] };
    const fromEndpoints = trimEndpoints(json(endpoints({ name: 'web', ...spec })), true);
    const fromSlice = trimEndpointSlice(json(endpointSlice({ name: 'web-x1', service: 'web', endpoints: spec.addresses, ports: spec.ports })), true);
    const expected = {
      service: 'default/web',
      groups: [
        { ready: '10.0.0.1', readyNodes: 'n1', notReady: '10.0.0.2', notReadyNodes: 'n2', ports: [{ name: 'http', port: 8080 }] },
      ],
    };
    expect(fromEndpoints).toEqual(expected);
    expect(fromSlice).toEqual(expected);
    const podMode = trimEndpoints(json(endpoints({ name: 'web', ...spec })), false);
    expect(podMode.groups[0]).toEqual({ ready: '10.0.0.1', notReady: '10.0.0.2', ports: [{ name: 'http', port: 8080 }] });
    // Port lists are shared between objects with the same ports.
    expect(trimEndpoints(json(endpoints({ name: 'api', ...spec })), false).groups[0]?.ports).toBe(podMode.groups[0]?.ports);
    const fqdn = trimEndpointSlice(json(endpointSlice({ name: 'w', service: 'web', addressType: 'FQDN', endpoints: [{ ip: 'a.example' }], ports: [] })), false);
    expect(fqdn.groups[0]?.ready).toBe('');
  });

  it('treats a missing ready condition as ready, and malformed parts as absent', () => {
    const slice = json({
      metadata: { name: 's', namespace: 'ns', resourceVersion: '1', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1', 7] }, 'junk'],
      ports: [{ name: 'http', port: null }, { port: 81 }],
    });
    expect(trimEndpointSlice(slice, false)).toEqual({
      service: 'ns/web',
      groups: [{ ready: '10.0.0.1', notReady: '', ports: [{ name: '', port: 81 }] }],
    });
  });

  it('trim a Node to readiness, exclusion and addresses', () => {
    expect(trimNode(json(node({ name: 'n1', internalIP: '192.168.0.1', externalIP: '203.0.113.1', ready: false })))).toEqual({
      name: 'n1',
      ready: false,
      excluded: false,
      internalIP: '192.168.0.1',
      externalIP: '203.0.113.1',
    });
    const excluded = node({ name: 'n2', internalIP: '192.168.0.2', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' } });
    expect(trimNode(json(excluded))).toMatchObject({ ready: true, excluded: true });
  });
});
