/**
 * HAProxy in master-worker mode reloaded (`kill -USR2`): the new worker has none of the dynamic servers. The
 * sink notices the new Pid in its periodic `show info` check, or at the next apply, and re-applies at once.
 */
import { waitFor } from '@nitrox/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { HaproxySink } from '../src/haproxy-sink.js';
import { type HaproxyProcess, startHaproxy } from '../src/testing/index.js';
import { type HttpBackend as TestBackendServer, httpGet as get, startHttpBackends as backendServers } from '../src/testing/index.js';

/** The body a backend answers with. */
const l = (port: number) => `127.0.0.1:${port}`;

let hp: HaproxyProcess | undefined;
let servers: TestBackendServer[] = [];
let sink: HaproxySink | undefined;

afterEach(async () => {
  await sink?.stop();
  await hp?.stop();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const set = (...ports: number[]) => ({ name: 'be', members: ports.map((port) => ({ address: '127.0.0.1', port })) });

describe('HaproxySink across a reload', () => {
  it('re-applies every known pool after the periodic check sees a new worker', async () => {
    servers = await backendServers(2);
    hp = await startHaproxy({ masterWorker: true });
    sink = new HaproxySink({ client: { socket: hp.socket }, restartCheckIntervalMs: 50 });
    const [a, b] = servers.map((s) => s.port) as [number, number];
    await sink.apply('be', set(a, b));
    await hp.reload();
    await waitFor(() => sink?.stats.restarts === 1, { timeoutMs: 10_000 });
    await waitFor(async () => (await sink?.observe('be'))?.members.length === 2, { timeoutMs: 10_000 });
    expect(sink.stats.reapplies).toBe(1);
    expect(new Set([(await get(hp.port)).body, (await get(hp.port)).body])).toEqual(new Set([l(a), l(b)]));
  });

  it('notices the reload at the next apply without the periodic check, and re-adds the lost servers', async () => {
    servers = await backendServers(1);
    hp = await startHaproxy({ masterWorker: true });
    sink = new HaproxySink({ client: { socket: hp.socket }, restartCheckIntervalMs: 0 });
    const port = servers[0]?.port as number;
    await sink.apply('be', set(port));
    await hp.reload();
    expect(await sink.apply('be', set(port))).toEqual({ added: 1, updated: 0, removed: 0, writes: 2 });
    expect(sink.stats.restarts).toBe(1);
    expect((await get(hp.port)).body).toBe(l(port));
  });
});
