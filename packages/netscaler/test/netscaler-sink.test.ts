import { SinkError, VirtualClock } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { NetScalerApplyError } from '../src/errors.js';
import type { NetScalerSink } from '../src/netscaler-sink.js';
import type { NitroSimulator } from '../src/testing/index.js';
import { dump, PASSWORD, pool, recordingLogger, simulator, sink, USERNAME, VSERVER } from './helpers.js';

const MEMBER = 'servicegroup_servicegroupmember_binding';
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setupWith(
  options: Parameters<typeof sink>[1] = {},
  simOptions: Parameters<typeof simulator>[0] = {},
): Promise<{ sim: NitroSimulator; s: NetScalerSink }> {
  const sim = await simulator(simOptions);
  const s = sink(sim, options);
  cleanup.push(() => sim.close(), () => s.stop());
  await s.start();
  return { sim, s };
}

const writesSince = (sim: NitroSimulator, fn: () => Promise<unknown>) => async () => {
  sim.requestLog.clear();
  await fn();
  return sim.requestLog.writes();
};

/**
 * The write forms the sink's tests run with: the default (`PUT` of an array), the fallback when the appliance
 * refuses arrays (`PUT` of one object per member, after one refused array), and `bindMethod: 'post'`.
 */
const modes = [
  { mode: 'put', options: {}, sim: {}, method: 'PUT' },
  { mode: 'fallback', options: {}, sim: { bulkBindingAdds: 'refuse' }, method: 'PUT' },
  { mode: 'post', options: { bindMethod: 'post' }, sim: {}, method: 'POST' },
] as const;
type Mode = (typeof modes)[number]['mode'];

/** Write requests an add of `n` > 1 members costs (`refused`: the sink already met a refused array). */
function addWrites(mode: Mode, n: number, refused = false): number {
  if (mode === 'put') return 1;
  if (mode === 'post') return n;
  return refused ? n : 1 + n;
}

