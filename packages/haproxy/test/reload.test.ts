/**
 * HAProxy in master-worker mode reloaded (`kill -USR2`): the new worker has none of the dynamic servers. The
 * sink notices the new Pid in its periodic `show info` check, or at the next apply, and re-applies at once.
 * In slot mode with a state file the new worker starts with the members already in place: no request fails
 * across the reload even with the restart check off, where without the file the slots come back empty.
 */
import { writeFile } from 'node:fs/promises';
import { waitFor } from '@nitrox/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { HaproxySink } from '../src/haproxy-sink.js';
import { RuntimeApiClient } from '../src/runtime-api-client.js';
import { ServerStateFile } from '../src/server-state-file.js';
import { type HaproxyProcess, startHaproxy, trafficLoop } from '../src/testing/index.js';
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

/** Slots HAProxy can restore from a state file: a host name (never resolved) and `init-addr last,<ip>`. */
const restorableSlots = 'server-template nx 4 nitrox-slot.invalid:1 init-addr last,0.0.0.0 disabled';

describe('slot mode across a reload', () => {
  /**
   * Apply two members, run a client loop, reload once with no restart check and no apply after it. `sink`: the
   * sink keeps the state file; `dump`: the operator's recipe, `show servers state` into the file before the
   * reload; `none`: no file.
   */
  async function reloadUnderTraffic(file: 'sink' | 'dump' | 'none') {
    servers = await backendServers(2);
    hp = await startHaproxy({ masterWorker: true, stateFile: true, backends: [{ name: 'be', lines: [restorableSlots] }] });
    const stateFile = file === 'sink' ? new ServerStateFile(hp.stateFile as string) : undefined;
    sink = new HaproxySink({ client: { socket: hp.socket }, mode: 'slots', serverPrefix: 'nx', restartCheckIntervalMs: 0, ...(stateFile ? { stateFile } : {}) });
    const [a, b] = servers.map((s) => s.port) as [number, number];
    await sink.apply('be', set(a, b));
    // The file is written in the background, a moment after the apply.
    await stateFile?.flush();
    const admin = new RuntimeApiClient({ socket: hp.socket, session: 'per-command' });
    // Every line must end with a newline: HAProxy takes a last line without one as a corrupt file and ignores it all.
    if (file === 'dump') await writeFile(hp.stateFile as string, `${((await admin.send(['show servers state']))[0] ?? '').trimEnd()}\n`);
    const loop = trafficLoop(hp.port, { concurrency: 4 });
    await waitFor(() => loop.counts.ok >= 50, { timeoutMs: 10_000 });
    await hp.reload();
    const after = loop.counts.ok + loop.counts.failed;
    await waitFor(() => loop.counts.ok + loop.counts.failed >= after + 200, { timeoutMs: 10_000 });
    const counts = await loop.stop();
    const [state = ''] = await admin.send(['show servers state be']);
    await admin.close();
    return { counts, state, ports: [a, b] };
  }

  it('with a state file, the new worker starts with every member: no request fails and the next apply writes nothing', async () => {
    const { counts, state, ports } = await reloadUnderTraffic('sink');
    expect(counts.failed, JSON.stringify(counts.reasons)).toBe(0);
    expect(Object.keys(counts.byBackend).sort()).toEqual(ports.map(l).sort());
    for (const port of ports) expect(state).toMatch(new RegExp(` nx\\d 127\\.0\\.0\\.1 2 4 1 1 .* ${port} `));
    expect(await sink?.apply('be', set(...ports))).toEqual({ added: 0, updated: 0, removed: 0, writes: 0 });
    expect(sink?.stats.restarts).toBe(1);
  });

  it('the operator\'s recipe (show servers state into the file before the reload) restores the same slots', async () => {
    const { counts, state, ports } = await reloadUnderTraffic('dump');
    expect(counts.failed, JSON.stringify(counts.reasons)).toBe(0);
    for (const port of ports) expect(state).toMatch(new RegExp(` nx\\d 127\\.0\\.0\\.1 2 4 1 1 .* ${port} `));
  });

  it('without a file (the old behaviour), the reload empties the slots and requests fail until an apply', async () => {
    const { counts, state, ports } = await reloadUnderTraffic('none');
    expect(counts.failed).toBeGreaterThan(0);
    expect(Object.keys(counts.reasons)).toEqual(['status 503']);
    expect(state).not.toContain('127.0.0.1');
    expect((await sink?.apply('be', set(...ports)))?.added).toBe(2);
  });
});
