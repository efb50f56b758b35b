import { describe, expect, it } from 'vitest';
import { AppliedVersions, compareApplied } from './applied-versions.js';
import { ConfigError } from './errors.js';
import { RequeueError, requeueAfterOf, withRequeueAfter } from './requeue-error.js';

describe('compareApplied', () => {
  it('orders by version, and a deletion after the value of the same version', () => {
    expect(compareApplied({ version: 1, deleted: false }, undefined)).toBe('newer');
    expect(compareApplied({ version: 2, deleted: false }, { version: 3, deleted: false })).toBe('older');
    expect(compareApplied({ version: 4, deleted: false }, { version: 3, deleted: true })).toBe('newer');
    expect(compareApplied({ version: 3, deleted: true }, { version: 3, deleted: false })).toBe('newer');
    expect(compareApplied({ version: 3, deleted: false }, { version: 3, deleted: true })).toBe('older');
    expect(compareApplied({ version: 3, deleted: true }, { version: 3, deleted: true })).toBe('same');
  });

  it('lets the value of a version come back after a deletion of that version that was only inferred', () => {
    const inferred = { version: 3, deleted: true, inferred: true };
    expect(compareApplied({ version: 3, deleted: false }, inferred)).toBe('newer');
    expect(compareApplied({ version: 2, deleted: false }, inferred)).toBe('older');
    expect(compareApplied(inferred, { version: 3, deleted: false })).toBe('newer');
    expect(compareApplied(inferred, { version: 3, deleted: true })).toBe('same');
    expect(compareApplied({ version: 3, deleted: true }, inferred)).toBe('same');
    const applied = new AppliedVersions();
    applied.record('a', { version: 3, deleted: false });
    applied.record('a', inferred);
    expect(applied.get('a')).toEqual(inferred);
    expect(applied.compare('a', { version: 3, deleted: false })).toBe('newer');
    applied.record('a', { version: 4, deleted: false, inferred: true }); // `inferred` means nothing on a value
    expect(applied.get('a')).toEqual({ version: 4, deleted: false });
  });
});

describe('AppliedVersions', () => {
  it('refuses states older than what was applied or merely attempted', () => {
    const applied = new AppliedVersions();
    applied.record('a', { version: 2, deleted: false });
    applied.attempt('a', { version: 5, deleted: false }); // failed, may have written
    expect(applied.compare('a', { version: 4, deleted: false })).toBe('older');
    expect(applied.compare('a', { version: 5, deleted: false })).toBe('newer'); // not applied yet: retry it
    expect(applied.compare('a', { version: 2, deleted: false })).toBe('older');
    expect(applied.get('a')).toEqual({ version: 2, deleted: false });
    expect(applied.highestSent('a')).toEqual({ version: 5, deleted: false });
    applied.record('a', { version: 5, deleted: false });
    expect(applied.compare('a', { version: 5, deleted: false })).toBe('same');
  });

  it('lists keys the actual state may hold, and forgets', () => {
    const applied = new AppliedVersions();
    applied.record('live', { version: 1, deleted: false });
    applied.record('gone', { version: 2, deleted: true });
    applied.record('deleting', { version: 3, deleted: false });
    applied.attempt('deleting', { version: 3, deleted: true }); // the deletion failed: the value may remain
    applied.attempt('tried', { version: 4, deleted: false }); // never confirmed, may have landed
    expect([...applied.liveKeys()].sort()).toEqual(['deleting', 'live', 'tried']);
    expect(applied.size).toBe(4);
    applied.forget('live');
    expect(applied.get('live')).toBeUndefined();
    expect(applied.size).toBe(3);
  });
});

describe('AppliedVersions epochs', () => {
  it('demotes every record below the new numbering when the epoch changes, keeping the keys', () => {
    const applied = new AppliedVersions();
    expect(applied.useEpoch('e1')).toBe(false); // nothing recorded yet: just bound
    applied.record('a', { version: 9, deleted: false });
    applied.record('b', { version: 4, deleted: true });
    expect(applied.useEpoch('e1')).toBe(false);
    expect(applied.compare('a', { version: 1, deleted: false })).toBe('older');
    expect(applied.useEpoch('e2')).toBe(true);
    expect(applied.epoch).toBe('e2');
    expect(applied.epochChanges).toBe(1);
    expect(applied.compare('a', { version: 1, deleted: false })).toBe('newer');
    expect(applied.compare('a', { version: 0, deleted: true, inferred: true })).toBe('newer');
    expect(applied.compare('b', { version: 1, deleted: false })).toBe('newer');
    expect([...applied.liveKeys()]).toEqual(['a']);
  });
});

describe('AppliedVersions tombstone bound', () => {
  it('forgets the oldest deletions beyond maxTombstones, never live keys', () => {
    const applied = new AppliedVersions({ maxTombstones: 2 });
    applied.record('live', { version: 1, deleted: false });
    for (const [i, key] of ['d1', 'd2', 'd3'].entries()) applied.record(key, { version: 10 + i, deleted: true });
    expect(applied.get('d1')).toBeUndefined(); // the oldest tombstone went
    expect(applied.get('d2')).toEqual({ version: 11, deleted: true });
    expect(applied.get('d3')).toEqual({ version: 12, deleted: true });
    expect(applied.get('live')).toEqual({ version: 1, deleted: false });
    applied.record('d2', { version: 20, deleted: false }); // re-added: no longer a tombstone
    applied.record('d4', { version: 21, deleted: true });
    expect(applied.get('d3')).toEqual({ version: 12, deleted: true });
    expect(applied.size).toBe(4);
    expect(() => new AppliedVersions({ maxTombstones: -1 })).toThrow(ConfigError);
  });
});

describe('RequeueError', () => {
  it('carries a delay that any thrown object can carry too', () => {
    const error = new RequeueError(250, 'locked', { cause: new Error('inner') });
    expect(error.requeueAfterMs).toBe(250);
    expect(error.name).toBe('RequeueError');
    expect(requeueAfterOf(error)).toBe(250);
    expect(requeueAfterOf(withRequeueAfter(new TypeError('x'), 0))).toBe(0);
    expect(requeueAfterOf({ requeueAfterMs: -1 })).toBeUndefined();
    expect(requeueAfterOf({ requeueAfterMs: Number.NaN })).toBeUndefined();
    expect(requeueAfterOf('nope')).toBeUndefined();
    expect(() => withRequeueAfter(new Error('x'), Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
