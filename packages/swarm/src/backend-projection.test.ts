import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ambiguousPorts, currentPorts, projectService } from './backend-projection.js';
import type { SwarmNode, SwarmService, SwarmTask } from './engine-types.js';

interface Recorded {
  services: SwarmService[];
  tasks: SwarmTask[];
  nodes: SwarmNode[];
}

/** Payloads recorded from a real 2-node testbed swarm (test/record-fixtures.ts). */
function load(file: string): Recorded {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', file), 'utf8')) as Recorded;
}

function project(recorded: Recorded, name: string, options = {}) {
  const service = recorded.services.find((s) => s.Spec?.Name === name) as SwarmService;
  const nodes = new Map(recorded.nodes.map((n) => [n.ID as string, n]));
  return projectService(service, recorded.tasks, nodes, options);
}

const both = load('swarm-2node.json');
const drained = load('swarm-2node-drained.json');
const addr = (name: string, recorded = both): string =>
  recorded.nodes.find((n) => n.Description?.Hostname === name)?.Status?.Addr as string;

describe('projectService on recorded Engine payloads', () => {
  it('host mode: one member per running task at its node address and published port, 0.0.0.0/:: pair de-duplicated', () => {
    const set = project(both, 'web-host');
    // Each task's PortStatus lists its port twice; the set still has one member per task.
    expect(set).toEqual({ name: 'web-host', members: [{ address: addr('node1'), port: 32768 }, { address: addr('node2'), port: 32768 }] });
  });

  it('ingress mode: every ready, active node at the published port', () => {
    expect(project(both, 'web-ingress')).toEqual({
      name: 'web-ingress',
      members: [
        { address: addr('node1'), port: 30080 },
        { address: addr('node2'), port: 30080 },
      ],
    });
  });

  it('dnsrr overlay mode: task addresses without the prefix at the labelled target port', () => {
    expect(project(both, 'web-dnsrr')).toEqual({
      name: 'web-dnsrr',
      members: [
        { address: '10.0.1.2', port: 8080 },
        { address: '10.0.1.3', port: 8080 },
      ],
    });
  });

  it('a drained node drops out: host tasks rescheduled to node1, ingress loses node2', () => {
    const host = project(drained, 'web-host');
    expect(host?.members.map((m) => m.address)).toEqual([addr('node1'), addr('node1')]);
    expect(new Set(host?.members.map((m) => m.port)).size).toBe(2);
    expect(project(drained, 'web-ingress')?.members).toEqual([{ address: addr('node1'), port: 30080 }]);
  });

  it("ingressNodes 'running' keeps only nodes that run a task of the service", () => {
    const oneTask: Recorded = { ...both, tasks: both.tasks.filter((t, _i, all) => t !== all.find((x) => x.ServiceID === t.ServiceID && x !== t)) };
    const service = both.services.find((s) => s.Spec?.Name === 'web-ingress') as SwarmService;
    const running = oneTask.tasks.filter((t) => t.ServiceID === service.ID);
    const set = project(oneTask, 'web-ingress', { ingressNodes: 'running' });
    expect(set?.members).toHaveLength(running.length);
    expect(project(oneTask, 'web-ingress')?.members).toHaveLength(2);
  });

  it('a down node drops out, and tasks not actually running are not members', () => {
    const down: Recorded = {
      ...both,
      nodes: both.nodes.map((n) => (n.Description?.Hostname === 'node2' ? { ...n, Status: { ...n.Status, State: 'down' } } : n)),
      tasks: both.tasks.map((t) => ({ ...t })),
    };
    expect(project(down, 'web-host')?.members.map((m) => m.address)).toEqual([addr('node1')]);
    const starting: Recorded = { ...both, tasks: both.tasks.map((t) => ({ ...t, Status: { ...t.Status, State: 'starting' } })) };
    expect(project(starting, 'web-host')?.members).toEqual([]);
  });

  it('falls back to the host part of ManagerStatus.Addr when Status.Addr is 0.0.0.0 or 127.0.0.1', () => {
    for (const bad of ['0.0.0.0', '127.0.0.1']) {
      const patched: Recorded = {
        ...both,
        nodes: both.nodes.map((n) =>
          n.Spec?.Role === 'manager' ? { ...n, Status: { ...n.Status, Addr: bad }, ManagerStatus: { ...n.ManagerStatus, Addr: '192.0.2.7:2377' } } : n,
        ),
      };
      expect(project(patched, 'web-host')?.members.map((m) => m.address)).toContain('192.0.2.7');
    }
  });

  it('labels choose the port and force the mode; a service with no port yields no set', () => {
    const service = both.services.find((s) => s.Spec?.Name === 'web-host') as SwarmService;
    const relabel = (labels: Record<string, string>): Recorded => ({
      ...both,
      services: both.services.map((s) => (s === service ? { ...s, Spec: { ...s.Spec, Labels: labels } } : s)),
    });
    expect(project(relabel({ 'nitrox.port': '9999' }), 'web-host')?.members).toEqual([]);
    expect(project(relabel({ 'nitrox.mode': 'ingress' }), 'web-host')).toEqual({ name: 'web-host', members: [] });
    const dnsrrNoLabel: Recorded = {
      ...both,
      services: both.services.map((s) => (s.Spec?.Name === 'web-dnsrr' ? { ...s, Spec: { ...s.Spec, Labels: {} } } : s)),
    };
    expect(project(dnsrrNoLabel, 'web-dnsrr')).toBeUndefined();
    expect(project(dnsrrNoLabel, 'web-dnsrr', { defaultTargetPort: 80 })?.members.map((m) => m.port)).toEqual([80, 80]);
  });

  it('never throws on malformed objects', () => {
    const junk = [{}, { ID: 'x' }, { ID: 'y', Spec: { Name: 'y', EndpointSpec: { Ports: [{ TargetPort: -1 }] } } }] as SwarmService[];
    for (const s of junk) expect(() => projectService(s, [{} as SwarmTask, { ServiceID: 'y', Status: {} }], new Map())).not.toThrow();
  });

  it('ports follow the current spec: a port removed with --publish-rm and left in Endpoint.Ports is ignored', () => {
    // dockerd 20.10 after `--publish-rm 8080 --publish-add mode=host,target=9090`: the old host entry stays in Endpoint.
    const service: SwarmService = {
      ID: 's1',
      Spec: { Name: 'moved', EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 9090, PublishMode: 'host' }] } },
      Endpoint: {
        Ports: [
          { Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' },
          { Protocol: 'tcp', TargetPort: 9090, PublishMode: 'host' },
        ],
      },
    };
    const task: SwarmTask = {
      ID: 't1',
      ServiceID: 's1',
      NodeID: 'n1',
      DesiredState: 'running',
      Status: { State: 'running', PortStatus: { Ports: [{ Protocol: 'tcp', TargetPort: 9090, PublishedPort: 31000, PublishMode: 'host' }] } },
    };
    const nodes = new Map([['n1', { ID: 'n1', Spec: { Availability: 'active' }, Status: { State: 'ready', Addr: '10.1.1.1' } } as SwarmNode]]);
    expect(projectService(service, [task], nodes)?.members).toEqual([{ address: '10.1.1.1', port: 31000 }]);
    expect(currentPorts(service).map((p) => p.TargetPort)).toEqual([9090]);
  });

  it('the port label names a target port or a port by Name; a fixed host port serves a task that reports none', () => {
    const ports = [
      { Name: 'admin', Protocol: 'tcp', TargetPort: 9000, PublishedPort: 39000, PublishMode: 'host' },
      { Name: 'http', Protocol: 'tcp', TargetPort: 8080, PublishedPort: 38080, PublishMode: 'host' },
    ];
    const service = (labels: Record<string, string>): SwarmService => ({ ID: 's2', Spec: { Name: 'named', Labels: labels, EndpointSpec: { Ports: ports } } });
    // Running, but listed without PortStatus (as after a manager restart): the spec's fixed port still applies.
    const task: SwarmTask = { ID: 't2', ServiceID: 's2', NodeID: 'n1', DesiredState: 'running', Status: { State: 'running' } };
    const nodes = new Map([['n1', { ID: 'n1', Spec: { Availability: 'active' }, Status: { State: 'ready', Addr: '10.1.1.1' } } as SwarmNode]]);
    expect(projectService(service({}), [task], nodes)?.members).toEqual([{ address: '10.1.1.1', port: 39000 }]);
    expect(projectService(service({ 'nitrox.port': 'http' }), [task], nodes)?.members).toEqual([{ address: '10.1.1.1', port: 38080 }]);
    expect(projectService(service({ 'nitrox.port': '8080' }), [task], nodes)?.members).toEqual([{ address: '10.1.1.1', port: 38080 }]);
    expect(ambiguousPorts(service({}))).toEqual([9000, 8080]);
    expect(ambiguousPorts(service({ 'nitrox.port': 'http' }))).toBeUndefined();
  });
});
