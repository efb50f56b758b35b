import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundByIp, type ObservedMember, planMembers } from './member-plan.js';

const opts = { defaultWeight: 1, isOwned: boundByIp };
const m = (ip: string, port: number, weight = 1, servername = ip): ObservedMember => ({ ip, servername, port, weight });

describe('planMembers', () => {
  it('adds the missing, removes the surplus, re-weights in place', () => {
    const plan = planMembers(
      [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 80, weight: 5 }, { address: '10.0.0.3', port: 80 }],
      [m('10.0.0.1', 80), m('10.0.0.2', 80, 1), m('10.0.0.4', 80)],
      opts,
    );
    expect(plan.add).toEqual([{ address: '10.0.0.3', port: 80 }]);
    expect(plan.update).toEqual([{ member: m('10.0.0.2', 80, 1), weight: 5 }]);
    expect(plan.remove).toEqual([m('10.0.0.4', 80)]);
    expect(plan.foreign).toEqual([]);
  });

  it('leaves foreign members alone and counts them as present', () => {
    const foreign = m('10.0.0.9', 80, 3, 'backup');
    const plan = planMembers([{ address: '10.0.0.9', port: 80, weight: 9 }], [foreign], opts);
    expect(plan).toMatchObject({ add: [], update: [], remove: [], foreign: [foreign] });
  });

  it('treats two spellings of one IPv6 address as one member', () => {
    const plan = planMembers([{ address: 'FE80:0:0::1', port: 80 }], [m('fe80::1', 80)], opts);
    expect(plan).toMatchObject({ add: [], update: [], remove: [] });
    expect(planMembers([{ address: 'fe80:0::2', port: 80 }], [], opts).add).toEqual([{ address: 'fe80::2', port: 80 }]);
  });

  it('treats a missing weight as the default weight', () => {
    expect(planMembers([{ address: 'a', port: 1 }], [m('a', 1, 7)], opts).update).toEqual([{ member: m('a', 1, 7), weight: 1 }]);
  });

  it('removes a duplicate of a desired address:port', () => {
    const plan = planMembers([{ address: '10.0.0.1', port: 80 }], [m('10.0.0.1', 80), m('10.0.0.1', 80, 1, 'x')], {
      ...opts,
      isOwned: () => true,
    });
    expect(plan.remove).toEqual([m('10.0.0.1', 80, 1, 'x')]);
  });

  it('applying the plan always yields the desired set, and planning again yields nothing (property)', () => {
    const member = fc.record({ address: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', 'fe80::1'), port: fc.constantFrom(80, 443), weight: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(member, { maxLength: 8 }), fc.array(member, { maxLength: 8 }), (desiredIn, actualIn) => {
        const desired = desiredIn.map((b) => (b.weight === undefined ? { address: b.address, port: b.port } : { ...b, weight: b.weight }));
        const actual = actualIn.map((b) => m(b.address, b.port, b.weight ?? 1));
        const plan = planMembers(desired, actual, opts);
        const removed = new Set(plan.remove);
        const after = actual.filter((x) => !removed.has(x)).map((x) => {
          const u = plan.update.find((p) => p.member === x);
          return u ? { ...x, weight: u.weight } : x;
        });
        for (const b of plan.add) after.push(m(b.address, b.port, b.weight ?? 1));
        const again = planMembers(desired, after, opts);
        expect(again.add).toEqual([]);
        expect(again.update).toEqual([]);
        expect(again.remove).toEqual([]);
      }),
    );
  });
});