describe.each(modes)('NetScalerSink converges (member adds: $mode)', ({ mode, options, sim: simOptions, method }) => {
  const setup = (more: Parameters<typeof sink>[1] = {}) => setupWith({ ...options, ...more }, simOptions);

  it('creates the servicegroup, binds it to the lbvserver, converges empty → 6 → 2', async () => {
    const { sim, s } = await setup();
    const six = await s.apply('web', pool('web', 6));
    // servicegroup, vserver binding, the adds
    expect(six).toEqual({ added: 6, updated: 0, removed: 0, writes: 2 + addWrites(mode, 6) });
    expect(sim.state.members('web')).toEqual(pool('web', 6).members.map((m) => `${m.address}:${m.port}`).sort());
    expect(sim.state.servicegroups.get('web')).toMatchObject({ servicetype: 'HTTP', comment: 'managed-by=nitrox' });
    expect([...(sim.state.vserverBindings.get(VSERVER) ?? [])]).toEqual(['web']);
    const adds = sim.requestLog.entries.filter((e) => e.type === MEMBER && e.method === method && e.status < 300);
    if (mode === 'put') expect(adds).toMatchObject([{ items: 6, bulk: true, onError: 'continue', status: 200 }]);
    else expect(adds.map((e) => `${e.items} ${e.bulk}`)).toEqual(Array(6).fill('1 false'));
    if (mode === 'fallback') expect(sim.requestLog.count({ type: MEMBER, status: 400, errorcode: 278 })).toBe(1);
    // Never ip and servername in one record (the appliance answers 1092).
    expect(sim.requestLog.writes().flatMap((e) => e.records ?? []).filter((r) => 'ip' in r && 'servername' in r)).toEqual([]);

    sim.requestLog.clear();
    const two = await s.apply('web', pool('web', 2));
    expect(two).toEqual({ added: 0, updated: 0, removed: 4, writes: 1 }); // one bulk unbind
    expect(sim.requestLog.writes()).toMatchObject([
      { method: 'POST', type: MEMBER, query: { action: 'unbind' }, items: 4, onError: 'continue', status: 200 },
    ]);
    expect(sim.requestLog.writes()[0]?.records).toContainEqual({ servicegroupname: 'web', servername: '10.0.0.3', port: 8080 });
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    expect(sim.state.lbvservers.get(VSERVER)).toMatchObject({ lbmethod: 'ROUNDROBIN', ipv46: '10.0.0.10' });
    expect(s.stats).toMatchObject({ added: 6, removed: 4, writes: 3 + addWrites(mode, 6), failures: 0, rejected: 0 });
  });

  it('makes zero writes when the same set is applied again (in any order)', async () => {
    const { sim, s } = await setup();
    await s.apply('web', pool('web', 6));
    const reversed = { name: 'web', members: [...pool('web', 6).members].reverse() };
    const writes = await writesSince(sim, () => s.apply('web', reversed))();
    expect(writes).toEqual([]);
    expect(await s.apply('web', pool('web', 6))).toEqual({ added: 0, updated: 0, removed: 0, writes: 0 });
    expect(sim.requestLog.entries.map((e) => `${e.method} ${e.type}`)).toEqual([`GET ${MEMBER}`, `GET ${MEMBER}`]);
  });

  it('updates weights in place, in one bulk request', async () => {
    const { sim, s } = await setup();
    await s.apply('web', pool('web', 3));
    const weighted = { name: 'web', members: pool('web', 3).members.map((m, i) => ({ ...m, weight: i === 0 ? 1 : 50 })) };
    sim.requestLog.clear();
    expect(await s.apply('web', weighted)).toEqual({ added: 0, updated: 2, removed: 0, writes: 1 });
    expect(sim.requestLog.writes()).toMatchObject([{ method: 'PUT', type: 'servicegroup', items: 2 }]);
    expect([...(sim.state.servicegroups.get('web')?.members.values() ?? [])].map((m) => m.weight)).toEqual([1, 50, 50]);
    expect(await s.observe('web')).toEqual({
      name: 'web',
      members: [
        { address: '10.0.0.1', port: 8080, weight: 1 },
        { address: '10.0.0.2', port: 8080, weight: 50 },
        { address: '10.0.0.3', port: 8080, weight: 50 },
      ],
    });
  });

  it('repairs drift: a member removed and another added by hand', async () => {
    const { sim, s } = await setup();
    await s.apply('web', pool('web', 4));
    sim.state.unbindMember('web', { ip: '10.0.0.2', port: '8080' });
    sim.state.bindMember({ servicegroupname: 'web', ip: '10.0.0.99', port: 8080 });
    const observed = await s.observe('web');
    expect(observed?.members.map((m) => m.address)).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.4', '10.0.0.99']);
    expect(await s.apply('web', pool('web', 4))).toEqual({ added: 1, updated: 0, removed: 1, writes: 2 });
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080', '10.0.0.4:8080']);
  });

  it('recreates a servicegroup deleted by hand, and rebinds an lbvserver binding removed by hand', async () => {
    const { sim, s } = await setup({ verifyIntervalMs: 0 });
    await s.apply('web', pool('web', 2));
    sim.state.unbindServicegroup(VSERVER, 'web');
    expect(await s.apply('web', pool('web', 2))).toMatchObject({ writes: 1 });
    expect([...(sim.state.vserverBindings.get(VSERVER) ?? [])]).toEqual(['web']);
    sim.state.deleteServicegroup('web');
    expect(await s.apply('web', pool('web', 2))).toEqual({ added: 2, updated: 0, removed: 0, writes: 2 + addWrites(mode, 2, true) });
  });

  it('recovers when the session expires in the middle of an apply', async () => {
    const { sim, s } = await setup();
    await s.apply('web', pool('web', 2));
    sim.faults.killSessionsOn({ method, type: MEMBER });
    sim.requestLog.clear();
    expect(await s.apply('web', pool('web', 5))).toEqual({ added: 3, updated: 0, removed: 0, writes: addWrites(mode, 3, true) });
    expect(sim.state.members('web')).toHaveLength(5);
    expect(sim.requestLog.count({ type: 'login' })).toBe(1); // one re-login, shared by concurrent requests
    const log = sim.requestLog.entries.map((e) => `${e.method} ${e.type} ${e.status}`);
    if (mode === 'put') expect(log).toEqual([`GET ${MEMBER} 200`, `PUT ${MEMBER} 401`, 'POST login 201', `PUT ${MEMBER} 200`]);
    else expect(log.filter((l) => l === `${method} ${MEMBER} 401`).length).toBeGreaterThanOrEqual(1);
  });

  it('reports exactly which members failed in a partial bulk failure, and the next pass completes them', async () => {
    const { sim, s } = await setup();
    sim.faults.failItems({ type: MEMBER, match: (r) => r.ip === '10.0.0.3' || r.ip === '10.0.0.5', times: 2 });
    const error = (await s.apply('web', pool('web', 6)).catch((e: unknown) => e)) as NetScalerApplyError;
    expect(error).toBeInstanceOf(NetScalerApplyError);
    expect(error).toBeInstanceOf(SinkError);
    expect(error.failures).toEqual([
      { operation: 'add', member: { address: '10.0.0.3', port: 8080 }, errorcode: 278, message: 'Invalid argument', retryable: false },
      { operation: 'add', member: { address: '10.0.0.5', port: 8080 }, errorcode: 278, message: 'Invalid argument', retryable: false },
    ]);
    expect(error.result).toEqual({ added: 4, updated: 0, removed: 0, writes: 2 + addWrites(mode, 6) });
    if (mode === 'put') expect(sim.requestLog.entries.find((e) => e.status === 207)).toMatchObject({ errorcode: 1243, items: 6 });
    sim.requestLog.clear();
    expect(await s.apply('web', pool('web', 6))).toEqual({ added: 2, updated: 0, removed: 0, writes: addWrites(mode, 2, true) });
    expect(sim.requestLog.writes().map((e) => e.items)).toEqual(mode === 'put' ? [2] : [1, 1]);
    expect(sim.state.members('web')).toHaveLength(6);
  });

  it('reports failed removals and counts transient failures as retryable', async () => {
    const { sim, s } = await setup({ bulkUnbind: false });
    await s.apply('web', pool('web', 3));
    sim.requestLog.clear();
    sim.faults.connectionLimit(1, { method: 'DELETE' });
    const error = (await s.apply('web', pool('web', 1)).catch((e: unknown) => e)) as NetScalerApplyError;
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]).toMatchObject({ operation: 'remove', errorcode: 446, retryable: true });
    expect(error.retryable).toBe(true);
    expect(error.result).toMatchObject({ removed: 1, writes: 2 }); // one DELETE per member without bulkUnbind
    expect(sim.requestLog.writes().map((e) => e.method)).toEqual(['DELETE', 'DELETE']);
    expect(await s.apply('web', pool('web', 1))).toMatchObject({ removed: 1 });
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080']);
  });

  it('reports exactly which removals of a bulk unbind failed, and the next pass completes them', async () => {
    const { sim, s } = await setup();
    await s.apply('web', pool('web', 5));
    sim.faults.failItems({ type: MEMBER, match: (r) => r.servername === '10.0.0.4', errorcode: 446, message: 'busy', status: 599, times: 1 });
    const error = (await s.apply('web', pool('web', 2)).catch((e: unknown) => e)) as NetScalerApplyError;
    expect(error).toBeInstanceOf(NetScalerApplyError);
    expect(error.failures).toEqual([
      { operation: 'remove', member: { address: '10.0.0.4', port: 8080 }, errorcode: 446, message: 'busy', retryable: true },
    ]);
    expect(error.result).toEqual({ added: 0, updated: 0, removed: 2, writes: 1 });
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.4:8080']);
    sim.requestLog.clear();
    expect(await s.apply('web', pool('web', 2))).toEqual({ added: 0, updated: 0, removed: 1, writes: 1 });
    expect(sim.requestLog.writes()).toMatchObject([{ query: { action: 'unbind' }, items: 1 }]);
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
  });

  it('splits a large removal into bulkSize unbind requests', async () => {
    const { sim, s } = await setup({ bulkSize: 4 });
    await s.apply('web', pool('web', 11));
    sim.requestLog.clear();
    expect(await s.apply('web', pool('web', 1))).toEqual({ added: 0, updated: 0, removed: 10, writes: 3 });
    expect(sim.requestLog.writes().map((e) => e.items)).toEqual([4, 4, 2]);
  });
});

