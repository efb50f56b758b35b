import { ConfigError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { relevantEventTypes } from './marathon-events.js';
import { marathonSourceDefaults, resolveSourceOptions } from './source-options.js';

describe('resolveSourceOptions', () => {
  it('fills in the documented defaults', () => {
    const o = resolveSourceOptions({ url: 'http://marathon.mesos:8080' });
    expect(o).toMatchObject({
      events: true,
      debounceMs: marathonSourceDefaults.debounceMs,
      maxWaitMs: marathonSourceDefaults.maxWaitMs,
      snapshotIntervalMs: 60_000,
      idleTimeoutMs: 30_000,
      maxAppFetches: 8,
      fetchConcurrency: 4,
    });
    expect(o.eventTypes).toEqual(relevantEventTypes);
    expect(o.projection).toMatchObject({ port: 0, addressMode: 'auto', health: 'all' });
    expect(o.select({ id: '/any' })).toBe(true);
  });

  it('rejects bad options with a ConfigError naming them', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ debounceMs: -1 }, /debounceMs/],
      [{ debounceMs: 500, maxWaitMs: 100 }, /maxWaitMs/],
      [{ snapshotIntervalMs: Number.NaN }, /snapshotIntervalMs/],
      [{ idleTimeoutMs: 0 }, /idleTimeoutMs/],
      [{ eventTypes: [''] }, /eventTypes/],
      [{ fetchConcurrency: 0 }, /fetchConcurrency/],
      [{ port: 1.5 }, /port/],
      [{ select: { group: 3 } }, /select\.group/],
      [{ maxRedirects: -1 }, /maxRedirects/],
      [{ maxRedirects: 1.5 }, /maxRedirects/],
      [{ resolveHostnames: 'yes' }, /resolveHostnames/],
      [{ resolver: { ttlMs: -5 } }, /resolver\.ttlMs/],
      [{ resolver: { lookup: 42 } }, /resolver\.lookup/],
      [{ healthMemorySize: -1 }, /healthMemorySize/],
      [{ unreachableTasks: 'sometimes' }, /unreachableTasks/],
    ];
    for (const [options, message] of bad) {
      expect(() => resolveSourceOptions({ url: 'http://m', ...options })).toThrow(ConfigError);
      expect(() => resolveSourceOptions({ url: 'http://m', ...options })).toThrow(message);
    }
  });
});
