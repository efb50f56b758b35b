/**
 * The container image on a test swarm, as the original Nitrox ran: built with `npm run image`'s code on the
 * test bed's own dockerd, then deployed as a Swarm service on the manager with the Engine socket mounted,
 * its configuration a Swarm config and the NITRO password a Swarm secret, watching the swarm it runs in and
 * keeping a NITRO simulator's pool in step. Shared by the test (facts) and `bench/image.ts` (timings).
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NitroSimulator } from '@nitrox/netscaler/testing';
import { type SwarmTestbed, waitFor } from '@nitrox/swarm/testing';
import type Dockerode from 'dockerode';
import { commandVersion, type ImageContext, writeContext } from '../../../scripts/image/context.js';
import { type BuiltImage, buildImage } from '../../../scripts/image/docker-build.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

/** The tag the test image gets: a loopback "registry" name, so a stray pull is refused at once. */
export const testImageTag = '127.0.0.1:5999/nitrox:test';
/** The ops port of the service (it shares the manager's network namespace). */
export const opsPort = 9090;
/** The NITRO credentials of the simulator and of the service's secret. */
export const nitroCredentials = { username: 'nitrox', password: 'swarm-secret-pw' } as const;

/** Write the build context into `dir` from this Node.js and this clone, and build it on `docker`. */
export async function buildTestImage(docker: Dockerode, dir: string): Promise<{ image: BuiltImage; context: ImageContext }> {
  const context = await writeContext({ repo, dir, node: process.execPath, labels: { version: await commandVersion(repo) } });
  return { image: await buildImage(docker, dir, testImageTag), context };
}

/** The `nitrox.yaml` the service runs: every swarm service labelled `nitrox.enable` feeds a pool. */
export function serviceConfig(nitroUrl: string): string {
  return [
    'log: { level: info }',
    `http: { listen: "0.0.0.0:${opsPort}" }`,
    'sources:',
    '  swarm:',
    '    type: swarm',
    '    connection: { socketPath: /var/run/docker.sock }',
    '    select: { labels: { nitrox.enable: "true" } }',
    'sinks:',
    '  adc:',
    '    type: netscaler',
    `    url: ${nitroUrl}`,
    `    username: ${nitroCredentials.username}`,
    '    passwordFrom: { file: /run/secrets/nitro-password }',
    'mappings:',
    '  - { source: swarm, app: web, sink: adc, pool: web }',
    '',
  ].join('\n');
}

/** The `nitrox` service: what a user writes to run the image on a swarm (docs/operations.md shows the CLI form). */
export async function deployNitrox(tb: SwarmTestbed, nitro: NitroSimulator, image = testImageTag): Promise<Dockerode.Service> {
  const docker = tb.manager.docker;
  const secret = (await docker.createSecret({ Name: 'nitro-password', Data: Buffer.from(nitroCredentials.password).toString('base64') })) as { id: string };
  const config = (await docker.createConfig({ Name: 'nitrox-yaml', Data: Buffer.from(serviceConfig(nitro.url)).toString('base64') })) as { id: string };
  const socketGroup = String(statSync(tb.manager.socketPath).gid);
  const readOnly = { UID: '0', GID: '0', Mode: 0o444 };
  return docker.createService({
    Name: 'nitrox',
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Args: ['run', '--config', '/etc/nitrox/nitrox.yaml'],
        // The image runs as 65532: the socket's group lets it read the Engine API (`--group-add`).
        Groups: [socketGroup],
        Mounts: [{ Type: 'bind', Source: tb.manager.socketPath, Target: '/var/run/docker.sock' }],
        Secrets: [{ File: { Name: 'nitro-password', ...readOnly }, SecretID: secret.id, SecretName: 'nitro-password' }],
        Configs: [{ File: { Name: '/etc/nitrox/nitrox.yaml', ...readOnly }, ConfigID: config.id, ConfigName: 'nitrox-yaml' }],
        StopGracePeriod: 10_000_000_000,
      },
      RestartPolicy: { Condition: 'none' },
      Placement: { Constraints: ['node.role==manager'] },
      Networks: [{ Target: 'host' }],
    },
    Mode: { Replicated: { Replicas: 1 } },
  } as Dockerode.CreateServiceOptions);
}

interface TaskInfo {
  readonly Status?: {
    readonly State?: string;
    readonly ContainerStatus?: { readonly ContainerID?: string };
    readonly PortStatus?: { readonly Ports?: readonly { readonly PublishedPort?: number }[] };
  };
  readonly DesiredState?: string;
}

/** `address:port` of every running task of `service` (host-mode published ports on the manager), sorted. */
export async function runningEndpoints(tb: SwarmTestbed, service: string): Promise<string[]> {
  const tasks = (await tb.manager.docker.listTasks({ filters: JSON.stringify({ service: [service], 'desired-state': ['running'] }) })) as TaskInfo[];
  const endpoints = tasks
    .filter((t) => t.Status?.State === 'running')
    .map((t) => `${tb.manager.address}:${t.Status?.PortStatus?.Ports?.[0]?.PublishedPort}`);
  return [...new Set(endpoints)].sort();
}

/** Wait until the simulator's pool `web` equals the running tasks of `web`, with `count` of them. */
export async function poolInStep(tb: SwarmTestbed, nitro: NitroSimulator, count: number): Promise<string[]> {
  return waitFor(
    async () => {
      const expected = await runningEndpoints(tb, 'web');
      const actual = nitro.state.members('web');
      return expected.length === count && JSON.stringify(actual) === JSON.stringify(expected) ? actual : undefined;
    },
    { timeoutMs: 60_000, what: `pool web equal to the ${count} running tasks of web (has ${nitro.state.members('web').join(', ')})` },
  );
}

/** The container of the `nitrox` service's task, once the task has one. */
export async function nitroxContainer(tb: SwarmTestbed): Promise<Dockerode.Container> {
  const id = await waitFor(
    async () => {
      const tasks = (await tb.manager.docker.listTasks({ filters: JSON.stringify({ service: ['nitrox'] }) })) as TaskInfo[];
      return tasks[0]?.Status?.ContainerStatus?.ContainerID || undefined;
    },
    { timeoutMs: 60_000, what: 'the container of the nitrox task' },
  );
  return tb.manager.docker.getContainer(id);
}

/** Stdout and stderr of a container (without a TTY the Engine multiplexes them in 8-byte-header frames). */
export async function containerOutput(container: Dockerode.Container): Promise<string> {
  const raw = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  let text = '';
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    text += raw.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  return text;
}
