/**
 * The swarm source against a REAL 2-node Docker Swarm (dockerd 20.10 in network namespaces, started and torn
 * down by the testbed; needs root and `node scripts/setup.mjs`). One swarm serves the whole file.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BackendSet, Controller, Informer, SourceError, type Versioned } from '@nitrox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwarmSource } from '../src/swarm-source.js';
import type { SwarmSourceOptions } from '../src/swarm-source-options.js';
import { EngineProxy, SwarmTestbed, waitFor } from '../src/testing/index.js';

let tb: SwarmTestbed;
const sources: SwarmSource[] = [];

beforeAll(async () => {
  tb = await SwarmTestbed.start({ nodes: 2 });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(sources.map((s) => s.stop()));
  await tb?.stop();
}, 120_000);

function source(options: SwarmSourceOptions = {}): SwarmSource {
  const s = new SwarmSource({ connection: { socketPath: tb.manager.socketPath }, ...options });
  sources.push(s);
  return s;
}

/** Wait until the set of `name` has `count` members (or is absent, for `count` undefined). */
function members(s: SwarmSource, name: string, count: number, timeoutMs = 30_000): Promise<BackendSet> {
  return waitFor(() => (s.get(name)?.value.members.length === count ? s.get(name)?.value : undefined), {
    timeoutMs,
    what: `${name} with ${count} members (has ${s.get(name)?.value.members.length ?? 'no set'})`,
  });
}

/**
 * What each member serves at `/`. A task is `running` as soon as its process started, a moment before httpd
 * listens (more so on a loaded machine): each member gets a generous deadline to answer, refusals retried.
 */
async function answers(set: BackendSet): Promise<string[]> {
  return Promise.all(
    set.members.map((m) =>
      waitFor(
        async () => {
          const response = await fetch(`http://${m.address}:${m.port}/`, { signal: AbortSignal.timeout(5_000) });
          return response.ok ? (await response.text()).trim() : undefined;
        },
        { what: `HTTP answer of ${m.address}:${m.port}` },
      ),
    ),
  );
}

