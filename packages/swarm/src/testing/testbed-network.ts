/**
 * The testbed's private network: a hub namespace holding a bridge, one veth from
 * the host into the hub (the host side gets `10.200.<n>.1/24`), and one namespace per swarm node at
 * `10.200.<n>.<k+1>` with a veth into the hub bridge. There is no default route anywhere inside, so nothing
 * a dockerd does can leave the machine. `<n>` is claimed with an atomic `mkdir` so that testbeds started
 * by parallel test files never share a subnet; every name carries the testbed id, so they never collide.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { run, runOrThrow } from './testbed-process.js';

/** Names and addresses of one testbed network. */
export interface TestbedNetworkPlan {
  /** Hub namespace (holds the bridge). */
  readonly hub: string;
  /** Host-side veth interface. */
  readonly hostVeth: string;
  /** Third octet of the subnet `10.200.<subnet>.0/24`. */
  readonly subnet: number;
  /** One namespace name per node. */
  readonly nodes: readonly string[];
}

/** The address of node `index` (0-based) on a plan's subnet. */
export function nodeAddress(plan: TestbedNetworkPlan, index: number): string {
  return `10.200.${plan.subnet}.${index + 2}`;
}

/** The host's address on a plan's subnet. */
export function hostAddress(plan: TestbedNetworkPlan): string {
  return `10.200.${plan.subnet}.1`;
}

/**
 * Claim a free subnet number below `root` for testbed `id` (a lock directory `net-<n>` per claim). A subnet
 * the host already routes (an interface nobody cleaned, another tool) is skipped, never shared.
 */
export async function claimSubnet(root: string, id: string): Promise<number> {
  for (let n = 1; n < 250; n++) {
    try {
      await mkdir(join(root, `net-${n}`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      continue;
    }
    const routes = await run('ip', ['-4', 'route', 'show', 'root', `10.200.${n}.0/24`]);
    if (routes.code === 0 && routes.stdout.trim() === '') {
      await writeFile(join(root, `net-${n}`, 'testbed'), id);
      return n;
    }
    await rm(join(root, `net-${n}`), { recursive: true, force: true });
  }
  throw new Error('no free testbed subnet (10.200.1-249.0/24 are all claimed)');
}

/** Release claims whose testbed directory is gone (a run that crashed while tearing down). */
export async function releaseOrphanSubnets(root: string): Promise<void> {
  for (const entry of await readdir(root)) {
    if (!entry.startsWith('net-')) continue;
    const claim = join(root, entry);
    const id = await readFile(join(claim, 'testbed'), 'utf8').catch(() => undefined);
    const young = Date.now() - (await stat(claim).catch(() => ({ mtimeMs: 0 }))).mtimeMs < 60_000;
    if (id === undefined ? young : existsSync(join(root, `tb-${id}`))) continue;
    await rm(claim, { recursive: true, force: true });
  }
}

/** Release a subnet claimed with {@link claimSubnet}. */
export async function releaseSubnet(root: string, subnet: number): Promise<void> {
  await rm(join(root, `net-${subnet}`), { recursive: true, force: true });
}

/** Plan the names for testbed `id` with `nodeCount` nodes on `subnet`. */
export function planNetwork(id: string, subnet: number, nodeCount: number): TestbedNetworkPlan {
  return {
    hub: `nxsw-${id}-hub`,
    hostVeth: `nxsw${id}`,
    subnet,
    nodes: Array.from({ length: nodeCount }, (_, k) => `nxsw-${id}-n${k + 1}`),
  };
}

/** Create the namespaces, bridge and veths of `plan`. */
export async function createNetwork(plan: TestbedNetworkPlan): Promise<void> {
  const ip = (...args: string[]): Promise<string> => runOrThrow('ip', args);
  await ip('netns', 'add', plan.hub);
  await ip('-n', plan.hub, 'link', 'add', 'br0', 'type', 'bridge');
  await ip('-n', plan.hub, 'link', 'set', 'br0', 'up');
  await ip('-n', plan.hub, 'link', 'set', 'lo', 'up');
  await ip('link', 'add', plan.hostVeth, 'type', 'veth', 'peer', 'name', 'h0', 'netns', plan.hub);
  await ip('-n', plan.hub, 'link', 'set', 'h0', 'master', 'br0', 'up');
  await ip('addr', 'add', `${hostAddress(plan)}/24`, 'dev', plan.hostVeth);
  await ip('link', 'set', plan.hostVeth, 'up');
  for (const [k, ns] of plan.nodes.entries()) {
    await ip('netns', 'add', ns);
    await ip('-n', plan.hub, 'link', 'add', `p${k + 1}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await ip('-n', plan.hub, 'link', 'set', `p${k + 1}`, 'master', 'br0', 'up');
    await ip('-n', ns, 'addr', 'add', `${nodeAddress(plan, k)}/24`, 'dev', 'eth0');
    await ip('-n', ns, 'link', 'set', 'eth0', 'up');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
}

/** Delete everything {@link createNetwork} made; missing pieces are ignored. */
export async function deleteNetwork(plan: TestbedNetworkPlan): Promise<void> {
  for (const ns of plan.nodes) await run('ip', ['netns', 'delete', ns]);
  await run('ip', ['netns', 'delete', plan.hub]);
  await run('ip', ['link', 'delete', plan.hostVeth]);
}

/** libnetwork keeps each overlay load balancer's `hosts` and `resolv.conf` here, whatever `--data-root` says. */
const loadBalancerFiles = '/var/lib/docker/network/files';

/** IDs of the overlay networks a daemon knows (none when it does not answer within `timeoutMs`). */
export async function overlayNetworkIds(docker: Dockerode, timeoutMs = 5_000): Promise<string[]> {
  const ids = docker.listNetworks({ filters: { driver: ['overlay'] } }).then(
    (networks) => networks.map((n) => n.Id),
    () => [],
  );
  return Promise.race([ids, delay(timeoutMs, [] as string[], { ref: false })]);
}

/** Remove the load balancer files libnetwork left on the host for these overlay networks. */
export async function removeLoadBalancerFiles(networkIds: Iterable<string>): Promise<void> {
  for (const id of new Set(networkIds)) {
    if (/^[a-z0-9]+$/.test(id)) await rm(join(loadBalancerFiles, `lb_${id}`), { recursive: true, force: true });
  }
}