const setup = (options: Parameters<typeof sink>[1] = {}, simOptions: Parameters<typeof simulator>[0] = {}) => setupWith(options, simOptions);

describe('NetScalerSink safety', () => {
  it('never touches a foreign member (bound by a named server)', async () => {
    const { sim, s } = await setup();
    await s.apply('web', pool('web', 2));
    sim.state.addServer({ name: 'backup-web', ipaddress: '10.9.9.9' });
    sim.state.bindMember({ servicegroupname: 'web', servername: 'backup-web', port: 80, weight: 7 });
    expect(await s.apply('web', pool('web', 1))).toEqual({ added: 0, updated: 0, removed: 1, writes: 1 });
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080', '10.9.9.9:80']);
    expect((await s.observe('web'))?.members).toEqual([{ address: '10.0.0.1', port: 8080, weight: 1 }]);
    // Even allowEmpty and a deleted application leave it alone.
    const s2 = sink(sim, { allowEmpty: true });
    cleanup.push(() => s2.stop());
    await s2.apply('web', { name: 'web', members: [] });
    expect(sim.state.members('web')).toEqual(['10.9.9.9:80']);
  });

  it('never changes a servicegroup it does not own', async () => {
    const { sim, s } = await setup();
    sim.state.addServicegroup({ servicegroupname: 'web', servicetype: 'HTTP', comment: 'owned by the admin' });
    sim.state.bindMember({ servicegroupname: 'web', ip: '10.1.1.1', port: 80 });
    const error = await s.apply('web', pool('web', 2)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toMatch(/not Nitrox's/);
    expect(sim.requestLog.writes()).toEqual([]);
    expect(sim.state.members('web')).toEqual(['10.1.1.1:80']);
    expect(await s.observe('web')).toBeUndefined();
  });

  it('owns servicegroups by name prefix when asked', async () => {
    const { sim, s } = await setup({ servicegroupPrefix: 'nx-', ownByPrefix: true });
    sim.state.addServicegroup({ servicegroupname: 'nx-web', servicetype: 'HTTP' });
    sim.state.bindMember({ servicegroupname: 'nx-web', ip: '10.1.1.1', port: 80 });
    expect(await s.apply('web', pool('web', 1))).toMatchObject({ added: 1, removed: 1 });
    expect(sim.state.members('nx-web')).toEqual(['10.0.0.1:8080']);
    expect(s.servicegroupName('team/web app')).toBe('nx-team_web app');
  });

  it('start-up guard: apply(undefined) before any desired set is observe-only', async () => {
    const { sim, s } = await setup({ allowEmpty: true });
    await s.apply('web', pool('web', 3));
    const restarted = sink(sim, { allowEmpty: true });
    cleanup.push(() => restarted.stop());
    sim.requestLog.clear();
    expect(await restarted.apply('web', undefined)).toEqual({ added: 0, updated: 0, removed: 0, writes: 0 });
    expect(sim.requestLog.writes()).toEqual([]);
    expect(sim.state.members('web')).toHaveLength(3);
    expect(restarted.stats.guardedStartup).toBe(1);
    // Once a desired set is known, a deletion of the application empties the pool (allowEmpty is on).
    await restarted.apply('web', pool('web', 3));
    expect(await restarted.apply('web', undefined)).toMatchObject({ removed: 3 });
    expect(sim.state.members('web')).toEqual([]);
  });

  it("start-up guard 'ready': adds go ahead, removals wait for markReady()", async () => {
    const { sim, s } = await setup();
    await s.apply('web', pool('web', 3));
    const restarted = sink(sim, { startupGuard: 'ready' });
    cleanup.push(() => restarted.stop());
    expect(await restarted.apply('web', pool('web', 2, 8080, 3))).toMatchObject({ added: 1, removed: 0 });
    expect(sim.state.members('web')).toHaveLength(4);
    expect(restarted.stats.guardedStartup).toBe(2);
    restarted.markReady();
    expect(await restarted.apply('web', pool('web', 2, 8080, 3))).toMatchObject({ added: 0, removed: 2 });
    expect(sim.state.members('web')).toEqual(['10.0.0.3:8080', '10.0.0.4:8080']);
    // Once ready, the absence of an application never seen since start is a real deletion (with allowEmpty).
    await s.apply('api', pool('api', 2));
    const ready = sink(sim, { startupGuard: 'ready', allowEmpty: true });
    cleanup.push(() => ready.stop());
    expect(await ready.apply('api', undefined)).toMatchObject({ removed: 0, writes: 0 });
    ready.markReady();
    expect(await ready.apply('api', undefined)).toMatchObject({ removed: 2 });
  });

  it('empty-set guard: an empty desired set removes nothing unless allowEmpty', async () => {
    const logger = recordingLogger();
    const { sim, s } = await setup({ logger });
    await s.apply('web', pool('web', 3));
    sim.requestLog.clear();
    expect(await s.apply('web', { name: 'web', members: [] })).toEqual({ added: 0, updated: 0, removed: 0, writes: 0 });
    expect(await s.apply('web', undefined)).toEqual({ added: 0, updated: 0, removed: 0, writes: 0 });
    expect(sim.requestLog.entries).toEqual([]);
    expect(s.stats.guardedEmpty).toBe(2);
    expect(logger.lines.some((l) => l.level === 'warn' && /allowEmpty/.test(l.message))).toBe(true);
    const allowing = sink(sim, { allowEmpty: true });
    cleanup.push(() => allowing.stop());
    expect(await allowing.apply('web', { name: 'web', members: [] })).toMatchObject({ removed: 3, writes: 1 });
  });

  it('unbinds gracefully when asked: autodisablegraceful on the servicegroup, no extra unbind arguments', async () => {
    const { sim, s } = await setup({ graceful: true, gracefulDelaySeconds: 30 });
    await s.apply('web', pool('web', 2));
    expect(sim.state.servicegroups.get('web')).toMatchObject({ autodisablegraceful: 'YES', autodisabledelay: 30 });
    await s.apply('web', pool('web', 1));
    const unbind = sim.requestLog.entries.find((e) => e.query.action === 'unbind');
    expect(unbind?.records).toEqual([{ servicegroupname: 'web', servername: '10.0.0.2', port: 8080 }]);
    // A servicegroup Nitrox created earlier without it gets it once, when its ownership is verified.
    sim.state.addServicegroup({ servicegroupname: 'api', servicetype: 'HTTP', comment: 'managed-by=nitrox' });
    sim.state.bindMember({ servicegroupname: 'api', ip: '10.0.0.1', port: 80 });
    sim.requestLog.clear();
    await s.apply('api', { name: 'api', members: [{ address: '10.0.0.1', port: 80 }] });
    expect(sim.requestLog.writes()).toMatchObject([{ method: 'PUT', type: 'servicegroup' }, { method: 'PUT', type: 'lbvserver_servicegroup_binding' }]);
    expect(sim.state.servicegroups.get('api')).toMatchObject({ autodisablegraceful: 'YES', autodisabledelay: 30 });
    sim.requestLog.clear();
    const again = sink(sim, { graceful: true, gracefulDelaySeconds: 30 });
    cleanup.push(() => again.stop());
    await again.apply('api', { name: 'api', members: [{ address: '10.0.0.1', port: 80 }] });
    expect(sim.requestLog.writes()).toEqual([]);
  });

  it('confirms ownership again before removing when the cached verification is older than this pass', async () => {
    const clock = new VirtualClock();
    const { sim, s } = await setup({ clock, verifyIntervalMs: 60_000 });
    await s.apply('web', pool('web', 3));
    // Within verifyIntervalMs, the administrator replaces the servicegroup with one of their own.
    sim.state.deleteServicegroup('web');
    sim.state.addServicegroup({ servicegroupname: 'web', servicetype: 'HTTP', comment: 'the admin' });
    for (const m of pool('web', 3).members) sim.state.bindMember({ servicegroupname: 'web', ip: m.address, port: m.port });
    sim.requestLog.clear();
    expect(await s.apply('web', pool('web', 3))).toMatchObject({ writes: 0 }); // nothing to remove: no extra read
    expect(sim.requestLog.entries.map((e) => e.type)).toEqual([MEMBER]);
    const error = await s.apply('web', pool('web', 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect((error as Error).message).toMatch(/no longer Nitrox's/);
    expect(sim.requestLog.writes()).toEqual([]);
    expect(sim.state.members('web')).toHaveLength(3);
  });

  it('does not create an lbvserver; a missing one is a clear error', async () => {
    const { sim, s } = await setup({ lbvserver: 'vs-missing' });
    const error = await s.apply('web', pool('web', 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkError);
    expect((error as Error).message).toMatch(/lbvserver vs-missing does not exist; Nitrox does not create it/);
    expect(sim.state.lbvservers.has('vs-missing')).toBe(false);
  });

  it('creates a missing lbvserver only when told to, and never changes it afterwards', async () => {
    const { sim, s } = await setup({ lbvserver: 'vs-new', createLbvserver: { servicetype: 'HTTP', ipv46: '10.0.0.20', port: 80 } });
    expect(await s.apply('web', pool('web', 1))).toEqual({ added: 1, updated: 0, removed: 0, writes: 5 });
    expect(sim.state.lbvservers.get('vs-new')).toMatchObject({ ipv46: '10.0.0.20', port: 80 });
    expect([...(sim.state.vserverBindings.get('vs-new') ?? [])]).toEqual(['web']);
    sim.state.lbvservers.get('vs-new')!.lbmethod = 'LEASTCONNECTION'; // the administrator's change
    sim.requestLog.clear();
    await s.apply('web', pool('web', 1));
    expect(sim.requestLog.writes()).toEqual([]);
    expect(sim.state.lbvservers.get('vs-new')?.lbmethod).toBe('LEASTCONNECTION');
  });

  it('never puts credentials in errors or logs', async () => {
    const sim = await simulator();
    cleanup.push(() => sim.close());
    const logger = recordingLogger();
    const bad = sink(sim, { client: { url: sim.url, username: USERNAME, password: `${PASSWORD}-wrong` }, logger });
    cleanup.push(() => bad.stop());
    const error = await bad.apply('web', pool('web', 1)).catch((e: unknown) => e);
    expect(error).toMatchObject({ errorcode: 354, retryable: false });
    const good = sink(sim, { logger });
    cleanup.push(() => good.stop());
    await good.apply('web', pool('web', 2));
    sim.faults.killSessions();
    await good.apply('web', pool('web', 3));
    expect(dump(error)).not.toContain(PASSWORD);
    expect(dump(logger.lines)).not.toContain(PASSWORD);
    expect(dump(sim.requestLog.entries)).not.toContain(PASSWORD);
  });

  it('re-verifies ownership and binding after verifyIntervalMs on the injected clock', async () => {
    const clock = new VirtualClock();
    const { sim, s } = await setup({ clock, verifyIntervalMs: 60_000 });
    await s.apply('web', pool('web', 1));
    sim.state.unbindServicegroup(VSERVER, 'web');
    await s.apply('web', pool('web', 1));
    expect(sim.state.vserverBindings.get(VSERVER)?.size).toBe(0);
    await clock.advance(60_000);
    expect(await s.apply('web', pool('web', 1))).toMatchObject({ writes: 1 });
    expect([...(sim.state.vserverBindings.get(VSERVER) ?? [])]).toEqual(['web']);
  });
});
