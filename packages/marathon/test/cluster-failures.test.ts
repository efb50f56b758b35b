/**
 * The source against the failure modes of real Marathon clusters, over the simulator: a standby master (the
 * event stream redirected to the leader), several master URLs, a leader failover that loses every health
 * result, agents registered by hostname, and a rolling restart during which the pool must never hold fewer
 * members than the healthy tasks marathon-lb would keep.
 */
import { backendKey } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { MarathonSource, type MarathonSourceOptions } from '../src/index.js';
import { type MarathonSimulator, type MarathonSimulatorOptions, startMarathonSimulator, waitFor } from '../src/testing/index.js';
import { fast, members } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(options: MarathonSimulatorOptions): Promise<MarathonSimulator> {
  const sim = await startMarathonSimulator({ heartbeatMs: 0, ...options });
  cleanups.push(() => sim.close());
  return sim;
}

function source(options: Partial<MarathonSourceOptions> & { url: string | string[] }): MarathonSource {
  const s = new MarathonSource({ ...fast, ...options });
  s.on('error', () => undefined);
  cleanups.push(() => s.stop());
  return s;
}

/** Every size the pool of `appId` had, from the first list on (a watch of the source). */
async function recordSizes(s: MarathonSource, appId: string): Promise<number[]> {
  const { revision, items } = await s.list(AbortSignal.timeout(10_000));
  const sizes = [items.find((i) => i.key === appId)?.value.members.length ?? 0];
  const stop = new AbortController();
  cleanups.push(async () => stop.abort());
  void (async () => {
    try {
      for await (const event of s.watch(revision, stop.signal)) {
        if (event.type === 'bookmark' || event.item.key !== appId) continue;
        sizes.push(event.type === 'deleted' ? 0 : event.item.value.members.length);
      }
    } catch {
      // stopped
    }
  })();
  return sizes;
}

/** What marathon-lb would route to: running tasks with some alive health result. */
async function marathonLbCount(sim: MarathonSimulator, appId: string): Promise<number> {
  const body = (await (await fetch(`${sim.url}/v2/apps${appId}/tasks`)).json()) as {
    tasks: { state: string; healthCheckResults?: { alive: boolean }[] }[];
  };
  return body.tasks.filter((t) => t.state === 'TASK_RUNNING' && (t.healthCheckResults ?? []).some((r) => r.alive)).length;
}

