import { type NitroxError, SourceError, VirtualClock } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSwarm } from '../test/fake-swarm.js';
import type { SwarmTask } from './engine-types.js';
import type { SwarmOutage } from './reachability.js';
import { SwarmSource } from './swarm-source.js';
import type { SwarmPass, SwarmSourceOptions } from './swarm-source-options.js';

const sources: SwarmSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

async function started(options: Partial<SwarmSourceOptions> = {}, build?: (swarm: FakeSwarm) => void) {
  const clock = new VirtualClock();
  const swarm = new FakeSwarm();
  build?.(swarm);
  const source = new SwarmSource({ client: swarm.client, clock, random: () => 0.5, ...options });
  sources.push(source);
  const errors: NitroxError[] = [];
  const passes: SwarmPass[] = [];
  source.on('error', (e) => errors.push(e));
  source.on('pass', (p) => passes.push(p));
  await source.list(new AbortController().signal);
  await clock.advanceUntil(() => source.eventsConnected, 1_000);
  await clock.advance(100);
  return { clock, swarm, source, errors, passes };
}

const members = (source: SwarmSource, name: string): string[] =>
  source.get(name)?.value.members.map((m) => `${m.address}:${m.port}`) ?? [];

/** The same task as the manager lists it after a restart: running, but without ports. */
function withoutPorts(task: SwarmTask): SwarmTask {
  return { ...task, Version: { Index: (task.Version?.Index ?? 0) + 1000 }, Status: { ...task.Status, PortStatus: {} } };
}

