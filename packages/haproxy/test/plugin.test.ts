/**
 * The haproxy plugin as the nitrox host drives it: an entry parsed by the plugin's schema, one pool routed to
 * the mapping's backend on a real HAProxy; the entry's prefix, default weight and `check` reach the library.
 */
import { readFile } from 'node:fs/promises';
import { systemClock } from '@nitrox/core';
import { waitFor } from '@nitrox/core/testing';
import type { PluginContext } from '@nitrox/plugin';
import { expect, it } from 'vitest';
import { haproxyPlugin } from '../src/index.js';
import { RuntimeApiClient } from '../src/runtime-api-client.js';
import { startHaproxy } from '../src/testing/index.js';
import { startHttpBackends as backendServers, httpGet } from '../src/testing/index.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const context: PluginContext = { name: 'lb', path: 'sinks.lb', logger: silent, secrets: { get: () => undefined }, baseDir: '/', clock: systemClock, signal: new AbortController().signal };

it('reaches the library options from a file: backend, prefix, weight and health checks', async () => {
  const hp = await startHaproxy({ backends: [{ name: 'be_web' }] });
  const [server] = await backendServers(1);
  const entry = haproxyPlugin.schema.parse({ socket: hp.socket, serverPrefix: 'nx-', defaultWeight: 7, check: true, restartCheckIntervalMs: '0ms' });
  const runtime = await haproxyPlugin.create(entry, context);
  const admin = new RuntimeApiClient({ socket: hp.socket });
  try {
    const sink = runtime.pool({ pool: 'web', allowEmpty: false, options: haproxyPlugin.mapping.parse({ backend: 'be_web' }) });
    const result = await sink.apply('web', { name: 'web', members: [{ address: '127.0.0.1', port: server?.port as number }] });
    expect(result).toEqual({ added: 1, updated: 0, removed: 0, writes: 3 }); // add server … check, state ready, enable health
    expect((await sink.observe('web'))?.members).toEqual([{ address: '127.0.0.1', port: server?.port, weight: 7 }]);
    // The check runs: show stat's check_status of the server turns L4OK.
    await waitFor(async () => /nx-127\.0\.0\.1-\d+,.*L4OK/.test((await admin.send(['show stat be_web 4 -1']))[0] ?? ''), { timeoutMs: 10_000 });
    expect(runtime.requests().ok).toBeGreaterThan(0);
  } finally {
    await admin.close();
    await runtime.close();
    await server?.close();
    await hp.stop();
  }
});

it('refuses a socket with spaces or ";", hostile backend names and unknown keys, naming the option', () => {
  expect(haproxyPlugin.schema.safeParse({ socket: '/run/a.sock;x' }).error?.issues[0]?.path).toEqual(['socket']);
  expect(haproxyPlugin.mapping.safeParse({ backend: 'be web' }).error?.issues[0]?.path).toEqual(['backend']);
  expect(haproxyPlugin.schema.safeParse({ socket: '/s', serverPrefix: 'a b' }).error?.issues[0]?.path).toEqual(['serverPrefix']);
  expect(haproxyPlugin.schema.safeParse({ socket: '/s', sokcet: 1 }).success).toBe(false);
  expect(haproxyPlugin.schema.safeParse({ socket: '/s', stateFile: 'x.state' }).error?.issues[0]?.path).toEqual(['stateFile']);
  expect(haproxyPlugin.schema.safeParse({ socket: '/s', mode: 'slots', stateFile: 'x.state' }).success).toBe(true);
});

it('keeps the entry\'s state file (relative to the configuration) current, and a reload restores the pool from it', async () => {
  const hp = await startHaproxy({ masterWorker: true, stateFile: true, backends: [{ name: 'be_web', lines: ['server-template nx 4 nitrox-slot.invalid:1 init-addr last,0.0.0.0 disabled'] }] });
  const [server] = await backendServers(1);
  const entry = haproxyPlugin.schema.parse({ socket: hp.socket, mode: 'slots', serverPrefix: 'nx', stateFile: 'server.state', restartCheckIntervalMs: '0ms' });
  const runtime = await haproxyPlugin.create(entry, { ...context, baseDir: hp.dir });
  const admin = new RuntimeApiClient({ socket: hp.socket, session: 'per-command' });
  try {
    const sink = runtime.pool({ pool: 'web', allowEmpty: false, options: haproxyPlugin.mapping.parse({ backend: 'be_web' }) });
    await sink.apply('web', { name: 'web', members: [{ address: '127.0.0.1', port: server?.port as number }] });
    // Written in the background a moment after the apply.
    await waitFor(async () => new RegExp(`be_web 1 nx1 127\\.0\\.0\\.1 2 .* ${server?.port} `).test(await readFile(hp.stateFile as string, 'utf8').catch(() => '')), { timeoutMs: 10_000 });
    await hp.reload();
    expect((await admin.send(['show servers state be_web']))[0]).toMatch(new RegExp(`be_web 1 nx1 127\\.0\\.0\\.1 2 .* ${server?.port} `));
    expect((await httpGet(hp.port)).status).toBe(200);
  } finally {
    await admin.close();
    await runtime.close();
    await server?.close();
    await hp.stop();
  }
});