// Each test waits on several conditions (30 s deadlines each): the test's own budget must exceed them under load.
describe('SwarmSource on a real swarm', { timeout: 120_000 }, () => {
  it('a 2-replica host-mode service appears as 2 members that answer HTTP at address:port', async () => {
    await tb.createHttpService({ name: 'web', replicas: 2 });
    const s = source();
    s.start();
    const set = await members(s, 'web', 2);
    const bodies = await answers(set);
    expect(new Set(bodies)).toEqual(new Set(['web-1', 'web-2']));
  });

  it('follows docker service scale 2 → 4 → 1 (Engine API), as seen by a core Controller', async () => {
    const s = source();
    const seen = new Map<string, number>();
    const controller = new Controller<BackendSet>({
      source: s,
      reconcile: async (key, desired: Versioned<BackendSet> | undefined) => {
        seen.set(key, desired?.value.members.length ?? 0);
      },
    });
    controller.start();
    try {
      await waitFor(() => (seen.get('web') === 2 ? true : undefined), { what: 'controller saw web with 2' });
      await tb.scaleService('web', 4);
      const four = await members(s, 'web', 4);
      expect((await answers(four)).sort()).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
      await waitFor(() => (seen.get('web') === 4 ? true : undefined), { what: 'controller saw web with 4' });
      await tb.scaleService('web', 1);
      const one = await members(s, 'web', 1);
      expect(await answers(one)).toEqual(['web-1']);
      await waitFor(() => (seen.get('web') === 1 ? true : undefined), { what: 'controller saw web with 1' });
    } finally {
      await controller.stop();
    }
  });

  it('a 2-node swarm spreads tasks and both nodes\' members appear', async () => {
    await tb.createHttpService({ name: 'spread', replicas: 2 });
    const s = source();
    s.start();
    const set = await members(s, 'spread', 2);
    expect(set.members.map((m) => m.address).sort()).toEqual(tb.nodes.map((n) => n.address).sort());
    expect((await answers(set)).sort()).toEqual(['spread-1', 'spread-2']);
  });

  it('a drained node drops its members', async () => {
    const s = source();
    s.start();
    await members(s, 'spread', 2);
    const node2 = tb.node('node2').address;
    await tb.setAvailability('node2', 'drain');
    try {
      const set = await waitFor(
        () => {
          const v = s.get('spread')?.value;
          return v && v.members.length === 2 && v.members.every((m) => m.address !== node2) ? v : undefined;
        },
        { what: 'spread rescheduled off node2' },
      );
      expect(new Set(set.members.map((m) => m.address))).toEqual(new Set([tb.manager.address]));
      expect((await answers(set)).sort()).toEqual(['spread-1', 'spread-2']);
    } finally {
      await tb.setAvailability('node2', 'active');
    }
  });

  it('an events stream cut is repaired by the poll; the stream comes back and survives a malformed line', async () => {
    const proxy = await EngineProxy.start(tb.manager.socketPath);
    try {
      const s = source({ connection: { host: '127.0.0.1', port: proxy.port }, fallbackPollMs: 500, backoff: { initialMs: 3_000, maxMs: 3_000 } });
      s.start();
      await waitFor(() => (s.eventsConnected && s.get('web') ? true : undefined), { what: 'events connected' });
      const before = s.stats.fullPasses;
      proxy.cutEvents({ block: true });
      await waitFor(() => (s.eventsConnected ? undefined : true), { what: 'stream seen down' });
      await tb.scaleService('web', 3);
      await members(s, 'web', 3);
      expect(s.eventsConnected).toBe(false);
      expect(s.stats.fullPasses).toBeGreaterThan(before);
      proxy.unblockEvents();
      await waitFor(() => (s.eventsConnected ? true : undefined), { what: 'stream reconnected', timeoutMs: 20_000 });
      expect(s.stats.eventConnects).toBeGreaterThanOrEqual(2);
      // A malformed line in the live stream is reported, and the same stream carries the next event.
      const connects = s.stats.eventConnects;
      const errors: string[] = [];
      s.on('error', (e) => errors.push(e.code));
      expect(proxy.injectEventLine('{"Type":"service","Action":')).toBe(1);
      await waitFor(() => (s.stats.malformed === 1 ? true : undefined), { what: 'malformed line reported' });
      await tb.scaleService('web', 2);
      await members(s, 'web', 2);
      expect(errors).toEqual(['NITROX_MALFORMED_EVENT']);
      expect(s.stats.eventConnects).toBe(connects);
    } finally {
      await proxy.close();
    }
  });

  it('a removed service empties its set', async () => {
    const s = source();
    const informer = new Informer(s);
    informer.start();
    try {
      await informer.waitForSync();
      await waitFor(() => informer.cache.get('spread'), { what: 'spread in the informer cache' });
      await tb.removeService('spread');
      await waitFor(() => (s.get('spread') === undefined && !informer.cache.has('spread') ? true : undefined), {
        what: 'spread gone',
      });
      expect(s.get('web')).toBeDefined();
    } finally {
      await informer.stop();
    }
  });

  it('ingress and dnsrr-overlay services project from the live API (no data path: no IPVS here)', async () => {
    await tb.manager.docker.createNetwork({ Name: 'backend', Driver: 'overlay', Attachable: true });
    await tb.createHttpService({ name: 'mesh', replicas: 1, publishMode: 'ingress', publishedPort: 30080 });
    await tb.createHttpService({
      name: 'rr',
      replicas: 2,
      publishMode: 'none',
      endpointMode: 'dnsrr',
      networks: ['backend'],
      labels: { 'nitrox.port': '8080' },
    });
    const s = source();
    s.start();
    // Ingress: every ready, active node, although only one runs a task.
    const mesh = await members(s, 'mesh', 2);
    expect(mesh.members).toEqual(tb.nodes.map((n) => ({ address: n.address, port: 30080 })).sort((a, b) => a.address.localeCompare(b.address)));
    // dnsrr: the tasks' overlay addresses at the labelled target port.
    const rr = await members(s, 'rr', 2);
    const tasks = (await tb.manager.docker.listTasks({ filters: { service: ['rr'], 'desired-state': ['running'] } })) as {
      NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses: string[] }[];
    }[];
    const overlay = tasks.flatMap((t) => t.NetworksAttachments ?? []).filter((a) => a.Network.Spec.Name === 'backend');
    expect(rr.members.map((m) => m.address).sort()).toEqual(overlay.map((a) => (a.Addresses[0] ?? '').split('/')[0]).sort());
    expect(rr.members.every((m) => m.port === 8080)).toBe(true);
    await tb.removeService('mesh');
    await tb.removeService('rr');
  });

  it('a worker answers 503: list rejects with a clear SourceError', async () => {
    const s = new SwarmSource({ connection: { socketPath: tb.node('node2').socketPath }, events: false });
    sources.push(s);
    const error = await s.list(new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ status: 503 });
    expect((error as Error).message).toMatch(/not a swarm manager/);
  });
});

