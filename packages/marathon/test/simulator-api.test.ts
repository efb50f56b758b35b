/**
 * The simulator's Marathon 1.8 REST surface and task life cycles, as a plain HTTP client (curl, fetch) sees them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type MarathonSimulator, startMarathonSimulator, waitFor } from '../src/testing/index.js';

let sim: MarathonSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// biome-ignore lint/suspicious/noExplicitAny: the tests read Marathon's JSON answers loosely, field by field
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const s = sim as MarathonSimulator;
  const res = await fetch(`${s.url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

type Task = { id: string; host: string; state: string; healthCheckResults?: unknown[] };

describe('Marathon simulator: REST surface', () => {
  it('answers ping, info, leader, queue, groups, tasks and app versions', async () => {
    sim = await startMarathonSimulator({ apps: [{ id: '/prod/web', instances: 2 }, { id: '/dev/api' }] });
    expect((await call('GET', '/ping')).json).toBe('pong');
    const port = new URL(sim.url).port;
    expect((await call('GET', '/v2/leader')).json).toEqual({ leader: `127.0.0.1:${port}` });
    expect((await call('GET', '/v2/info')).json).toMatchObject({ name: 'marathon', elected: true, leader: `127.0.0.1:${port}` });
    expect((await call('GET', '/v2/queue')).json).toEqual({ queue: [] });
    const root = (await call('GET', '/v2/groups')).json;
    expect(root.groups.map((g: { id: string; apps: { id: string }[] }) => [g.id, g.apps.map((a) => a.id)])).toEqual([
      ['/prod', ['/prod/web']],
      ['/dev', ['/dev/api']],
    ]);
    expect((await call('GET', '/v2/tasks')).json.tasks).toHaveLength(3);
    sim.apps.scale('/prod/web', 3);
    expect((await call('GET', '/v2/apps/prod/web/versions')).json.versions).toHaveLength(2);
  });

  it('accepts every embed prefix, label selectors and the id filter; a single app carries counts', async () => {
    sim = await startMarathonSimulator({ apps: [{ id: '/web', instances: 2, labels: { tier: 'front' } }, { id: '/api', labels: { tier: 'back' } }] });
    for (const embed of ['apps.tasks', 'app.tasks', 'group.apps.tasks', 'tasks']) {
      const { json } = await call('GET', `/v2/apps?embed=${embed}`);
      expect(json.apps.map((a: { tasks: unknown[] }) => a.tasks.length)).toEqual([2, 1]);
    }
    expect((await call('GET', '/v2/apps')).json.apps[0].tasks).toBeUndefined();
    const ids = async (query: string) => (await call('GET', `/v2/apps?${query}`)).json.apps.map((a: { id: string }) => a.id);
    expect(await ids(`label=${encodeURIComponent('tier==front')}`)).toEqual(['/web']);
    expect(await ids(`label=${encodeURIComponent('tier notin (front)')}`)).toEqual(['/api']);
    expect(await ids('id=ap')).toEqual(['/api']);
    expect((await call('GET', '/v2/apps/web')).json.app).toMatchObject({ tasksRunning: 2, tasksStaged: 0, deployments: [] });
  });

  it('creates on PUT to a new id, returns the full app on POST, and answers changes with a UUID deployment', async () => {
    sim = await startMarathonSimulator();
    const put = await call('PUT', '/v2/apps/new', { instances: 2, cmd: 'sleep 1' });
    expect(put.status).toBe(201);
    expect(put.json.deploymentId).toMatch(uuid);
    const post = await call('POST', '/v2/apps', { id: 'posted', cmd: 'sleep 2', instances: 1, portDefinitions: [{ port: 0, name: 'http' }] });
    expect(post.status).toBe(201);
    expect(post.json).toMatchObject({ id: '/posted', cmd: 'sleep 2', instances: 1, tasksRunning: 1, portDefinitions: [{ name: 'http' }] });
    expect((await call('POST', '/v2/apps', { id: 'posted' })).status).toBe(409);
    expect(sim.apps.ids()).toEqual(['/new', '/posted']);
  });

  it('kills tasks by id (scale in any case), by host, and by list', async () => {
    sim = await startMarathonSimulator({ apps: [{ id: '/web', instances: 4 }] });
    const [a, b] = sim.apps.taskIds('/web');
    expect((await call('DELETE', `/v2/apps/web/tasks/${a}?scale=True&wipe=False`)).json.deploymentId).toMatch(uuid);
    expect(sim.apps.taskIds('/web')).toHaveLength(3);
    const killed = await call('DELETE', `/v2/apps/web/tasks/${b}`);
    expect(killed.json.task.id).toBe(b);
    expect(sim.apps.taskIds('/web')).toHaveLength(3); // replaced
    const tasks = (await call('GET', '/v2/apps/web/tasks')).json.tasks as Task[];
    const host = (tasks[0] as Task).host;
    const byHost = await call('DELETE', `/v2/apps/web/tasks?host=${host}&scale=TRUE`);
    expect(byHost.json.deploymentId).toMatch(uuid);
    expect(sim.apps.taskIds('/web').length).toBe(3 - tasks.filter((t) => t.host === host).length);
    const [c] = sim.apps.taskIds('/web');
    expect((await call('POST', '/v2/tasks/delete', { ids: [c] })).status).toBe(200);
    expect(sim.apps.taskIds('/web')).not.toContain(c);
  });
});

describe('Marathon simulator: life cycles', () => {
  it('shows STAGING/STARTING, no health result before the first check, KILLING for the grace period', async () => {
    sim = await startMarathonSimulator({ timing: { startMs: 40, healthMs: 80, killGraceMs: 80 }, apps: [{ id: '/web', instances: 1, healthChecks: true }] });
    const s = sim;
    const states = async () => ((await call('GET', '/v2/apps/web/tasks')).json.tasks as Task[]).map((t) => [t.state, t.healthCheckResults === undefined]);
    expect(await states()).toEqual([['TASK_STAGING', true]]);
    await waitFor(async () => (await states())[0]?.[0] === 'TASK_RUNNING');
    expect((await states())[0]?.[1]).toBe(true);
    await waitFor(async () => (await states())[0]?.[1] === false, { what: 'the first health result' });
    expect((await call('GET', '/v2/deployments')).json).toEqual([]);
    s.apps.killTask(s.apps.taskIds('/web')[0] as string, { scale: true });
    expect(await states()).toEqual([['TASK_KILLING', false]]);
    await waitFor(async () => (await states()).length === 0, { what: 'the grace period to end' });
  });

  it('replaces every task on a config change, listing the deployment while it runs', async () => {
    sim = await startMarathonSimulator({ timing: { startMs: 10, healthMs: 20 }, apps: [{ id: '/web', instances: 3, healthChecks: true }] });
    const s = sim;
    await waitFor(() => s.apps.deployments() === 0);
    const before = s.apps.taskIds('/web');
    const put = await call('PUT', '/v2/apps/web', { labels: { HAPROXY_GROUP: 'external' } });
    const running = (await call('GET', '/v2/deployments')).json;
    expect(running).toMatchObject([{ id: put.json.deploymentId, affectedApps: ['/web'], steps: [{ actions: [{ action: 'RestartApplication', app: '/web' }] }] }]);
    await waitFor(() => s.apps.deployments() === 0);
    const after = s.apps.taskIds('/web');
    expect(after).toHaveLength(3);
    expect(after.some((id) => before.includes(id))).toBe(false);
  });

  it('loses every health result on a failover and drops the streams; results return after the checks run', async () => {
    sim = await startMarathonSimulator({ heartbeatMs: 0, apps: [{ id: '/web', instances: 2, healthChecks: true }] });
    const res = await fetch(`${sim.url}/v2/events`, { headers: { accept: 'text/event-stream' } });
    const s = sim;
    await waitFor(() => s.events.open === 1);
    s.faults.failover();
    await waitFor(() => s.events.open === 0);
    await res.body?.cancel().catch(() => undefined);
    const results = async () => ((await call('GET', '/v2/apps/web/tasks')).json.tasks as Task[]).map((t) => t.healthCheckResults?.length ?? 0);
    expect(await results()).toEqual([0, 0]);
    s.apps.runHealthChecks();
    expect(await results()).toEqual([1, 1]);
  });
});
