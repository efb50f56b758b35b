import { systemClock } from '@nitrox/core';
import type { PluginContext } from '@nitrox/plugin';
import { describe, expect, it } from 'vitest';
import { swarmPlugin } from './plugin.js';
import { swarmSourceDefaults } from './swarm-source-options.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const context: PluginContext = { name: 'swarm', path: 'sources.swarm', logger: silent, secrets: { get: () => undefined }, baseDir: '/nonexistent', clock: systemClock, signal: new AbortController().signal };

describe('swarm plugin', () => {
  it('parses an entry under the library names, with the library defaults', () => {
    const entry = swarmPlugin.schema.parse({ connection: { host: 'manager', port: 2376 }, select: { labels: { 'nitrox.enable': 'true', team: true } }, pollIntervalMs: '30s' });
    expect(entry).toMatchObject({
      pollIntervalMs: 30_000,
      fallbackPollMs: swarmSourceDefaults.fallbackPollMs,
      eventsIdleTimeoutMs: swarmSourceDefaults.eventsIdleTimeoutMs,
      ingressNodes: 'all',
      connection: { host: 'manager', port: 2376, apiVersion: '1.41', requestTimeoutMs: 30_000 },
    });
    expect(swarmPlugin.schema.safeParse({ connection: { socketPath: '/s', host: 'h' } }).error?.issues[0]?.path).toEqual(['connection', 'host']);
    expect(swarmPlugin.mapping.safeParse({ port: 'http' }).success).toBe(false);
  });

  it('takes the dead-task poll and the unknown-node grace under the library names', () => {
    expect(swarmPlugin.schema.parse({})).toMatchObject({ taskPollMs: 500, unknownNodeGraceMs: 60_000 });
    expect(swarmPlugin.schema.parse({ taskPollMs: '1s', unknownNodeGraceMs: '2m' })).toMatchObject({ taskPollMs: 1_000, unknownNodeGraceMs: 120_000 });
    expect(swarmPlugin.schema.parse({ taskPollMs: 0 }).taskPollMs).toBe(0);
    expect(swarmPlugin.schema.safeParse({ taskPollMs: '5ms' }).error?.issues[0]?.path).toEqual(['taskPollMs']);
  });

  it('refuses a polling period of 0 when the file is read, naming the option', () => {
    for (const key of ['pollIntervalMs', 'fallbackPollMs', 'settlePollMs']) {
      const issue = swarmPlugin.schema.safeParse({ [key]: 0 }).error?.issues[0];
      expect([issue?.path, issue?.message]).toEqual([[key], expect.stringContaining('at least 10ms')]);
    }
    expect(swarmPlugin.schema.parse({ pollIntervalMs: '10ms' }).pollIntervalMs).toBe(10);
  });

  it('builds a runtime without I/O, and names a TLS file it cannot read', async () => {
    const runtime = await swarmPlugin.create(swarmPlugin.schema.parse({ connection: { socketPath: '/var/run/docker.sock' } }), context);
    expect(runtime.type).toBe('swarm');
    expect(runtime.hasSynced()).toBe(false);
    const tls = swarmPlugin.schema.parse({ connection: { host: 'manager', caFile: 'ca.pem', certFile: 'cert.pem', keyFile: 'key.pem' } });
    expect(() => swarmPlugin.create(tls, context)).toThrow(/sources\.swarm\.connection\.caFile: expected a readable PEM file at \/nonexistent\/ca.pem/);
  });
});

describe('swarm plugin contact', () => {
  it('is out of contact from start while the daemon does not answer, and reports nothing once stopped', async () => {
    const runtime = await swarmPlugin.create(swarmPlugin.schema.parse({ connection: { socketPath: '/nonexistent/docker.sock' } }), context);
    runtime.view({ name: 'web', app: 'web', pool: 'web', options: {} });
    expect(runtime.disconnectedSince?.()).toBeUndefined();
    const started = systemClock.now();
    runtime.start();
    expect(runtime.disconnectedSince?.()).toBeGreaterThanOrEqual(started);
    await runtime.stop();
    expect(runtime.disconnectedSince?.()).toBeUndefined();
  });
});