describe('SwarmTestbed', { timeout: 120_000 }, () => {
  it('is sealed off: no default route in any node namespace, no registry contacted', () => {
    for (const node of tb.nodes) {
      const routes = execFileSync('ip', ['-n', node.netns, 'route', 'show', 'default'], { encoding: 'utf8' });
      expect(routes.trim()).toBe('');
      const log = readFileSync(join(tb.directory, node.name.replace('node', 'n'), 'dockerd.log'), 'utf8');
      expect(log).not.toMatch(/registry-1\.docker\.io|docker\.io\/library|pulling image/i);
    }
    expect(tb.image.startsWith('127.0.0.1:')).toBe(true);
  });

  it('removes the leftovers of a crashed run when the next one starts', async () => {
    const t0 = Date.now();
    const steps: string[] = [];
    const step = (line: string): void => {
      steps.push(`${Date.now() - t0} ms ${line}`);
    };
    const child = spawn(process.execPath, ['--conditions=@nitrox/source', '--import', 'tsx', join(import.meta.dirname, 'crash-child.ts')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => step(`child stderr: ${chunk.toString().trim()}`));
    const { dir } = await waitFor(() => (out.includes('\n') ? (JSON.parse(out) as { dir: string }) : undefined), {
      timeoutMs: 60_000,
      what: 'crash child testbed',
    });
    step('child testbed up');
    const pid = Number(readFileSync(join(dir, 'n1', 'dockerd.pid'), 'utf8'));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(existsSync(dir)).toBe(true); // nobody cleaned up: the owner died
    const next = await SwarmTestbed.start({ nodes: 1, log: step });
    await next.stop();
    step('next testbed stopped');
    expect(leftoversOf(dir), steps.join('\n')).toEqual([]);
    expect(() => process.kill(pid, 0)).toThrow(); // its dockerd is gone
    expect(leftoversOf(next.directory)).toEqual([]); // and a regular stop leaves nothing either
  });
});

/** What of testbed `dir` still exists on the host: files, namespaces, veth, mounts, cgroups, processes. */
function leftoversOf(dir: string): string[] {
  const id = dir.slice(dir.lastIndexOf('tb-') + 3);
  const found: string[] = [];
  if (existsSync(dir)) found.push(dir);
  for (const ns of [`nxsw-${id}-hub`, `nxsw-${id}-n1`]) if (existsSync(`/run/netns/${ns}`)) found.push(`netns ${ns}`);
  if (existsSync(`/sys/class/net/nxsw${id}`)) found.push(`veth nxsw${id}`);
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (line.includes(dir)) found.push(`mount ${line.split(' ')[4]}`);
  for (const hierarchy of ['pids', 'memory', 'cpu', 'freezer', 'unified', '']) {
    if (existsSync(`/sys/fs/cgroup/${hierarchy}/nxsw-${id}-n1`)) found.push(`cgroup ${hierarchy}/nxsw-${id}-n1`);
  }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(dir)) found.push(`process ${pid}: ${cmdline.slice(0, 120)}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
