import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch, PatchError, strategicMerge } from './simulator-patch.js';

const svc = {
  metadata: { name: 'web', labels: { app: 'web', old: 'x' }, finalizers: ['a'] },
  spec: {
    type: 'NodePort',
    ports: [
      { name: 'http', port: 80, targetPort: 8080 },
      { name: 'https', port: 443, targetPort: 8443 },
    ],
  },
};

describe('simulator PATCH', () => {
  it('applies RFC 6902 JSON patches, failing a test op or a missing path', () => {
    const out = applyJsonPatch(svc, [
      { op: 'add', path: '/metadata/labels/tier', value: 'front' },
      { op: 'remove', path: '/metadata/labels/old' },
      { op: 'replace', path: '/spec/ports/0/targetPort', value: 9090 },
      { op: 'add', path: '/spec/ports/-', value: { port: 81 } },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
      { op: 'move', from: '/metadata/labels/name', path: '/metadata/labels/n' },
      { op: 'test', path: '/spec/type', value: 'NodePort' },
      { op: 'add', path: '/metadata/labels/a~1b', value: 'slash' },
    ]);
    expect(out.metadata).toEqual({ name: 'web', labels: { app: 'web', tier: 'front', n: 'web', 'a/b': 'slash' }, finalizers: ['a'] });
    expect((out.spec as typeof svc.spec).ports.map((p) => [p.port, p.targetPort])).toEqual([[80, 9090], [443, 8443], [81, undefined]]);
    expect(svc.spec.ports[0]?.targetPort).toBe(8080); // the input is not modified
    expect(() => applyJsonPatch(svc, [{ op: 'test', path: '/spec/type', value: 'ClusterIP' }])).toThrow(PatchError);
    expect(() => applyJsonPatch(svc, [{ op: 'remove', path: '/spec/nope' }])).toThrow(PatchError);
    expect(() => applyJsonPatch(svc, [{ op: 'replace', path: '/spec/a/b', value: 1 }])).toThrow(PatchError);
  });

  it('applies RFC 7386 merge patches: null deletes, lists are replaced', () => {
    const out = applyMergePatch(svc, { metadata: { labels: { old: null, tier: 'front' } }, spec: { ports: [{ port: 1 }] } }) as typeof svc;
    expect(out.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect(out.spec.ports).toEqual([{ port: 1 }]);
  });

  it('merges Service ports by port, honours $patch delete/replace, $setElementOrder and primitive-merge finalizers', () => {
    const out = strategicMerge('Service', '', svc, {
      metadata: { finalizers: ['b', 'a'], labels: { old: null } },
      spec: {
        '$setElementOrder/ports': [{ port: 443 }, { port: 80 }, { port: 90 }],
        ports: [{ port: 80, targetPort: 7070 }, { port: 90, name: 'new' }],
      },
    }) as typeof svc;
    expect(out.metadata).toEqual({ name: 'web', labels: { app: 'web' }, finalizers: ['a', 'b'] });
    expect(out.spec.ports).toEqual([
      { name: 'https', port: 443, targetPort: 8443 },
      { name: 'http', port: 80, targetPort: 7070 },
      { port: 90, name: 'new' },
    ]);
    const deleted = strategicMerge('Service', '', svc, { spec: { ports: [{ port: 80, $patch: 'delete' }] } }) as typeof svc;
    expect(deleted.spec.ports.map((p) => p.port)).toEqual([443]);
    const replaced = strategicMerge('Service', '', svc, { spec: { ports: [{ $patch: 'replace' }, { port: 1 }] } }) as typeof svc;
    expect(replaced.spec.ports).toEqual([{ port: 1 }]);
    const dropped = strategicMerge('Service', '', svc, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }) as typeof svc;
    expect(dropped.metadata.finalizers).toEqual([]);
  });

  it('merges conditions and Node addresses by type, and replaces the lists the real types mark atomic', () => {
    const node = { metadata: { name: 'n' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n' }], conditions: [{ type: 'Ready', status: 'True' }] } };
    const out = strategicMerge('Node', '', node, {
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }], conditions: [{ type: 'Ready', status: 'False' }, { type: 'DiskPressure', status: 'False' }] },
    }) as typeof node;
    expect(out.status.addresses).toEqual([{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'n' }]);
    expect(out.status.conditions).toEqual([{ type: 'Ready', status: 'False' }, { type: 'DiskPressure', status: 'False' }]);

    const ep = { metadata: { name: 'e' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] };
    const patched = strategicMerge('Endpoints', '', ep, { subsets: [{ addresses: [{ ip: '10.0.0.9' }] }] }) as typeof ep;
    expect(patched.subsets).toEqual([{ addresses: [{ ip: '10.0.0.9' }] }]); // atomic in core/v1, as the API server
    const slice = { metadata: { name: 's' }, endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }] };
    const patchedSlice = strategicMerge('EndpointSlice', '', slice, { endpoints: [{ addresses: ['10.0.0.2'] }] }) as typeof slice;
    expect(patchedSlice.endpoints).toEqual([{ addresses: ['10.0.0.2'] }]);

    const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }] } };
    const patchedPod = strategicMerge('Pod', '', pod, { spec: { containers: [{ name: 'a', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 80, name: 'http' }] }] } }) as typeof pod;
    expect(patchedPod.spec.containers).toEqual([{ name: 'a', image: 'x', ports: [{ containerPort: 80, name: 'http' }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }]);
  });
});
