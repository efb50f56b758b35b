import { VirtualClock } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { MarathonSource } from './marathon-source.js';
import { InMemoryMarathon } from './testing/in-memory-marathon.js';

function setup(options: Partial<ConstructorParameters<typeof MarathonSource>[0]> = {}) {
  const clock = new VirtualClock();
  const fake = new InMemoryMarathon();
  const source = new MarathonSource({
    client: fake,
    clock,
    random: () => 0.5,
    debounceMs: 100,
    maxWaitMs: 1_000,
    snapshotIntervalMs: 0,
    backoff: { initialMs: 1_000, maxMs: 4_000, jitter: 0 },
    idleTimeoutMs: 1_000_000,
    ...options,
  });
  source.on('error', () => undefined);
  const hosts = (id: string): string[] => (source.get(id)?.value.members ?? []).map((m) => m.address).sort();
  return { clock, fake, source, hosts };
}

describe('MarathonSource on virtual time', () => {
  it('answers list only after the first snapshot, and snapshots again after connecting', async () => {
    const { clock, fake, source } = setup();
    fake.setApp('/web', ['10.0.0.1', '10.0.0.2']);
    const listed = source.list(AbortSignal.timeout(5_000));
    await clock.flush();
    const { items } = await listed;
    expect(items.map((i) => [i.key, i.value.members.length])).toEqual([['/web', 2]]);
    await clock.flush();
    expect(fake.calls).toMatchObject({ listApps: 2, openEvents: 1 });
    await source.stop();
  });

  it('costs one fetch per maxWaitMs under a constant stream of events', async () => {
    const { clock, fake, source, hosts } = setup();
    fake.setApp('/web', ['10.0.0.1']);
    source.start();
    await clock.flush();
    const before = fake.calls.getAppTasks;
    // 500 status events, one every 10 ms for 5 s; the app changes along the way.
    for (let i = 0; i < 500; i++) {
      if (i % 100 === 0) fake.setApp('/web', [`10.0.1.${i / 100}`, '10.0.0.1']);
      fake.emit({ eventType: 'status_update_event', appId: '/web', taskStatus: 'TASK_RUNNING' });
      await clock.advance(10);
    }
    await clock.advance(2_000);
    const fetches = fake.calls.getAppTasks - before;
    expect(fetches).toBeGreaterThanOrEqual(5);
    expect(fetches).toBeLessThanOrEqual(6);
    expect(source.stats.events).toBe(500);
    expect(hosts('/web')).toEqual(['10.0.0.1', '10.0.1.4']);
    await source.stop();
  });

  it('replaces many per-app fetches with one full snapshot', async () => {
    const { clock, fake, source } = setup({ maxAppFetches: 3 });
    for (let i = 0; i < 10; i++) fake.setApp(`/app${i}`, ['10.0.0.1']);
    source.start();
    await clock.flush();
    const snapshots = fake.calls.listApps;
    for (let i = 0; i < 10; i++) fake.emit({ eventType: 'instance_changed_event', runSpecId: `/app${i}`, condition: 'Running' });
    await clock.advance(200);
    expect(fake.calls.listApps).toBe(snapshots + 1);
    expect(fake.calls.getAppTasks + fake.calls.getApp).toBe(0);
    await source.stop();
  });

  it('refetches an app that changed while its fetch was in flight', async () => {
    const { clock, fake, source, hosts } = setup();
    fake.setApp('/web', ['10.0.0.1']);
    source.start();
    await clock.flush();
    let open: () => void = () => undefined;
    fake.gate = new Promise<void>((r) => (open = r));
    fake.emit({ eventType: 'status_update_event', appId: '/web' });
    await clock.advance(150); // the fetch starts and hangs on the gate
    expect(fake.calls.getAppTasks).toBe(1);
    fake.setApp('/web', ['10.0.0.9']);
    fake.emit({ eventType: 'status_update_event', appId: '/web' });
    await clock.advance(150);
    expect(fake.calls.getAppTasks).toBe(1); // one worker: no second fetch in parallel
    fake.gate = undefined;
    open();
    await clock.advance(500);
    expect(fake.calls.getAppTasks).toBe(2);
    expect(hosts('/web')).toEqual(['10.0.0.9']);
    await source.stop();
  });

  it('retries a failed fetch with backoff, keeping the app dirty', async () => {
    const { clock, fake, source, hosts } = setup();
    fake.setApp('/web', ['10.0.0.1']);
    source.start();
    await clock.flush();
    fake.setApp('/web', ['10.0.0.2']);
    fake.failNext = 2;
    fake.emit({ eventType: 'health_status_changed_event', appId: '/web', alive: true });
    await clock.advance(100);
    expect(source.stats.fetchErrors).toBe(1);
    await clock.advance(999);
    expect(fake.calls.getAppTasks).toBe(1);
    await clock.advance(1);
    expect(source.stats.fetchErrors).toBe(2); // second try after 1 s, fails; third after 2 s more
    await clock.advance(2_000);
    expect(hosts('/web')).toEqual(['10.0.0.2']);
    expect(fake.calls.getAppTasks).toBe(3);
    await source.stop();
  });

  it('takes a periodic snapshot with jitter and repairs what events missed', async () => {
    const { clock, fake, source, hosts } = setup({ snapshotIntervalMs: 10_000, random: () => 1 });
    fake.setApp('/web', ['10.0.0.1']);
    source.start();
    await clock.flush();
    const snapshots = fake.calls.listApps;
    fake.setApp('/web', ['10.0.0.3']); // no event
    await clock.advance(10_999);
    expect(fake.calls.listApps).toBe(snapshots);
    await clock.advance(1);
    expect(fake.calls.listApps).toBe(snapshots + 1);
    expect(hosts('/web')).toEqual(['10.0.0.3']);
    await source.stop();
  });

  it('removes a terminated app and ignores task churn of unselected apps', async () => {
    const { clock, fake, source } = setup({ select: { labels: { expose: 'yes' } } });
    fake.setApp('/web', ['10.0.0.1'], { labels: { expose: 'yes' } });
    fake.setApp('/batch', ['10.0.0.2']);
    source.start();
    await clock.flush();
    expect(source.get('/batch')).toBeUndefined();
    fake.emit({ eventType: 'status_update_event', appId: '/batch' });
    await clock.advance(500);
    expect(fake.calls.getAppTasks).toBe(0);
    expect(source.stats.ignoredEvents).toBe(1);
    fake.apps.delete('/web');
    fake.emit({ eventType: 'app_terminated_event', appId: '/web' });
    await clock.advance(500);
    expect(source.get('/web')).toBeUndefined();
    expect(source.stats.deletes).toBe(1);
    await source.stop();
  });

  it('never takes a pool from event payloads: lying events only cause a refetch of the truth', async () => {
    const { clock, fake, source, hosts } = setup();
    fake.setApp('/web', ['10.0.0.1']);
    source.start();
    await clock.flush();
    const fetches = fake.calls.getAppTasks + fake.calls.getApp + fake.calls.listApps;
    // Each event claims something Marathon's task list does not show.
    fake.emit({ eventType: 'status_update_event', appId: '/web', taskStatus: 'TASK_RUNNING', host: '6.6.6.6', ports: [1] });
    fake.emit({ eventType: 'status_update_event', appId: '/web', taskStatus: 'TASK_KILLED', host: '10.0.0.1', ports: [31000] });
    fake.emit({ eventType: 'app_terminated_event', appId: '/web' });
    fake.emit({ eventType: 'instance_changed_event', runSpecId: '/ghost', condition: 'Running', host: '6.6.6.7' });
    await clock.advance(1_000);
    expect(fake.calls.getAppTasks + fake.calls.getApp + fake.calls.listApps).toBeGreaterThan(fetches);
    expect(hosts('/web')).toEqual(['10.0.0.1']);
    expect(source.get('/ghost')).toBeUndefined();
    expect(source.stats.deletes).toBe(0);
    await source.stop();
  });

  it('writes a pool only when its members change', async () => {
    const { clock, fake, source } = setup();
    fake.setApp('/web', ['10.0.0.1']);
    source.start();
    await clock.flush();
    const version = source.get('/web')?.version;
    for (let i = 0; i < 3; i++) {
      fake.emit({ eventType: 'status_update_event', appId: '/web' });
      await clock.advance(500);
    }
    expect(fake.calls.getAppTasks).toBe(3);
    expect(source.get('/web')?.version).toBe(version);
    expect(source.stats.puts).toBe(1);
    await source.stop();
  });
});

