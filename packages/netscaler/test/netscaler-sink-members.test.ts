/**
 * Desired members the appliance cannot take (host names, weights outside 1–100) and the open question of an IP
 * that a differently named server already holds: refused before sending, reported per member, not retried
 * endlessly, counted — and never a reason to remove a live member.
 */
import { VirtualClock } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { NetScalerApplyError } from '../src/errors.js';
import type { NetScalerSink } from '../src/netscaler-sink.js';
import type { NitroSimulator, NitroSimulatorOptions } from '../src/testing/index.js';
import { pool, simulator, sink } from './helpers.js';

const MEMBER = 'servicegroup_servicegroupmember_binding';
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(
  options: Parameters<typeof sink>[1] = {},
  simOptions: Partial<NitroSimulatorOptions> = {},
): Promise<{ sim: NitroSimulator; s: NetScalerSink }> {
  const sim = await simulator(simOptions);
  const s = sink(sim, options);
  cleanup.push(() => sim.close(), () => s.stop());
  await s.start();
  return { sim, s };
}

const failureOf = async (p: Promise<unknown>): Promise<NetScalerApplyError> => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetScalerApplyError);
  return error as NetScalerApplyError;
};

describe('NetScalerSink refuses members NetScaler cannot take', () => {
  it('a host name is a per-member, non-retryable error, never sent as ip; the others are added', async () => {
    const { sim, s } = await setup();
    const desired = { name: 'web', members: [...pool('web', 2).members, { address: 'api.internal', port: 8080 }] };
    const error = await failureOf(s.apply('web', desired));
    expect(error.failures).toEqual([
      {
        operation: 'add',
        member: { address: 'api.internal', port: 8080 },
        errorcode: undefined,
        message: expect.stringContaining('not an IP address') as unknown as string,
        retryable: false,
        reason: 'not-an-ip',
      },
    ]);
    expect(error.retryable).toBe(false);
    expect(error.result).toMatchObject({ added: 2 });
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    expect(sim.requestLog.writes().flatMap((e) => e.records ?? []).some((r) => r.ip === 'api.internal')).toBe(false);
    // Applying the same desired state again writes nothing: the error is reported, not retried on the wire.
    sim.requestLog.clear();
    expect((await failureOf(s.apply('web', desired))).result.writes).toBe(0);
    expect(sim.requestLog.writes()).toEqual([]);
    expect(s.stats).toMatchObject({ rejected: 2, failures: 2 });
  });

  it('a weight outside 1–100 is refused before sending, and the live member with that address stays', async () => {
    const { sim, s } = await setup();
    await s.apply('web', pool('web', 3));
    const bad = { name: 'web', members: pool('web', 3).members.map((m, i) => ({ ...m, weight: [0, 101, 2.5][i] as number })) };
    sim.requestLog.clear();
    const error = await failureOf(s.apply('web', bad));
    expect(error.failures.map((f) => [f.operation, f.member.address, f.reason, f.retryable])).toEqual([
      ['update', '10.0.0.1', 'invalid-weight', false],
      ['update', '10.0.0.2', 'invalid-weight', false],
      ['update', '10.0.0.3', 'invalid-weight', false],
    ]);
    expect(sim.requestLog.writes()).toEqual([]);
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080']);
    const fresh = await failureOf(s.apply('web', { name: 'web', members: [{ address: '10.0.0.9', port: 80, weight: 500 }] }));
    expect(fresh.failures).toMatchObject([{ operation: 'add', reason: 'invalid-weight' }]);
    // Nothing valid was desired: like an empty set, that removes nothing (allowEmpty is off).
    expect(sim.state.members('web')).toHaveLength(3);
    expect(s.stats.guardedEmpty).toBe(1);
  });
});

describe('NetScalerSink and an IP that a differently named server holds (open question)', () => {
  it("reuse: the member bound to the administrator's server is foreign — present, never removed", async () => {
    const { sim, s } = await setup({}, { serverIpConflict: 'reuse' });
    sim.state.addServer({ name: 'db-primary', ipaddress: '10.0.0.2' });
    expect(await s.apply('web', pool('web', 3))).toMatchObject({ added: 3 });
    expect(sim.state.servicegroups.get('web')?.members.get('db-primary|8080')).toMatchObject({ ip: '10.0.0.2' });
    sim.requestLog.clear();
    expect(await s.apply('web', pool('web', 3))).toMatchObject({ writes: 0 });
    expect((await s.observe('web'))?.members.map((m) => m.address)).toEqual(['10.0.0.1', '10.0.0.3']);
    // Scaled down to one member: the member on db-primary is not Nitrox's, so it stays.
    await s.apply('web', pool('web', 1));
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    expect(sim.requestLog.writes().flatMap((e) => e.records ?? []).some((r) => r.servername === 'db-primary')).toBe(false);
  });

  it('refuse (273): reported as an ip-conflict without re-adding on every pass; tried again at the next ownership check', async () => {
    const clock = new VirtualClock();
    const { sim, s } = await setup({ clock, verifyIntervalMs: 60_000 }, { serverIpConflict: 'refuse' });
    sim.state.addServer({ name: 'db-primary', ipaddress: '10.0.0.2' });
    expect(await s.apply('web', pool('web', 3))).toMatchObject({ added: 2 }); // 273 for 10.0.0.2: treated as present
    sim.requestLog.clear();
    const error = await failureOf(s.apply('web', pool('web', 3)));
    expect(error.failures).toMatchObject([{ operation: 'add', member: { address: '10.0.0.2' }, reason: 'ip-conflict', retryable: false }]);
    expect(sim.requestLog.writes()).toEqual([]);
    await clock.advance(60_000);
    sim.requestLog.clear();
    await s.apply('web', pool('web', 3)); // verification pass: one more try, answered 273 again
    expect(sim.requestLog.count({ type: MEMBER, errorcode: 273 })).toBe(1);
    expect(sim.state.servers.get('db-primary')).toEqual({ name: 'db-primary', ipaddress: '10.0.0.2' });
    expect(sim.state.members('web')).toEqual(['10.0.0.1:8080', '10.0.0.3:8080']);
  });
});

describe('NetScalerSink bulk-add fallback', () => {
  it('keeps sending arrays when the members also fail alone (the array form was not the problem)', async () => {
    const { sim, s } = await setup({}, { bulkBindingAdds: 'refuse' });
    sim.faults.failItems({ type: MEMBER, match: () => true, times: 3 });
    const error = await failureOf(s.apply('web', pool('web', 3)));
    expect(error.failures.map((f) => f.errorcode)).toEqual([278, 278, 278]);
    expect(error.result.writes).toBe(2 + 1 + 3); // servicegroup, binding, refused array, three singles
    sim.requestLog.clear();
    await s.apply('web', pool('web', 3)); // the array is tried again first, then each member alone
    expect(sim.requestLog.writes().map((e) => `${e.method} ${e.bulk ? e.items : 'one'} ${e.status}`)).toEqual([
      'PUT 3 400',
      'PUT one 200',
      'PUT one 200',
      'PUT one 200',
    ]);
    expect(sim.state.members('web')).toHaveLength(3);
  });
});
