import { MalformedEventError } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../src/testing/index.js';
import { expectedMembers, type Harness, harness, members } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const signal = (): AbortSignal => AbortSignal.timeout(10_000);

function current(appId: string): string[] {
  return members(h?.source.get(appId)?.value);
}

async function converged(appId: string): Promise<boolean> {
  if (h === undefined) return false;
  const want = await expectedMembers(h.sim, appId);
  const have = current(appId);
  return want.length === have.length && want.every((m, i) => m === have[i]);
}

describe('MarathonSource over the simulator', () => {
  it('follows scale 4 → 6 → 2 with task fetches, not snapshots', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 4 }] });
    const { sim, source } = h;
    const { items } = await source.list(signal());
    expect(items.map((i) => i.key)).toEqual(['/web']);
    expect(items[0]?.value.members).toHaveLength(4);
    await waitFor(() => source.stats.connects === 1 && source.stats.snapshots === 2);
    sim.apps.scale('/web', 6);
    await waitFor(() => current('/web').length === 6);
    expect(await converged('/web')).toBe(true);
    sim.apps.scale('/web', 2);
    await waitFor(() => current('/web').length === 2);
    expect(await converged('/web')).toBe(true);
    expect(sim.requests.lightPlans).toBe(sim.requests.events);
    // A scale is a definition change (api_post_event): one app fetch per burst, no extra snapshot.
    expect(source.stats.snapshots).toBe(2);
    expect(source.stats.appFetches + source.stats.taskFetches).toBeLessThanOrEqual(4);
  });

  it('drops an unhealthy task from the pool and takes it back when it recovers', async () => {
    h = await harness({ apps: [{ id: '/api', instances: 3, healthChecks: true }] });
    const { sim, source } = h;
    await source.list(signal());
    await waitFor(() => source.stats.connects === 1 && (h?.applied() ?? 0) >= 2);
    expect(current('/api')).toHaveLength(3);
    const [victim] = sim.apps.taskIds('/api');
    sim.apps.setHealth(victim as string, false);
    await waitFor(() => current('/api').length === 2);
    const fetchesBefore = source.stats.taskFetches;
    sim.apps.setHealth(victim as string, true);
    await waitFor(() => current('/api').length === 3);
    expect(source.stats.taskFetches).toBeGreaterThan(fetchesBefore);
    expect(await converged('/api')).toBe(true);
  });

  it('repairs lost events with the periodic snapshot', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 2 }] }, { snapshotIntervalMs: 300 });
    const { sim, source } = h;
    await source.list(signal());
    await waitFor(() => source.stats.connects === 1 && (h?.applied() ?? 0) >= 2);
    sim.faults.loseEvents(1_000_000);
    const snapshots = source.stats.snapshots;
    sim.apps.scale('/web', 5);
    expect(sim.events.lost).toBeGreaterThan(10);
    await waitFor(() => current('/web').length === 5);
    expect(source.stats.snapshots).toBeGreaterThan(snapshots);
    expect(await converged('/web')).toBe(true);
  });

  it('repairs a dropped stream with a snapshot after reconnecting', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 2 }] });
    const { sim, source } = h;
    await source.list(signal());
    await waitFor(() => source.stats.connects === 1 && sim.events.open === 1 && (h?.applied() ?? 0) >= 2);
    const snapshots = source.stats.snapshots;
    // Drop the stream and change state while nobody listens.
    expect(sim.faults.dropStreams()).toBe(1);
    sim.apps.scale('/web', 4);
    await waitFor(() => current('/web').length === 4);
    expect(source.stats.connects).toBeGreaterThanOrEqual(2);
    expect(source.stats.snapshots).toBeGreaterThan(snapshots);
    expect(await converged('/web')).toBe(true);
  });

  it('reopens a stalled stream after the idle timeout and resynchronizes', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 1 }], heartbeatMs: 50 }, { idleTimeoutMs: 400 });
    const { sim, source } = h;
    await source.list(signal());
    await waitFor(() => source.stats.connects === 1 && (h?.applied() ?? 0) >= 2);
    expect(sim.faults.stallStreams()).toBe(1);
    sim.apps.scale('/web', 3); // published while the stream is stalled: never delivered
    await waitFor(() => current('/web').length === 3);
    expect(source.stats.connects).toBeGreaterThanOrEqual(2);
  });

  it('keeps heartbeats from tripping the idle timeout', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 1 }], heartbeatMs: 25 }, { idleTimeoutMs: 600 });
    const { sim, source } = h;
    await source.list(signal());
    await waitFor(() => source.stats.connects === 1 && (h?.applied() ?? 0) >= 2);
    const start = sim.events.connections;
    const heartbeats = sim.events.heartbeats;
    // Wait (by condition) until the heartbeats written span twice the idle timeout: 48 × 25 ms = 1.2 s.
    await waitFor(() => sim.events.heartbeats - heartbeats >= 48);
    expect(sim.events.connections).toBe(start);
    expect(source.stats.disconnects).toBe(0);
    expect(source.connected).toBe(true);
  });

  it('never settles on a wrong pool when events arrive shuffled', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 3 }, { id: '/db', instances: 2 }], random: seeded(7) });
    const { sim, source } = h;
    await source.list(signal());
    await waitFor(() => source.stats.connects === 1 && (h?.applied() ?? 0) >= 2);
    sim.faults.setShuffle(true);
    for (const n of [6, 1, 4, 2, 5]) sim.apps.scale('/web', n);
    const [t] = sim.apps.taskIds('/db');
    sim.apps.killTask(t as string);
    await waitFor(async () => (await converged('/web')) && (await converged('/db')));
    expect(current('/web')).toHaveLength(5);
    expect(current('/db')).toHaveLength(2);
  });

  it('coalesces a 500-event deployment into a handful of fetches', async () => {
    // Real time: a quiet gap longer than the debounce (a loaded machine) or a burst longer than maxWait would add a
    // fetch, so both are generous; the count is what is asserted, not the time.
    h = await harness({ apps: [{ id: '/big', instances: 1 }] }, { debounceMs: 300, maxWaitMs: 10_000 });
    const { sim, source } = h;
    await source.list(signal());
    await waitFor(() => source.stats.connects === 1 && (h?.applied() ?? 0) >= 2);
    const before = { ...sim.requests };
    const events = sim.events.published;
    sim.apps.scale('/big', 90);
    const storm = sim.events.published - events - 1; // group_change_success is not subscribed
    expect(storm).toBeGreaterThanOrEqual(500);
    await waitFor(() => current('/big').length === 90);
    await waitFor(() => source.stats.events >= storm);
    const fetches =
      sim.requests.apps - before.apps + sim.requests.app - before.app + sim.requests.appTasks - before.appTasks;
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(3);
    expect(await converged('/big')).toBe(true);
  });

  it('reports malformed event data as a typed error and keeps delivering on the same stream', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 1 }] });
    const { sim, source } = h;
    const log: string[] = [];
    const malformed: MalformedEventError[] = [];
    source.on('malformed', (e) => {
      malformed.push(e);
      log.push('malformed');
    });
    source.on('event', (e) => log.push(e.eventType));
    await source.list(signal());
    await waitFor(() => source.stats.connects === 1 && sim.events.open === 1 && (h?.applied() ?? 0) >= 2);
    const secret = 'hunter2-in-an-env-var';
    sim.faults.injectRaw(`event: status_update_event\r\ndata: {"eventType": "status_upd ${secret}\r\n\r\n`);
    sim.faults.injectRaw('event: status_update_event\r\ndata: [1,2,3]\r\n\r\n');
    sim.faults.injectRaw(`${secret} no field here\r\n\r\n`);
    await waitFor(() => malformed.length === 3);
    const events = source.stats.events;
    // Delivery goes on: the scale's events arrive after the bad frames (snapshots are off in these tests, so
    // only events can bring the pool to 2).
    sim.apps.scale('/web', 2);
    await waitFor(() => current('/web').length === 2);
    expect(source.stats.events).toBeGreaterThan(events);
    expect(log.slice(0, 3)).toEqual(['malformed', 'malformed', 'malformed']);
    expect(log.slice(3)).toContain('status_update_event');
    for (const error of malformed) {
      expect(error).toBeInstanceOf(MalformedEventError);
      expect(error.code).toBe('NITROX_MALFORMED_EVENT');
      expect(error.message).not.toContain(secret);
    }
    expect(source.stats).toMatchObject({ malformed: 3, connects: 1, disconnects: 0, snapshots: 2 });
    expect(await converged('/web')).toBe(true);
  });

  for (const mode of ['lines', 'crlf'] as const) {
    it(`decodes several JSON documents batched in one data field (${mode === 'crlf' ? 'split on CRLF' : 'one per data line'})`, async () => {
      h = await harness({ apps: [{ id: '/web', instances: 1 }] });
      const { sim, source } = h;
      await source.list(signal());
      await waitFor(() => source.stats.connects === 1 && sim.events.open === 1 && (h?.applied() ?? 0) >= 2);
      sim.faults.setBatching(mode);
      const published = sim.events.published;
      const received = source.stats.events;
      sim.apps.scale('/web', 3);
      const burst = sim.events.published - published - 1; // group_change_success is not subscribed
      expect(burst).toBeGreaterThan(10);
      await waitFor(() => source.stats.events - received >= burst);
      await waitFor(() => current('/web').length === 3);
      expect(source.stats.events - received).toBe(burst);
      expect(source.stats.malformed).toBe(0);
      expect(await converged('/web')).toBe(true);
    });
  }

  it('removes the pool of a destroyed app', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 2 }, { id: '/old', instances: 2 }] });
    const { sim, source } = h;
    const { revision } = await source.list(signal());
    await waitFor(() => source.stats.connects === 1 && (h?.applied() ?? 0) >= 2);
    const ac = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const e of source.watch(revision, ac.signal)) if (e.type !== 'bookmark') seen.push(`${e.type} ${e.item.key}`);
    })().catch(() => undefined);
    sim.apps.destroy('/old');
    await waitFor(() => source.get('/old') === undefined);
    await waitFor(() => seen.includes('deleted /old'));
    ac.abort();
    await watching;
    expect(source.get('/web')?.value.members).toHaveLength(2);
  });

  it('selects apps by a HAPROXY_GROUP label and follows label changes', async () => {
    h = await harness(
      {
        apps: [
          { id: '/ext', instances: 2, labels: { HAPROXY_GROUP: 'external' } },
          { id: '/int', instances: 2, labels: { HAPROXY_GROUP: 'internal' } },
        ],
      },
      { select: { group: 'external' } },
    );
    const { sim, source } = h;
    const { items } = await source.list(signal());
    expect(items.map((i) => i.key)).toEqual(['/ext']);
    await waitFor(() => source.stats.connects === 1 && (h?.applied() ?? 0) >= 2);
    // Task churn of an unselected app costs no fetch.
    const fetches = sim.requests.appTasks + sim.requests.app;
    sim.apps.scale('/int', 1);
    await waitFor(() => source.stats.events > 0 && source.stats.ignoredEvents > 0);
    sim.apps.setLabels('/int', { HAPROXY_GROUP: 'internal,external' });
    await waitFor(() => source.get('/int') !== undefined);
    expect(current('/int')).toHaveLength(1);
    sim.apps.setLabels('/ext', { HAPROXY_GROUP: 'internal' });
    await waitFor(() => source.get('/ext') === undefined);
    expect(sim.requests.appTasks + sim.requests.app - fetches).toBeLessThanOrEqual(4);
  });

  it('uses task IP addresses and container ports for IP-per-task apps', async () => {
    h = await harness(
      { apps: [{ id: '/ipt', instances: 2, ipPerTask: true, ports: ['admin', 'http'], containerPorts: [9000, 8080] }] },
      { port: 'http' },
    );
    const { items } = await h.source.list(signal());
    const set = items[0]?.value;
    expect(set?.members).toHaveLength(2);
    for (const m of set?.members ?? []) {
      expect(m.address).toMatch(/^172\.16\./);
      expect(m.port).toBe(8080);
    }
  });

  it('retries a failed snapshot with backoff and syncs afterwards', async () => {
    h = await harness({ apps: [{ id: '/web', instances: 2 }] });
    const { sim, source } = h;
    sim.faults.failRequests({ count: 2, status: 503, path: /^\/v2\/apps$/ });
    const errors: unknown[] = [];
    source.on('error', (e) => errors.push(e));
    const { items } = await source.list(signal());
    expect(items[0]?.value.members).toHaveLength(2);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(source.stats.fetchErrors).toBeGreaterThanOrEqual(1);
  });
});

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}
