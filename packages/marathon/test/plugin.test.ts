/**
 * The marathon plugin as the nitrox host drives it: an entry parsed by the plugin's schema, secrets through the
 * context, a runtime whose views serve the mapped apps. Against the Marathon simulator requiring a DC/OS token,
 * with a dead first master, and a `select` that excludes one mapped app.
 */
import { systemClock } from '@nitrox/core';
import { waitFor } from '@nitrox/core/testing';
import type { PluginContext } from '@nitrox/plugin';
import { expect, it } from 'vitest';
import { marathonPlugin } from '../src/index.js';
import { startMarathonSimulator } from '../src/testing/index.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function context(secrets: Record<string, string>): PluginContext {
  return { name: 'mesos', path: 'sources.mesos', logger: silent, secrets: { get: (p) => secrets[p] }, baseDir: '/', clock: systemClock, signal: new AbortController().signal };
}

it('reaches the library options from a file: DC/OS token, several masters, select, health rule', async () => {
  const sim = await startMarathonSimulator({ heartbeatMs: 0, auth: { token: 'dcos-token' } });
  sim.apps.create({ id: '/web', instances: 2, labels: { expose: 'yes' } });
  sim.apps.create({ id: '/internal', instances: 1 });
  const entry = marathonPlugin.schema.parse({
    url: ['http://127.0.0.1:1', sim.url],
    tokenFrom: { env: 'MARATHON_TOKEN' },
    select: { labels: { expose: 'yes' } },
    health: 'any',
    snapshotIntervalMs: '0s',
    debounceMs: 20,
  });
  expect(entry).toMatchObject({ tokenType: 'dcos', addressMode: 'auto', health: 'any', snapshotIntervalMs: 0 });
  const runtime = await marathonPlugin.create(entry, context({ tokenFrom: 'dcos-token' }));
  const web = { name: 'web', app: '/web', pool: 'web', options: marathonPlugin.mapping.parse({}) };
  const internal = { name: 'internal', app: 'internal', pool: 'internal', options: marathonPlugin.mapping.parse({}) };
  runtime.view(web);
  runtime.view(internal);
  runtime.start();
  try {
    await runtime.waitForSync(AbortSignal.timeout(10_000));
    const pool = await waitFor(() => runtime.desired(web), { what: 'the web pool' });
    expect(pool.name).toBe('web');
    expect(pool.members).toHaveLength(2);
    expect(runtime.desired(internal)).toBeUndefined();
  } finally {
    await runtime.stop();
    await sim.close();
  }
});

it('refuses credentials in a URL and inline secrets, naming the option', () => {
  const userinfo = marathonPlugin.schema.safeParse({ url: 'http://ops:secret@marathon:8080' });
  expect(userinfo.error?.issues[0]?.path).toEqual(['url']);
  const inline = marathonPlugin.schema.safeParse({ url: 'http://marathon:8080', token: 'abc' });
  expect(inline.error?.issues[0]?.path).toEqual(['token']);
  const both = marathonPlugin.schema.safeParse({ url: 'http://m:8080', username: 'ops', passwordFrom: { env: 'P' }, tokenFrom: { env: 'T' } });
  expect(both.error?.issues[0]?.path).toEqual(['tokenFrom']);
});

it('reaches the failover and hostname options: resolveHostnames off leaves tasks on named agents out', async () => {
  const entry = marathonPlugin.schema.parse({ url: 'http://127.0.0.1:1' });
  expect(entry).toMatchObject({ resolveHostnames: true, healthMemorySize: 10_000, maxRedirects: 1, unreachableTasks: 'keep' });
  expect(marathonPlugin.schema.safeParse({ url: 'http://127.0.0.1:1', unreachableTasks: 'route' }).error?.issues[0]?.path).toEqual(['unreachableTasks']);
  expect(marathonPlugin.schema.parse({ url: 'http://m', resolver: { ttlMs: '5s' } }).resolver).toEqual({ ttlMs: 5_000, negativeTtlMs: 10_000, maxEntries: 10_000, timeoutMs: 3_000 });

  const sim = await startMarathonSimulator({ heartbeatMs: 0, agents: 'hostname' });
  sim.apps.create({ id: '/web', instances: 2 });
  const runtime = await marathonPlugin.create(
    marathonPlugin.schema.parse({ url: sim.url, resolveHostnames: false, snapshotIntervalMs: 0, debounceMs: 10 }),
    context({}),
  );
  const web = { name: 'web', app: '/web', pool: 'web', options: marathonPlugin.mapping.parse({}) };
  runtime.view(web);
  runtime.start();
  try {
    await runtime.waitForSync(AbortSignal.timeout(10_000));
    const pool = await waitFor(() => runtime.desired(web), { what: 'the web pool' });
    expect(pool.members).toEqual([]); // a hostname is never passed on as an address
  } finally {
    await runtime.stop();
    await sim.close();
  }
});

it('reports since when it has been out of contact with Marathon: the event stream down or a fetch failing', async () => {
  const sim = await startMarathonSimulator({ heartbeatMs: 0 });
  sim.apps.create({ id: '/web', instances: 1 });
  const entry = marathonPlugin.schema.parse({ url: sim.url, debounceMs: 10, backoff: { initialMs: 20, maxMs: 50 } });
  const runtime = await marathonPlugin.create(entry, context({}));
  runtime.view({ name: 'web', app: '/web', pool: 'web', options: marathonPlugin.mapping.parse({}) });
  const started = systemClock.now();
  runtime.start();
  try {
    expect(runtime.disconnectedSince?.()).toBeGreaterThanOrEqual(started);
    await runtime.waitForSync(AbortSignal.timeout(10_000));
    await waitFor(() => runtime.disconnectedSince?.() === undefined, { what: 'contact once the stream is open and a snapshot read' });
    sim.faults.failRequests({ count: 4, status: 503 });
    const cut = systemClock.now();
    sim.faults.dropStreams();
    const since = await waitFor(() => runtime.disconnectedSince?.(), { what: 'the loss of contact' });
    expect(since).toBeGreaterThanOrEqual(cut);
    await waitFor(() => runtime.disconnectedSince?.() === undefined, { what: 'contact again' });
  } finally {
    await runtime.stop();
    await sim.close();
  }
});
