import { getEventListeners } from 'node:events';
import { type BackendSet, ConfigError, MalformedEventError, type NitroxError, SourceError, VirtualClock, type WatchEvent } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSwarm } from '../test/fake-swarm.js';
import { SwarmSource } from './swarm-source.js';
import type { SwarmSourceOptions } from './swarm-source-options.js';

const sources: SwarmSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

function setup(options: Partial<SwarmSourceOptions> = {}) {
  const clock = new VirtualClock();
  const swarm = new FakeSwarm();
  const source = new SwarmSource({ client: swarm.client, clock, random: () => 0.5, ...options });
  sources.push(source);
  const errors: NitroxError[] = [];
  source.on('error', (e) => errors.push(e));
  return { clock, swarm, source, errors };
}

const ports = (source: SwarmSource, name: string): number[] => source.get(name)?.value.members.map((m) => m.port) ?? [];

describe('SwarmSource', () => {
  it('waitForSync: rejects an aborted signal at once, leaves no abort listener behind, and rejects when stopped', async () => {
    const { source, swarm } = setup();
    swarm.addService('web', 1);
    const aborted = new AbortController();
    aborted.abort(new Error('gave up'));
    await expect(source.waitForSync(aborted.signal)).rejects.toThrow('gave up');
    const signal = new AbortController().signal;
    const synced = source.waitForSync(signal);
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    await source.list(new AbortController().signal);
    await synced;
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);

    const { source: other } = setup();
    other.start();
    const pending = other.waitForSync();
    await other.stop();
    await expect(pending).rejects.toMatchObject({ code: 'NITROX_SHUTDOWN' });
  });

  it('lists one backend set per service after the first full read, then watches changes', async () => {
    const { clock, swarm, source } = setup();
    const web = swarm.addService('web', 2);
    swarm.addService('api', 1);
    const listed = await source.list(new AbortController().signal);
    expect(listed.items.map((i) => i.value).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'api', members: [{ address: '10.0.9.1', port: 30001 }] },
      { name: 'web', members: [{ address: '10.0.9.1', port: 30001 }, { address: '10.0.9.2', port: 30002 }] },
    ]);
    const seen: WatchEvent<BackendSet>[] = [];
    const ac = new AbortController();
    const watching = (async () => {
      for await (const e of source.watch(listed.revision, ac.signal)) seen.push(e);
    })().catch(() => {});
    swarm.scale(web, 3);
    swarm.setTask(web, 3, 'running');
    swarm.emit(swarm.serviceEvent(web));
    await clock.advanceUntil(() => seen.length > 0, 5_000);
    expect(seen[0]).toMatchObject({ type: 'modified', item: { key: 'web', value: { members: [{}, {}, {}] } } });
    ac.abort();
    await watching;
  });

  it('coalesces a 50-task update (service events and 100 container events) into a handful of requests', async () => {
    const { clock, swarm, source } = setup({ taskPollMs: 0 }); // the event path alone
    const web = swarm.addService('web', 50);
    await source.list(new AbortController().signal);
    await clock.advanceUntil(() => source.eventsConnected, 1_000);
    await clock.advance(100);
    const before = swarm.requests.length;
    swarm.emit(swarm.serviceEvent(web));
    for (let slot = 1; slot <= 50; slot++) {
      swarm.setTask(web, slot, 'running'); // replaced: new task version
      swarm.emit(swarm.containerEvent(web, 'die'));
      swarm.emit(swarm.containerEvent(web, 'start'));
      if (slot % 10 === 0) await clock.advance(5);
    }
    await clock.advance(2_000);
    const requests = swarm.requests.slice(before);
    expect(source.stats.events).toBeGreaterThanOrEqual(101);
    expect(requests.length).toBeLessThanOrEqual(4); // one targeted pass: services + tasks of the service
    expect(requests).toContain(`tasks:${web}`);
    expect(source.get('web')?.value.members).toHaveLength(50);
  });

  it('a rolling update paced over 5 s (one task every 100 ms, 100 container events) costs about a dozen reads', async () => {
    const { clock, swarm, source } = setup({ taskPollMs: 0 }); // the event path alone
    const web = swarm.addService('web', 50);
    await source.list(new AbortController().signal);
    await clock.advanceUntil(() => source.eventsConnected, 1_000);
    await clock.advance(100);
    const before = swarm.requests.length;
    swarm.emit(swarm.serviceEvent(web));
    for (let slot = 1; slot <= 50; slot++) {
      swarm.setTask(web, slot, 'starting');
      swarm.emit(swarm.containerEvent(web, 'die'));
      await clock.advance(50);
      swarm.setTask(web, slot, 'running');
      swarm.emit(swarm.containerEvent(web, 'start'));
      await clock.advance(50);
    }
    await clock.advance(5_000);
    const requests = swarm.requests.slice(before);
    expect(requests.length).toBeLessThanOrEqual(30);
    expect(source.get('web')?.value.members).toHaveLength(50);
  });

  it('reports a malformed event line and goes on with the stream', async () => {
    const { clock, swarm, source, errors } = setup();
    const web = swarm.addService('web', 1);
    await source.list(new AbortController().signal);
    await clock.advanceUntil(() => source.eventsConnected, 1_000);
    swarm.emit('{"Type":"service", this is not json');
    swarm.emit('{"Type":"service","Action":"update"}');
    swarm.scale(web, 2);
    swarm.setTask(web, 2, 'running');
    swarm.emit(swarm.serviceEvent(web));
    await clock.advanceUntil(() => ports(source, 'web').length === 2, 1_000);
    expect(errors.filter((e) => e instanceof MalformedEventError)).toHaveLength(2);
    expect(source.stats.malformed).toBe(2);
    expect(source.stats.eventConnects).toBe(1); // the same stream carried the later event
  });

  it('follows a service whose tasks are still starting, although no event says they started', async () => {
    const { clock, swarm, source } = setup();
    const web = swarm.addService('web', 1);
    await source.list(new AbortController().signal);
    await clock.advanceUntil(() => source.eventsConnected, 1_000);
    swarm.scale(web, 3);
    swarm.setTask(web, 2, 'starting');
    swarm.setTask(web, 3, 'preparing');
    swarm.emit(swarm.serviceEvent(web));
    await clock.advance(100);
    expect(ports(source, 'web')).toHaveLength(1);
    swarm.setTask(web, 2, 'running');
    swarm.setTask(web, 3, 'running');
    const start = clock.now();
    await clock.advanceUntil(() => ports(source, 'web').length === 3, 5_000);
    expect(clock.now() - start).toBeLessThan(1_000); // long before the 15 s poll
  });

  it('keeps processing events after a follow-up read finds nothing left to do', async () => {
    const { clock, swarm, source } = setup();
    const web = swarm.addService('web', 1);
    await source.list(new AbortController().signal);
    await clock.advanceUntil(() => source.eventsConnected, 1_000);
    await clock.advance(100);
    swarm.scale(web, 2);
    swarm.setTask(web, 2, 'starting');
    swarm.emit(swarm.serviceEvent(web)); // read at +50 ms: unsettled, a follow-up is due at +300 ms
    await clock.advance(100);
    swarm.setTask(web, 2, 'running');
    swarm.emit(swarm.containerEvent(web, 'start')); // settles it before the follow-up fires
    await clock.advance(400); // the follow-up timer fires with nothing left to read
    expect(ports(source, 'web')).toHaveLength(2);
    swarm.scale(web, 3);
    swarm.setTask(web, 3, 'running');
    swarm.emit(swarm.serviceEvent(web));
    await clock.advanceUntil(() => ports(source, 'web').length === 3, 1_000);
  });

  it('repairs a cut event stream by polling at the fallback period, then reconnects with since', async () => {
    const { clock, swarm, source } = setup({ backoff: { initialMs: 5_000, maxMs: 5_000 } });
    const web = swarm.addService('web', 1);
    await source.list(new AbortController().signal);
    await clock.advanceUntil(() => source.eventsConnected, 1_000);
    swarm.emit(swarm.serviceEvent(web, 'update'));
    await clock.advance(100);
    swarm.cutEvents();
    await clock.advanceUntil(() => !source.eventsConnected, 1_000);
    swarm.scale(web, 2);
    swarm.setTask(web, 2, 'running'); // no event: the stream is down
    const start = clock.now();
    await clock.advanceUntil(() => ports(source, 'web').length === 2, 10_000);
    expect(clock.now() - start).toBeLessThan(3_000); // fallback poll (2 s + jitter), not 15 s
    await clock.advanceUntil(() => source.eventsConnected, 20_000);
    expect(swarm.eventSince.at(-1)).toBeTypeOf('bigint');
  });

  it('reopens an event stream silent for eventsIdleTimeoutMs (half-open: no heartbeats); the poll keeps sets correct meanwhile', async () => {
    const { clock, swarm, source } = setup({ eventsIdleTimeoutMs: 120_000, backoff: { initialMs: 1_000, maxMs: 1_000 } });
    const web = swarm.addService('web', 1);
    await source.list(new AbortController().signal);
    await clock.advanceUntil(() => source.eventsConnected, 1_000);
    const reasons: string[] = [];
    source.on('eventsDisconnected', (reason) => reasons.push(reason.message));
    await clock.advance(100_000);
    swarm.emit(swarm.serviceEvent(web, 'update')); // a line re-arms the idle bound
    await clock.advance(100_000);
    expect(source.stats.eventConnects).toBe(1);
    swarm.muteEvents(); // the connection stays open but nothing arrives any more
    swarm.scale(web, 2);
    swarm.setTask(web, 2, 'running');
    swarm.emit(swarm.serviceEvent(web));
    await clock.advanceUntil(() => ports(source, 'web').length === 2, 17_000); // the 15 s poll repairs it
    expect(source.stats.eventConnects).toBe(1);
    expect(swarm.eventStreams[0]?.destroyed).toBe(false);
    await clock.advanceUntil(() => source.stats.eventConnects === 2, 40_000); // 120 s after the last line
    expect(reasons).toEqual([expect.stringMatching(/no Engine event for 120000 ms/)]);
    expect(swarm.eventStreams[0]?.destroyed).toBe(true);
    expect(swarm.eventSince.at(-1)).toBeTypeOf('bigint');
    swarm.scale(web, 3);
    swarm.setTask(web, 3, 'running');
    swarm.emit(swarm.serviceEvent(web)); // the new stream carries events again
    await clock.advanceUntil(() => ports(source, 'web').length === 3, 1_000);
  });

  it('keeps a quiet stream open when eventsIdleTimeoutMs is 0', async () => {
    const { clock, swarm, source } = setup({ eventsIdleTimeoutMs: 0 });
    swarm.addService('web', 1);
    await source.list(new AbortController().signal);
    await clock.advanceUntil(() => source.eventsConnected, 1_000);
    await clock.advance(3_600_000);
    expect(source.stats.eventConnects).toBe(1);
    expect(source.eventsConnected).toBe(true);
  });

  it('retries a failed targeted read after a backoff, long before the next poll', async () => {
    const { clock, swarm, source, errors } = setup({ backoff: { initialMs: 500, maxMs: 500 } });
    const web = swarm.addService('web', 1);
    await source.list(new AbortController().signal);
    await clock.advanceUntil(() => source.eventsConnected, 1_000);
    await clock.advance(100);
    swarm.scale(web, 2);
    swarm.setTask(web, 2, 'running');
    swarm.failWith = new SourceError('manager busy (test)', { status: 500 });
    swarm.emit(swarm.serviceEvent(web));
    await clock.advanceUntil(() => errors.length > 0, 1_000);
    swarm.failWith = undefined;
    const start = clock.now();
    await clock.advanceUntil(() => ports(source, 'web').length === 2, 5_000);
    expect(clock.now() - start).toBeLessThan(1_500);
  });

  it('polls alone when events are off', async () => {
    const { clock, swarm, source } = setup({ events: false, fallbackPollMs: 1_000 });
    const web = swarm.addService('web', 1);
    await source.list(new AbortController().signal);
    swarm.scale(web, 2);
    swarm.setTask(web, 2, 'running');
    await clock.advanceUntil(() => ports(source, 'web').length === 2, 5_000);
    expect(swarm.requests).not.toContain('events');
  });

  it('deletes the set of a removed service, and of a renamed one under its old name', async () => {
    const { clock, swarm, source, errors } = setup();
    const web = swarm.addService('web', 1);
    const api = swarm.addService('api', 1);
    await source.list(new AbortController().signal);
    await clock.advanceUntil(() => source.eventsConnected, 1_000);
    swarm.services.delete(web);
    swarm.emit(swarm.serviceEvent(web, 'remove'));
    const svc = swarm.services.get(api);
    swarm.services.set(api, { ...svc, Version: { Index: 9999 }, Spec: { ...svc?.Spec, Name: 'api2' } });
    swarm.emit(swarm.serviceEvent(api));
    await clock.advanceUntil(() => source.get('web') === undefined && source.get('api2') !== undefined, 2_000);
    expect(source.get('api')).toBeUndefined();
    expect(errors).toEqual([]); // the 404 of /tasks for the removed service is handled, not reported
  });

  it('selects services by name and label', async () => {
    const { swarm, source } = setup({ select: { labels: { 'nitrox.enable': 'true', team: true } } });
    swarm.addService('web', 1, { 'nitrox.enable': 'true', team: 'a' });
    swarm.addService('api', 1, { 'nitrox.enable': 'true' });
    swarm.addService('db', 1, {});
    const listed = await source.list(new AbortController().signal);
    expect(listed.items.map((i) => i.key)).toEqual(['web']);
    const byName = setup({ select: { names: ['api'] } });
    byName.swarm.addService('web', 1);
    byName.swarm.addService('api', 1);
    expect((await byName.source.list(new AbortController().signal)).items.map((i) => i.key)).toEqual(['api']);
  });

  it('rejects list with the SourceError of a failed first read, and recovers once the manager answers', async () => {
    const { swarm, source } = setup({ events: false });
    swarm.addService('web', 1);
    swarm.failWith = new SourceError('not a swarm manager (test)', { status: 503 });
    await expect(source.list(new AbortController().signal)).rejects.toMatchObject({ code: 'NITROX_SOURCE', status: 503 });
    swarm.failWith = undefined;
    expect((await source.list(new AbortController().signal)).items).toHaveLength(1);
  });

  it('validates options eagerly with ConfigError naming the option', () => {
    expect(() => new SwarmSource({ pollIntervalMs: 0 })).toThrow(ConfigError);
    expect(() => new SwarmSource({ eventsIdleTimeoutMs: -1 })).toThrow(/eventsIdleTimeoutMs/);
    expect(() => new SwarmSource({ debounceMs: 100, maxWaitMs: 10 })).toThrow(/maxWaitMs/);
    expect(() => new SwarmSource({ ingressNodes: 'some' as 'all' })).toThrow(/ingressNodes/);
    expect(() => new SwarmSource({ connection: { apiVersion: '1.40' } })).toThrow(/apiVersion/);
    expect(() => new SwarmSource({ taskPollMs: 5 })).toThrow(/taskPollMs/);
    expect(() => new SwarmSource({ unknownNodeGraceMs: -1 })).toThrow(/unknownNodeGraceMs/);
    expect(() => new SwarmSource({ taskPollMs: 0, unknownNodeGraceMs: 0 })).not.toThrow();
  });
});
