import { describe, expect, it } from 'vitest';
import { AppliedVersions, compareApplied } from './applied-versions.js';
import { PendingDeletions } from './pending-deletions.js';

describe('PendingDeletions', () => {
  it('keeps a reported deletion strong, and infers a weak one for what a relist no longer shows', () => {
    const applied = new AppliedVersions();
    applied.record('a', { version: 3, deleted: false });
    applied.record('b', { version: 5, deleted: false });
    const deletions = new PendingDeletions();
    deletions.reported('a', 2); // the cache had regressed: the event carries an older version
    deletions.reported('c', 7);
    const absent = deletions.inferAbsent((key) => key === 'c', applied);
    expect([...absent].sort()).toEqual(['a', 'b']);
    const a = deletions.candidate('a', applied);
    expect(a).toEqual({ version: 3, deleted: true, inferred: true }); // raised to the highest sent
    expect(compareApplied({ version: 3, deleted: false }, a)).toBe('newer'); // the value may come back
    const c = deletions.candidate('c', applied);
    expect(c).toEqual({ version: 7, deleted: true }); // present in the relist: left as reported
    expect(compareApplied({ version: 7, deleted: false }, c)).toBe('older');
    expect(deletions.candidate('z', applied)).toEqual({ version: 0, deleted: true, inferred: true });
    deletions.done('a', { version: 3, deleted: true, inferred: true }); // another record: still pending
    expect([...deletions.keys()].sort()).toEqual(['a', 'b', 'c']);
    deletions.done('a', a);
    deletions.cancel('b');
    expect([...deletions.keys()]).toEqual(['c']);
    deletions.clear();
    expect([...deletions.keys()]).toEqual([]);
  });
});