describe('MarathonSource on real cluster failures', () => {
  it('converges through a standby master: the /v2/events redirect is followed, REST goes through the proxy', async () => {
    const sim = await simulator({ apps: [{ id: '/web', instances: 2 }] });
    const standby = await sim.startStandby();
    const s = source({ url: standby.url });
    await s.list(AbortSignal.timeout(10_000));
    await waitFor(() => s.stats.connects === 1, { what: 'the stream to open on the leader' });
    sim.apps.scale('/web', 5);
    await waitFor(() => members(s.get('/web')?.value).length === 5, { what: '5 members from events' });
    expect(standby.requests.redirects).toBe(1);
    expect(s.stats.redirects).toBe(1);
    expect(standby.requests.proxied).toBeGreaterThanOrEqual(2);
    expect(s.stats.snapshots).toBe(2); // the first and the one after connecting: the change came as events
  });

  it('with several URLs asks /v2/leader and opens the stream on the leader, no redirect needed', async () => {
    const sim = await simulator({ apps: [{ id: '/web', instances: 1 }] });
    const standby = await sim.startStandby();
    const s = source({ url: [standby.url, sim.url] });
    await s.list(AbortSignal.timeout(10_000));
    await waitFor(() => s.stats.connects === 1);
    sim.apps.scale('/web', 3);
    await waitFor(() => members(s.get('/web')?.value).length === 3);
    expect(standby.requests.redirects).toBe(0);
    expect(s.stats.leaderMoves).toBe(1);
  });

  it('does not follow a redirect to a scheme other than http(s), and rotates to the next URL', async () => {
    const sim = await simulator({ apps: [{ id: '/web', instances: 1 }] });
    const standby = await sim.startStandby({ redirectTo: 'ftp://127.0.0.1:1' });
    const s = source({ url: [standby.url, sim.url] });
    const errors: string[] = [];
    s.on('disconnected', (reason) => errors.push(reason.message));
    // The standby is asked first only when /v2/leader does not name a listed URL; force it by failing that call.
    sim.faults.failRequests({ count: 1, status: 404, path: /^\/v2\/leader$/ });
    await s.list(AbortSignal.timeout(10_000));
    await waitFor(() => s.stats.connects === 1, { what: 'a stream on the leader after the refused redirect' });
    expect(errors[0]).toMatch(/redirect not followed \(scheme ftp: refused\)/);
  });

  it('keeps every healthy member through a leader failover that loses all health results', async () => {
    // Checks run only when the test says so (a long healthMs), so the failover's loss is visible.
    const sim = await simulator({ timing: { healthMs: 600_000 }, apps: [{ id: '/api', instances: 4, healthChecks: true }] });
    for (const id of sim.apps.taskIds('/api')) sim.apps.setHealth(id, true);
    const s = source({ url: sim.url });
    const sizes = await recordSizes(s, '/api');
    expect(sizes[0]).toBe(4);
    await waitFor(() => s.stats.connects === 1);
    sim.faults.failover({ healthAfterMs: 0 });
    sim.apps.scale('/api', 5); // a task started under the new leader: not healthy until checked
    await waitFor(() => s.stats.connects === 2 && s.stats.snapshots >= 3, { what: 'reconnect and snapshot' });
    const tasks = (await (await fetch(`${sim.url}/v2/apps/api/tasks`)).json()) as { tasks: { healthCheckResults?: unknown }[] };
    expect(tasks.tasks.every((t) => t.healthCheckResults === undefined)).toBe(true);
    expect(members(s.get('/api')?.value)).toHaveLength(4);
    sim.apps.runHealthChecks();
    await waitFor(() => members(s.get('/api')?.value).length === 5, { what: 'the new task once checked' });
    expect(Math.min(...sizes)).toBe(4);
  });

  it('resolves agents registered by hostname; a name that does not resolve never becomes an address', async () => {
    const sim = await simulator({ agents: 'hostname', apps: [{ id: '/web', instances: 3 }, { id: '/ipt', instances: 2, ipPerTask: true }] });
    const resolving = source({ url: sim.url, resolver: { lookup: sim.agents.lookup } });
    await resolving.list(AbortSignal.timeout(10_000));
    const addresses = (resolving.get('/web')?.value.members ?? []).map((m) => m.address);
    expect(addresses).toHaveLength(3);
    expect(addresses.every((a) => /^10\.0\.0\.\d+$/.test(a))).toBe(true);

    const failing = source({ url: sim.url, resolver: { lookup: async () => Promise.reject(new Error('SERVFAIL')) } });
    const unresolved: string[] = [];
    failing.on('unresolved', (e) => unresolved.push(e.host));
    await failing.list(AbortSignal.timeout(10_000));
    expect(failing.get('/web')?.value.members).toEqual([]);
    // IP-per-task members use the task's own address and need no resolution.
    expect(members(failing.get('/ipt')?.value)).toEqual([expect.stringMatching(/^172\.16\.\d+\.\d+:8080$/), expect.stringMatching(/^172\.16\./)]);
    expect(unresolved.sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^mesos-agent-\d\.example$/)]));
    expect(failing.stats.unresolvedTasks).toBe(3);
  });

  it('keeps TASK_UNREACHABLE tasks of a partitioned agent by default (marathon-lb), drops them when told', async () => {
    const sim = await simulator({ apps: [{ id: '/web', instances: 8 }] });
    const keep = source({ url: sim.url });
    const drop = source({ url: sim.url, unreachableTasks: 'drop' });
    await keep.list(AbortSignal.timeout(10_000));
    await drop.list(AbortSignal.timeout(10_000));
    await waitFor(() => keep.stats.connects === 1 && drop.stats.connects === 1);
    sim.faults.partitionAgent('10.0.0.1');
    await waitFor(() => members(drop.get('/web')?.value).length === 7, { what: 'the unreachable task dropped' });
    const tasks = (await (await fetch(`${sim.url}/v2/apps/web/tasks`)).json()) as { tasks: { state: string }[] };
    expect(tasks.tasks.filter((t) => t.state === 'TASK_UNREACHABLE')).toHaveLength(1);
    expect(members(keep.get('/web')?.value)).toHaveLength(8);
    sim.faults.partitionAgent('10.0.0.1', false);
    await waitFor(() => members(drop.get('/web')?.value).length === 8, { what: 'the task back after the partition heals' });
  });

  it('never drops below the healthy count marathon-lb would keep during a rolling restart of 10 tasks', { timeout: 30_000 }, async () => {
    const sim = await simulator({ timing: { startMs: 10, healthMs: 40, killGraceMs: 30 }, apps: [{ id: '/web', instances: 10, healthChecks: true }] });
    await waitFor(async () => (await marathonLbCount(sim, '/web')) === 10, { what: '10 healthy tasks' });
    const s = source({ url: sim.url });
    const sizes = await recordSizes(s, '/web');
    expect(sizes[0]).toBe(10);
    const before = new Set((s.get('/web')?.value.members ?? []).map(backendKey));
    await waitFor(() => s.stats.connects === 1);
    const lbCounts: number[] = [];
    sim.apps.setLabels('/web', { HAPROXY_GROUP: 'external' }); // a config change: every task is replaced
    await waitFor(
      async () => {
        lbCounts.push(await marathonLbCount(sim, '/web'));
        const now = (s.get('/web')?.value.members ?? []).map(backendKey);
        return sim.apps.deployments() === 0 && now.length === 10 && now.every((m) => !before.has(m));
      },
      { what: 'the pool to hold the 10 new tasks only', timeoutMs: 20_000 },
    );
    expect(Math.min(...lbCounts)).toBeGreaterThanOrEqual(10);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(10);
    expect(sizes.length).toBeGreaterThanOrEqual(2);
  });
});
