/**
 * The container image, built here with no registry (`npm run image`'s code on the test bed's dockerd) and run
 * for real: once with `docker run` semantics, once as a Swarm service on the manager watching the swarm it runs
 * in (Engine socket mounted) and keeping a NITRO simulator's pool in step; SIGTERM (scale to 0) stops it
 * cleanly. Needs root, dockerd, busybox-static and iproute2 (`node scripts/setup.mjs`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NitroSimulator, startNitroSimulator } from '@nitrox/netscaler/testing';
import { SwarmTestbed, waitFor } from '@nitrox/swarm/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltImage } from '../../../scripts/image/docker-build.js';
import { imageUser } from '../../../scripts/image/rootfs.js';
import { version } from '../src/version.js';
import {
  buildTestImage,
  containerOutput,
  deployNitrox,
  nitroCredentials,
  nitroxContainer,
  opsPort,
  poolInStep,
  testImageTag,
} from './image-service.js';

let tb: SwarmTestbed;
let nitro: NitroSimulator;
let image: BuiltImage;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'nitrox-image-'));
  tb = await SwarmTestbed.start({ nodes: 1 });
  ({ image } = await buildTestImage(tb.manager.docker, join(workDir, 'context')));
  // The service reaches the simulator on the host's address on the test bed's private network.
  nitro = await startNitroSimulator({ ...nitroCredentials, host: tb.hostAddress });
}, 240_000);

afterAll(async () => {
  await nitro?.close();
  await tb?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, 120_000);

describe('the nitrox container image', { timeout: 180_000 }, () => {
  it('is one layer on an empty base: the command as entrypoint, an unprivileged user, OCI labels', async () => {
    const info = (await tb.manager.docker.getImage(testImageTag).inspect()) as {
      Config: { User: string; Entrypoint: string[]; Cmd: string[]; Labels: Record<string, string>; StopSignal?: string };
      RootFS: { Layers: string[] };
    };
    expect(info.RootFS.Layers).toHaveLength(1);
    expect(info.Config.User).toBe(`${imageUser.uid}:${imageUser.gid}`);
    expect(info.Config.Entrypoint).toEqual(['/usr/local/bin/node', '/app/bin/nitrox.mjs']);
    expect(info.Config.Cmd).toEqual(['--help']);
    expect(info.Config.StopSignal).toBe('SIGTERM');
    expect(info.Config.Labels).toMatchObject({ 'org.opencontainers.image.title': 'nitrox', 'org.opencontainers.image.version': version });
    // This Node.js binary (~100 MB) and its libraries are most of it; the bundled command is a few MB.
    expect(image.size).toBeGreaterThan(50_000_000);
    expect(image.size).toBeLessThan(250_000_000);
  });

  it('runs the command with no network, no shell and no node_modules: `docker run IMAGE --help` exits 0', async () => {
    const container = await tb.manager.docker.createContainer({ Image: testImageTag, HostConfig: { NetworkMode: 'none' } });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const output = await containerOutput(container);
      expect(output).toMatch(/Usage: nitrox <command>/);
      expect(StatusCode).toBe(0);
    } finally {
      await container.remove({ force: true });
    }
  });

  it('as a Swarm service on the manager it keeps a NITRO pool equal to a service of its own swarm; SIGTERM stops it cleanly', async () => {
    await tb.createHttpService({ name: 'web', replicas: 2, labels: { 'nitrox.enable': 'true' } });
    await deployNitrox(tb, nitro);
    const opsUrl = `http://${tb.manager.address}:${opsPort}`;
    await waitFor(async () => (await fetch(`${opsUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok || undefined, {
      timeoutMs: 60_000,
      what: 'the service /readyz answering 200',
    });
    expect(await poolInStep(tb, nitro, 2)).toHaveLength(2);
    await tb.scaleService('web', 4);
    expect(await poolInStep(tb, nitro, 4)).toHaveLength(4);
    await tb.scaleService('web', 1);
    expect(await poolInStep(tb, nitro, 1)).toHaveLength(1);
    // The live dashboard is on the same port.
    expect(await (await fetch(`${opsUrl}/`)).text()).toMatch(/<title>[^<]*Nitrox/i);

    const container = await nitroxContainer(tb);
    const logoutsBefore = nitro.requestLog.count({ type: 'logout' });
    await tb.scaleService('nitrox', 0); // the swarm stops the task's container with SIGTERM
    const state = await waitFor(
      async () => {
        const { State } = (await container.inspect()) as { State: { Status: string; ExitCode: number } };
        return State.Status === 'exited' ? State : undefined;
      },
      { timeoutMs: 60_000, what: 'the nitrox container to exit' },
    );
    expect(state.ExitCode).toBe(0); // 137 if the grace period had run out and SIGKILL ended it
    expect(nitro.requestLog.count({ type: 'logout' })).toBe(logoutsBefore + 1);
    const lines = (await containerOutput(container)).split('\n').filter((line) => line.startsWith('{'));
    const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toContain('all sources synced: ready');
    expect(messages.some((m) => m.startsWith('shutting down'))).toBe(true);
    expect(messages.at(-1)).toBe('stopped');
    expect(lines.join('\n')).not.toContain(nitroCredentials.password);
  });
});