describe('SwarmSource: dead tasks and manager restarts', () => {
  it('a task dying on a worker (no event reaches the manager) leaves the pool at the next task poll', async () => {
    const { clock, swarm, source, passes } = await started();
    const web = swarm.addService('web', 2);
    await source.refresh();
    expect(members(source, 'web')).toEqual(['10.0.9.1:30001', '10.0.9.2:30002']);
    passes.length = 0;
    swarm.setTask(web, 2, 'failed', 'shutdown'); // no event at all
    const start = clock.now();
    await clock.advanceUntil(() => members(source, 'web').length === 1, 20_000);
    expect(clock.now() - start).toBeLessThanOrEqual(600); // taskPollMs 500 with ±10 % jitter
    expect(passes.find((p) => p.changed.includes('web'))?.kind).toBe('tasks');
  });

  it('an idle task poll costs one request per period and changes nothing', async () => {
    const { clock, swarm, source } = await started({}, (s) => s.addService('web', 2));
    const version = source.get('web')?.version;
    const before = swarm.requests.length;
    await clock.advance(10_000);
    const requests = swarm.requests.slice(before);
    expect(requests.filter((r) => r === 'tasks')).toHaveLength(20); // unfiltered: every service is selected
    expect(requests.length).toBeLessThanOrEqual(20 + 3); // plus at most one full poll (15 s period)
    expect(source.get('web')?.version).toBe(version);
    expect(source.stats.taskPasses).toBeGreaterThanOrEqual(20);
  });

  it('a service whose create event was lost is read when the task poll shows its tasks', async () => {
    const { clock, swarm, source } = await started();
    swarm.addService('late', 1); // no event
    await clock.advanceUntil(() => members(source, 'late').length === 1, 2_000);
    expect(swarm.requests).toContain('services:svc-late');
  });

  it('polls only the selected services, by ID', async () => {
    const { clock, swarm } = await started({ select: { names: ['web'] } }, (s) => {
      s.addService('web', 1);
      s.addService('other', 1);
    });
    await clock.advance(600);
    expect(swarm.requests).toContain('tasks:svc-web');
    expect(swarm.requests.filter((r) => r.startsWith('tasks:') && r.includes('other'))).toEqual([]);
  });

  it('is off with taskPollMs 0: a silent death waits for the full poll', async () => {
    const { clock, swarm, source } = await started({ taskPollMs: 0 }, (s) => s.addService('web', 2));
    const before = swarm.requests.length;
    swarm.setTask('svc-web', 2, 'failed', 'shutdown');
    await clock.advance(5_000);
    expect(members(source, 'web')).toHaveLength(2);
    expect(swarm.requests.slice(before)).toEqual([]);
  });

  it('manager restart: an unknown node keeps its members for unknownNodeGraceMs, and tasks without PortStatus keep their port', async () => {
    const { clock, swarm, source } = await started({ unknownNodeGraceMs: 30_000 }, (s) => s.addService('web', 2));
    const before = members(source, 'web');
    expect(before).toHaveLength(2);
    const version = source.get('web')?.version;
    // The manager comes back: node2 is `unknown`, both tasks are listed as running without ports.
    const node2 = swarm.nodes.get('node2');
    swarm.nodes.set('node2', { ...node2, Version: { Index: 9_000 }, Status: { State: 'unknown', Addr: '10.0.9.2' } });
    for (const [id, task] of swarm.tasks) swarm.tasks.set(id, withoutPorts(task));
    await source.refresh();
    await clock.advance(20_000);
    expect(members(source, 'web')).toEqual(before);
    expect(source.get('web')?.version).toBe(version);
    // Still unknown after the grace: its member goes; the manager's task keeps its remembered port.
    await clock.advance(11_000);
    expect(members(source, 'web')).toEqual(['10.0.9.1:30001']);
  });

  it('a node reported down loses its members at once; back to ready, its member returns', async () => {
    const { swarm, source } = await started({}, (s) => s.addService('web', 2));
    const node2 = swarm.nodes.get('node2');
    swarm.nodes.set('node2', { ...node2, Version: { Index: 9_001 }, Status: { State: 'down', Addr: '10.0.9.2' } });
    await source.refresh();
    expect(members(source, 'web')).toEqual(['10.0.9.1:30001']);
    swarm.nodes.set('node2', { ...node2, Version: { Index: 9_002 } });
    await source.refresh();
    expect(members(source, 'web')).toHaveLength(2);
  });

  it('a new task (other ID) without PortStatus gets no remembered port', async () => {
    const { swarm, source } = await started({}, (s) => s.addService('web', 1));
    const task = swarm.tasks.get('svc-web.1') as SwarmTask;
    swarm.tasks.set('svc-web.1', { ...withoutPorts(task), ID: 'other-task' });
    await source.refresh();
    expect(members(source, 'web')).toEqual([]);
  });

  it('reports an outage once, exposes its start, and says when the Engine is reachable again', async () => {
    const { clock, swarm, source } = await started({}, (s) => s.addService('web', 1));
    const down: NitroxError[] = [];
    const up: SwarmOutage[] = [];
    source.on('unreachable', (e) => down.push(e));
    source.on('reachable', (o) => up.push(o));
    expect(source.unreachableSince).toBeUndefined();
    swarm.failWith = new SourceError('cannot reach the Docker Engine (test)', { peerCode: 'ECONNREFUSED' });
    const start = clock.now();
    await clock.advance(5_000);
    expect(down).toHaveLength(1);
    expect(source.unreachableSince).toBeGreaterThanOrEqual(start);
    expect(members(source, 'web')).toHaveLength(1); // failed reads change nothing
    swarm.failWith = undefined;
    await clock.advanceUntil(() => up.length > 0, 30_000);
    expect(up[0]?.downMs).toBeGreaterThanOrEqual(5_000);
    expect(up[0]?.failedReads).toBeGreaterThan(1);
    expect(source.unreachableSince).toBeUndefined();
    expect(source.stats.outages).toBe(1);
  });

  it('reports a service publishing several ports without a port label once per service version', async () => {
    const { swarm, source } = await started({}, (s) => s.addService('web', 1));
    const reported: [string, number[]][] = [];
    source.on('ambiguousPort', (name, ports) => reported.push([name, ports]));
    const web = swarm.services.get('svc-web');
    const twoPorts = [
      { Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' },
      { Protocol: 'tcp', TargetPort: 9090, PublishMode: 'host' },
    ];
    swarm.services.set('svc-web', { ...web, Version: { Index: 9_100 }, Spec: { ...web?.Spec, EndpointSpec: { Ports: twoPorts } } });
    await source.refresh();
    await source.refresh();
    expect(reported).toEqual([['web', [8080, 9090]]]);
    swarm.services.set('svc-web', { ...web, Version: { Index: 9_101 }, Spec: { ...web?.Spec, Labels: { 'nitrox.port': '9090' }, EndpointSpec: { Ports: twoPorts } } });
    await source.refresh();
    expect(reported).toHaveLength(1);
  });

  it('a task pass that asks nothing (no selected service has a set) does not end an outage', async () => {
    const { clock, swarm, source } = await started({ select: { names: ['absent'] } }, (s) => s.addService('web', 1));
    const up: SwarmOutage[] = [];
    source.on('reachable', (o) => up.push(o));
    swarm.failWith = new SourceError('cannot reach the Docker Engine (test)', { peerCode: 'ECONNREFUSED' });
    await source.refresh();
    expect(source.unreachableSince).toBeDefined();
    await clock.advance(3_000); // task passes run, with no request to make
    expect(up).toEqual([]);
    expect(source.unreachableSince).toBeDefined();
  });
});