it('shares one state file between two entries on one HAProxy: the file keeps both backends, and a reload restores both', async () => {
  const hp = await startHaproxy({
    masterWorker: true,
    stateFile: true,
    backends: [
      { name: 'be_a', lines: ['server-template na 2 nitrox-slot.invalid:1 init-addr last,0.0.0.0 disabled'] },
      { name: 'be_b', lines: ['server-template nb 2 nitrox-slot.invalid:1 init-addr last,0.0.0.0 disabled'] },
    ],
  });
  const [a, b] = await backendServers(2);
  // Two entries (say, for two teams' prefixes) that name the same file, as HAProxy's global server-state-file.
  const entryA = haproxyPlugin.schema.parse({ socket: hp.socket, mode: 'slots', serverPrefix: 'na', stateFile: 'server.state', restartCheckIntervalMs: '0ms' });
  const entryB = haproxyPlugin.schema.parse({ socket: hp.socket, mode: 'slots', serverPrefix: 'nb', stateFile: 'server.state', restartCheckIntervalMs: '0ms' });
  const runtimeA = await haproxyPlugin.create(entryA, { ...context, name: 'a', baseDir: hp.dir });
  const runtimeB = await haproxyPlugin.create(entryB, { ...context, name: 'b', baseDir: hp.dir });
  const admin = new RuntimeApiClient({ socket: hp.socket, session: 'per-command' });
  const line = (backend: string, server: string, port: number | undefined) => new RegExp(`${backend} 1 ${server} 127\\.0\\.0\\.1 2 .* ${port} `);
  const inFile = () => readFile(hp.stateFile as string, 'utf8').catch(() => '');
  try {
    await runtimeA.pool({ pool: 'a', allowEmpty: false, options: haproxyPlugin.mapping.parse({ backend: 'be_a' }) }).apply('a', { name: 'a', members: [{ address: '127.0.0.1', port: a?.port as number }] });
    await waitFor(async () => line('be_a', 'na1', a?.port).test(await inFile()), { timeoutMs: 10_000, what: 'be_a in the file' });
    await runtimeB.pool({ pool: 'b', allowEmpty: false, options: haproxyPlugin.mapping.parse({ backend: 'be_b' }) }).apply('b', { name: 'b', members: [{ address: '127.0.0.1', port: b?.port as number }] });
    // Separate instances would each write their own backend only: B's write would drop be_a.
    await waitFor(async () => line('be_b', 'nb1', b?.port).test(await inFile()), { timeoutMs: 10_000, what: 'be_b in the file' });
    expect(await inFile()).toMatch(line('be_a', 'na1', a?.port));
    await hp.reload();
    const [state = ''] = await admin.send(['show servers state']);
    expect(state).toMatch(line('be_a', 'na1', a?.port));
    expect(state).toMatch(line('be_b', 'nb1', b?.port));
    // The next apply notices the new worker (its re-apply writes nothing: the pool is in place); the host's metrics read this.
    await runtimeA.pool({ pool: 'a', allowEmpty: false, options: haproxyPlugin.mapping.parse({ backend: 'be_a' }) }).apply('a', { name: 'a', members: [{ address: '127.0.0.1', port: a?.port as number }] });
    expect(runtimeA.counters?.()).toMatchObject({ peerRestarts: 1, errors: 0 });
    expect(runtimeA.counters?.().stateWrites).toBeGreaterThanOrEqual(2);
    expect(runtimeB.counters?.()).toMatchObject({ peerRestarts: 0, reapplies: 0, errors: 0 });
  } finally {
    await admin.close();
    await runtimeA.close();
    await runtimeB.close();
    await Promise.all([a?.close(), b?.close()]);
    await hp.stop();
  }
});
