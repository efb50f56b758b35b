/**
 * HaproxySink against a real `haproxy -db` on loopback: traffic reaches the members it adds, weights change
 * in place, removal drains an in-flight request first, foreign servers stay untouched, hostile names never
 * reach the socket, and HAProxy's refusals arrive as typed SinkErrors.
 */
import { waitFor } from '@nitrox/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { HaproxySink } from '../src/haproxy-sink.js';
import { RuntimeApiClient } from '../src/runtime-api-client.js';
import { type HaproxyProcess, startHaproxy, type StartHaproxyOptions } from '../src/testing/index.js';
import { type HttpBackend as TestBackendServer, httpGet as get, startHttpBackends as backendServers } from '../src/testing/index.js';

/** The body a backend answers with. */
const l = (port: number) => `127.0.0.1:${port}`;

let haproxy: HaproxyProcess | undefined;
let servers: TestBackendServer[] = [];
const sinks: HaproxySink[] = [];

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
  await haproxy?.stop();
  haproxy = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(options: StartHaproxyOptions = {}, sinkOptions: Partial<ConstructorParameters<typeof HaproxySink>[0]> = {}) {
  haproxy = await startHaproxy(options);
  const client = new RuntimeApiClient({ socket: haproxy.socket });
  const sink = new HaproxySink({ client, backend: 'be', drainTimeoutMs: 5_000, restartCheckIntervalMs: 0, ...sinkOptions });
  sinks.push(sink);
  return { hp: haproxy, client, sink };
}

const set = (...ports: number[]) => ({ name: 'web', members: ports.map((port) => ({ address: '127.0.0.1', port })) });