describe('MarathonSource with odd snapshots', () => {
  it('skips apps without a usable id instead of failing the snapshot', async () => {
    const clock = new VirtualClock();
    const fake = new InMemoryMarathon();
    fake.setApp('/web', ['10.0.0.1']);
    fake.setApp('', ['10.0.0.2']);
    const source = new MarathonSource({ client: fake, clock, events: false, snapshotIntervalMs: 0 });
    const listed = source.list(AbortSignal.timeout(5_000));
    await clock.flush();
    const { items } = await listed;
    expect(items.map((i) => i.key)).toEqual(['/web']);
    expect(source.stats.fetchErrors).toBe(0);
    await source.stop();
  });
});

describe('MarathonSource on real failure modes', () => {
  it('keeps known-healthy tasks through a leader failover that lost every health result', async () => {
    const { clock, fake, source, hosts } = setup();
    const results = [{ alive: true }];
    fake.setApp('/web', ['10.0.0.1', '10.0.0.2'], { healthChecks: [{ protocol: 'HTTP' }] });
    const entry = fake.apps.get('/web');
    if (entry === undefined) throw new Error('no app');
    entry.tasks = entry.tasks.map((t) => ({ ...t, healthCheckResults: results }));
    source.start();
    await clock.flush();
    expect(hosts('/web')).toEqual(['10.0.0.1', '10.0.0.2']);
    // The new leader knows the tasks but has run no check yet; a third task has just started.
    entry.tasks = [
      ...entry.tasks.map(({ healthCheckResults: _lost, ...t }) => t),
      { id: '/web.new', appId: '/web', host: '10.0.0.3', state: 'TASK_RUNNING', ports: [31_009] },
    ];
    source.resync();
    await clock.flush();
    expect(hosts('/web')).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(source.stats.deletes).toBe(0);
    await source.stop();
  });

  it('resolves agent hostnames through the injected lookup, and reports a name that does not resolve per task', async () => {
    const lookup = async (host: string): Promise<string[]> => {
      if (host === 'agent-1.example') return ['10.1.0.1'];
      throw new Error('ENOTFOUND');
    };
    const { clock, fake, source, hosts } = setup({ resolver: { lookup } });
    const unresolved: string[] = [];
    source.on('unresolved', (e) => unresolved.push(`${e.taskId} ${e.host} ${e.code}`));
    fake.setApp('/web', ['agent-1.example', 'ghost.example']);
    source.start();
    await clock.flush();
    expect(hosts('/web')).toEqual(['10.1.0.1']);
    expect(unresolved).toEqual(['/web.1 ghost.example NITROX_SOURCE']);
    expect(source.stats).toMatchObject({ unresolvedTasks: 1, hostLookups: 2 });
    await source.stop();
  });

  it('with resolveHostnames off, leaves named hosts out instead of sending a name as an address', async () => {
    const { clock, fake, source, hosts } = setup({ resolveHostnames: false });
    fake.setApp('/web', ['agent-1.example', '10.0.0.2']);
    source.start();
    await clock.flush();
    expect(hosts('/web')).toEqual(['10.0.0.2']);
    expect(source.stats.unresolvedTasks).toBe(1);
    await source.stop();
  });
});