describe('HaproxySink on a real HAProxy', () => {
  it('serves the members it adds with 2 commands each, and a no-op apply writes nothing', async () => {
    servers = await backendServers(2);
    const { hp, sink } = await setup();
    const [a, b] = servers.map((s) => s.port) as [number, number];
    expect(await sink.apply('web', set(a, b))).toEqual({ added: 2, updated: 0, removed: 0, writes: 4 });
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) bodies.add((await get(hp.port)).body);
    expect(bodies).toEqual(new Set([l(a), l(b)]));
    expect(await sink.apply('web', set(b, a))).toEqual({ added: 0, updated: 0, removed: 0, writes: 0 });
  });

  it('changes a weight in place with one command and splits traffic by it', async () => {
    servers = await backendServers(2);
    const { hp, sink } = await setup();
    const [a, b] = servers.map((s) => s.port) as [number, number];
    await sink.apply('web', set(a, b));
    const result = await sink.apply('web', { name: 'web', members: [{ address: '127.0.0.1', port: a, weight: 3 }, { address: '127.0.0.1', port: b }] });
    expect(result).toEqual({ added: 0, updated: 1, removed: 0, writes: 1 });
    const counts = new Map<string, number>();
    for (let i = 0; i < 8; i++) {
      const { body } = await get(hp.port);
      counts.set(body, (counts.get(body) ?? 0) + 1);
    }
    expect([counts.get(l(a)), counts.get(l(b))]).toEqual([6, 2]);
  });

  it.each([
    ['drain → maint → del', true, 5],
    ['maint → del', false, 4],
  ] as const)('lets an in-flight request finish before the server is deleted (%s)', async (_, drainFirst, writes) => {
    servers = await backendServers(2);
    const { hp, sink, client } = await setup({}, { drainFirst });
    const [slow, other] = servers as [TestBackendServer, TestBackendServer];
    await sink.apply('web', set(slow.port));
    slow.delayMs = 600;
    const inFlight = get(hp.port);
    await waitFor(async () => /nitrox-127\.0\.0\.1-\d+,\S*?,0,\d+,1,/.test((await client.send(['show stat be 4 -1']))[0] ?? ''), { timeoutMs: 5_000 });
    const result = await sink.apply('web', set(other.port));
    expect(result).toEqual({ added: 1, updated: 0, removed: 1, writes });
    expect(await inFlight).toEqual({ status: 200, body: l(slow.port) });
    expect((await get(hp.port)).body).toBe(l(other.port));
  });

  it('never touches servers without its prefix and refuses hostile names before sending anything', async () => {
    servers = await backendServers(1);
    const { sink, client } = await setup({ backends: [{ name: 'be', lines: ['server admin1 127.0.0.1:9 weight 5'] }] }, { allowEmpty: true });
    const port = servers[0]?.port as number;
    await sink.apply('web', set(port));
    await sink.apply('web', set());
    const state = (await client.send(['show servers state be']))[0] ?? '';
    expect(state).toMatch(/ admin1 127\.0\.0\.1 \d+ 0 5 /);
    expect(state).not.toMatch(/nitrox-/);
    const sent = client.stats.ok;
    const hostile = new HaproxySink({ client, backend: (key) => key, restartCheckIntervalMs: 0 });
    for (const key of ['be;del server be/admin1', 'be\ndisable server be/admin1', 'be del']) {
      await expect(hostile.apply(key, set(port))).rejects.toMatchObject({ code: 'NITROX_SINK', retryable: false, peerCode: 'invalid-input' });
    }
    await expect(hostile.apply('be', { name: 'be', members: [{ address: '127.0.0.1;quit', port }] })).rejects.toMatchObject({ peerCode: 'invalid-input' });
    expect(client.stats.ok - sent).toBe(3); // only the reads of the last apply; no write went out
    expect((await client.send(['show servers state be']))[0]).toMatch(/ admin1 127\.0\.0\.1 \d+ 0 5 /);
  });

  it('maps refusals to typed SinkErrors: missing backend, static algorithm, read-only socket', async () => {
    await setup({ backends: [{ name: 'be' }, { name: 'static', balance: 'static-rr' }] });
    const other = new HaproxySink({ client: { socket: haproxy?.socket as string }, backend: 'nope', restartCheckIntervalMs: 0 });
    sinks.push(other);
    await expect(other.apply('web', set(8080))).rejects.toMatchObject({ peerCode: 'no-such-backend', retryable: false });
    const stat = new HaproxySink({ client: { socket: haproxy?.socket as string }, backend: 'static', restartCheckIntervalMs: 0 });
    sinks.push(stat);
    await expect(stat.apply('web', set(8080))).rejects.toMatchObject({ peerCode: 'static-algorithm', retryable: false });
    await haproxy?.stop();
    haproxy = await startHaproxy({ level: 'operator' });
    const operator = new HaproxySink({ client: { socket: haproxy.socket }, backend: 'be', restartCheckIntervalMs: 0 });
    sinks.push(operator);
    await expect(operator.apply('web', set(8080))).rejects.toMatchObject({ peerCode: 'permission-denied', retryable: false });
    const gone = new HaproxySink({ client: { socket: '/nonexistent/haproxy.sock' }, backend: 'be', restartCheckIntervalMs: 0 });
    sinks.push(gone);
    await expect(gone.apply('web', set(8080))).rejects.toMatchObject({ peerCode: 'connection', retryable: true });
  });

  it('slot mode sets server-template slots by address and state, without add/del', async () => {
    servers = await backendServers(3);
    const { hp, sink } = await setup({ backends: [{ name: 'be', lines: ['server-template nx 2 0.0.0.0:0 disabled'] }] }, { mode: 'slots', serverPrefix: 'nx' });
    const [a, b, c] = servers.map((s) => s.port) as [number, number, number];
    expect(await sink.apply('web', set(a, b))).toMatchObject({ added: 2, writes: 4 });
    expect((await sink.observe('web'))?.members.map((m) => m.port).sort()).toEqual([a, b].sort());
    await sink.apply('web', set(b, c));
    expect((await sink.observe('web'))?.members.map((m) => m.port).sort()).toEqual([b, c].sort());
    expect(new Set([(await get(hp.port)).body, (await get(hp.port)).body])).toEqual(new Set([l(b), l(c)]));
    await expect(sink.apply('web', set(a, b, c))).rejects.toMatchObject({ code: 'NITROX_SINK', retryable: false });
  });

  it('one connection per command gives the same result as the pipelined session', async () => {
    servers = await backendServers(2);
    const { hp, sink: _unused } = await setup();
    const sink = new HaproxySink({ client: { socket: hp.socket, session: 'per-command' }, backend: 'be', restartCheckIntervalMs: 0 });
    sinks.push(sink);
    const [a, b] = servers.map((s) => s.port) as [number, number];
    expect(await sink.apply('web', set(a, b))).toMatchObject({ added: 2, writes: 4 });
    expect(await sink.apply('web', set(a))).toMatchObject({ removed: 1, writes: 3 });
    expect((await sink.observe('web'))?.members).toEqual([{ address: '127.0.0.1', port: a, weight: 1 }]);
  });

  it('adds an IPv6 member in brackets and serves it', async () => {
    servers = await backendServers(1, { addresses: ['::1'] });
    const { hp, sink } = await setup();
    const member = { address: '::1', port: servers[0]?.port as number };
    expect(await sink.apply('web', { name: 'web', members: [member] })).toMatchObject({ added: 1, writes: 2 });
    expect((await sink.observe('web'))?.members).toEqual([{ ...member, weight: 1 }]);
    expect((await get(hp.port)).body).toBe(`::1:${member.port}`);
    expect(await sink.apply('web', { name: 'web', members: [member] })).toMatchObject({ writes: 0 });
  });

  it('works over an ipv4@ admin socket too', async () => {
    servers = await backendServers(1);
    const { hp, sink } = await setup({ tcpSocket: true });
    expect(hp.socket).toMatch(/^ipv4@127\.0\.0\.1:\d+$/);
    const port = servers[0]?.port as number;
    expect(await sink.apply('web', set(port))).toMatchObject({ added: 1, writes: 2 });
    expect((await get(hp.port)).body).toBe(l(port));
  });
});
