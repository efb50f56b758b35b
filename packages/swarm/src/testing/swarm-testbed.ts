/**
 * A real Docker Swarm for tests, started from nothing and torn down completely. Its recipe (see docs/swarm.md):
 * private network namespaces (see testbed-network.ts), one dockerd per node entered with `nsenter` +
 * `unshare --uts` (never `ip netns exec`, which remounts /sys and kills dockerd), the swarm agent told to
 * prefer offline images, a busybox image imported under a loopback registry name, services created with
 * `--init` semantics and no image resolution. Nothing can reach an outside registry. Every resource is
 * recorded in `state.json` as it is made, so {@link SwarmTestbed.stop} (and the start of the next run, for
 * a run that crashed) can remove exactly what exists: services, swarm, daemons, container processes,
 * mounts, namespaces, veths, files. Needs root, dockerd, busybox-static and iproute2 (`scripts/setup.mjs`).
 */
import { httpServiceSpec, scaleWithRetry, type TestServiceOptions } from './testbed-service.js';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { buildRootfs, importImage, testbedImage } from './testbed-image.js';
import {
  claimSubnet,
  createNetwork,
  deleteNetwork,
  hostAddress,
  nodeAddress,
  overlayNetworkIds,
  planNetwork,
  releaseOrphanSubnets,
  releaseSubnet,
  removeLoadBalancerFiles,
  type TestbedNetworkPlan,
} from './testbed-network.js';
import { isSameProcessAlive, killCgroup, pollUntil, processStartTime, readPid, run, settlesWithin, stopProcess, unmountUnder } from './testbed-process.js';

/** Options of {@link SwarmTestbed.start}. */
export interface SwarmTestbedOptions {
  /** Number of nodes: the first is the manager, the others join as workers. @defaultValue 1 */
  readonly nodes?: number;
  /** Directory holding every testbed's files. @defaultValue `<os.tmpdir()>/nitrox-swarm-testbed` */
  readonly root?: string;
  /** Progress lines (start-up and tear-down steps). @defaultValue ignore */
  readonly log?: (line: string) => void;
}

/** One dockerd of the testbed. */
export interface TestbedNode {
  /** Host name of the node (also its swarm node name). */
  readonly name: string;
  /** The node's address on the testbed network, reachable from the host. */
  readonly address: string;
  /** Path of the dockerd API socket. */
  readonly socketPath: string;
  /** The node's network namespace (under /run/netns). */
  readonly netns: string;
  /** A client for this node's Engine API (API 1.41). */
  readonly docker: Dockerode;
}


interface TestbedState {
  owner: number;
  /** The owner's start time: a pid reused after a crash must not keep the leftovers alive. */
  ownerStart?: string;
  subnet?: number;
  plan?: TestbedNetworkPlan;
  nodes: { dir: string; cgroup: string }[];
}

const defaultRoot = join(tmpdir(), 'nitrox-swarm-testbed');

/** A running testbed swarm. Create with {@link SwarmTestbed.start}; always {@link SwarmTestbed.stop} it. */
export class SwarmTestbed {
  /** The nodes; `nodes[0]` is the manager. */
  readonly nodes: readonly TestbedNode[];
  /** The image every node holds. */
  readonly image = testbedImage;
  readonly #dir: string;
  readonly #root: string;
  readonly #state: TestbedState;
  readonly #log: (line: string) => void;
  #stopped = false;

  private constructor(dir: string, root: string, state: TestbedState, nodes: TestbedNode[], log: (line: string) => void) {
    this.#dir = dir;
    this.#root = root;
    this.#state = state;
    this.nodes = nodes;
    this.#log = log;
  }

  /** The directory holding this testbed's files (daemon data, logs, state.json). */
  get directory(): string {
    return this.#dir;
  }

  /**
   * The host's own address on the testbed network: what a container reaches the test process at (a peer the
   * test runs, listening on this address).
   */
  get hostAddress(): string {
    if (this.#state.plan === undefined) throw new Error('the testbed network is not up');
    return hostAddress(this.#state.plan);
  }

  /** The manager node. */
  get manager(): TestbedNode {
    return this.nodes[0] as TestbedNode;
  }

  /**
   * Clean leftovers of crashed runs, then build the network, start the daemons, import the image and form
   * the swarm. On any failure everything made so far is removed before the error is rethrown.
   */
  static async start(options: SwarmTestbedOptions = {}): Promise<SwarmTestbed> {
    const count = options.nodes ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 9) throw new RangeError('nodes: expected an integer from 1 to 9');
    const root = options.root ?? defaultRoot;
    const log = options.log ?? (() => {});
    await mkdir(root, { recursive: true });
    await cleanLeftovers(root, log);
    const id = randomBytes(3).toString('hex').slice(0, 5);
    const dir = join(root, `tb-${id}`);
    await mkdir(dir, { recursive: true });
    const ownerStart = processStartTime(process.pid);
    const state: TestbedState = { owner: process.pid, ...(ownerStart === undefined ? {} : { ownerStart }), nodes: [] };
    const save = (): Promise<void> => writeFile(join(dir, 'state.json'), JSON.stringify(state));
    await save();
    const nodes: TestbedNode[] = [];
    const testbed = new SwarmTestbed(dir, root, state, nodes, log);
    try {
      state.subnet = await claimSubnet(root, id);
      const plan = planNetwork(id, state.subnet, count);
      state.plan = plan;
      await save();
      await createNetwork(plan);
      log(`network ${plan.hub} 10.200.${plan.subnet}.0/24 ready`);
      const rootfs = join(dir, 'rootfs');
      await buildRootfs(rootfs);
      for (let k = 0; k < count; k++) {
        const nodeDir = join(dir, `n${k + 1}`);
        state.nodes.push({ dir: nodeDir, cgroup: `nxsw-${id}-n${k + 1}` });
        await save();
      }
      nodes.push(
        ...(await Promise.all(
          plan.nodes.map((ns, k) => startDaemon(ns, `node${k + 1}`, nodeAddress(plan, k), state.nodes[k] as TestbedState['nodes'][number])),
        )),
      );
      log(`${count} dockerd(s) answering`);
      await Promise.all(nodes.map((node) => importImage(node.docker, rootfs)));
      await testbed.#formSwarm();
      log('swarm formed');
      return testbed;
    } catch (error) {
      await testbed.stop();
      throw error;
    }
  }

  async #formSwarm(): Promise<void> {
    const manager = this.manager;
    await manager.docker.swarmInit({
      AdvertiseAddr: manager.address,
      ListenAddr: `${manager.address}:2377`,
      // Keep task history short: smaller /tasks answers, faster tests.
      Spec: { Orchestration: { TaskHistoryRetentionLimit: 1 } },
    });
    const info = (await manager.docker.swarmInspect()) as { JoinTokens: { Worker: string } };
    for (const worker of this.nodes.slice(1)) {
      await worker.docker.swarmJoin({
        AdvertiseAddr: worker.address,
        ListenAddr: `${worker.address}:2377`,
        RemoteAddrs: [`${manager.address}:2377`],
        JoinToken: info.JoinTokens.Worker,
      });
    }
    const ready = await pollUntil(async () => {
      const nodes = (await manager.docker.listNodes()) as { Status?: { State?: string } }[];
      return nodes.length === this.nodes.length && nodes.every((n) => n.Status?.State === 'ready');
    }, 30_000);
    if (!ready) throw new Error('swarm nodes did not become ready within 30 s');
  }

  /** Find a node by name. */
  node(name: string): TestbedNode {
    const node = this.nodes.find((n) => n.name === name);
    if (node === undefined) throw new Error(`no testbed node named ${name}`);
    return node;
  }

  /**
   * Create a service running busybox httpd that serves its own host name (`<service>-<slot>`) at `/`.
   * Returns the service ID.
   */
  async createHttpService(options: TestServiceOptions): Promise<string> {
    const spec = httpServiceSpec(this.image, options);
    // API >= 1.30 never resolves the image against a registry on create (the CLI's --no-resolve-image).
    const service = (await this.manager.docker.createService(spec as unknown as Dockerode.CreateServiceOptions)) as { id?: string; ID?: string };
    return (service.id ?? service.ID) as string;
  }

  /** Set a replicated service's replica count through the Engine API (`docker service scale`). */
  async scaleService(name: string, replicas: number): Promise<void> {
    await scaleWithRetry(this.manager.docker.getService(name), replicas);
  }

  /** Set a node's availability (`docker node update --availability`). */
  async setAvailability(nodeName: string, availability: 'active' | 'pause' | 'drain'): Promise<void> {
    const list = (await this.manager.docker.listNodes()) as unknown as {
      ID: string;
      Description?: { Hostname?: string };
      Version: { Index: number };
      Spec: Record<string, unknown>;
    }[];
    const target = list.find((n) => n.Description?.Hostname === nodeName);
    if (target === undefined) throw new Error(`swarm has no node ${nodeName}`);
    await this.manager.docker.getNode(target.ID).update({ ...target.Spec, version: target.Version.Index, Availability: availability });
  }

  /**
   * Stop node `name`'s dockerd (SIGTERM; its containers stop with it), leave it down `downMs`, and start it
   * again on the same data: a daemon restart as an operator or a package upgrade does it.
   */
  async restartDaemon(name: string, downMs: number): Promise<void> {
    const k = this.nodes.findIndex((n) => n.name === name);
    const node = this.#state.nodes[k];
    const ns = this.#state.plan?.nodes[k];
    if (k < 0 || node === undefined || ns === undefined) throw new Error(`no testbed node named ${name}`);
    const pid = await readPid(join(node.dir, 'dockerd.pid'), 'dockerd');
    if (pid !== undefined) await stopProcess(pid, 15_000);
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await startDaemon(ns, name, (this.nodes[k] as TestbedNode).address, node);
  }

  /** Remove a service if it exists. */
  async removeService(name: string): Promise<void> {
    try {
      await this.manager.docker.getService(name).remove();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }

  /** Tear everything down; safe to call twice and after a failed start. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const overlays = (await Promise.all(this.nodes.map((node) => overlayNetworkIds(node.docker)))).flat();
    // A daemon that is gone or hung must not hold up the tear-down: the kill below covers it.
    await Promise.all(this.nodes.map((node) => settlesWithin(node.docker.swarmLeave({ force: true }), 10_000)));
    await destroy(this.#dir, this.#root, this.#state, this.#log);
    await removeLoadBalancerFiles(overlays);
  }
}

async function startDaemon(ns: string, name: string, address: string, node: { dir: string; cgroup: string }): Promise<TestbedNode> {
  const dataRoot = join(node.dir, 'data');
  const execRoot = join(node.dir, 'exec');
  await mkdir(dataRoot, { recursive: true });
  await mkdir(execRoot, { recursive: true });
  const socketPath = join(dataRoot, 'docker.sock');
  // overlay2 cannot stack on an overlayfs data directory (a container's own root): use vfs there.
  const fsType = (await run('stat', ['-f', '-c', '%T', dataRoot])).stdout.trim();
  const flags = [
    `--storage-driver=${fsType === 'overlayfs' ? 'vfs' : 'overlay2'}`,
    `--data-root=${dataRoot}`,
    `--exec-root=${execRoot}`,
    `-H unix://${socketPath}`,
    `-p ${join(node.dir, 'dockerd.pid')}`,
    `--cgroup-parent=/${node.cgroup}`,
    '--shutdown-timeout=1',
    '--log-level=warn',
  ].join(' ');
  const log = openSync(join(node.dir, 'dockerd.log'), 'a');
  const child = spawn('nsenter', [`--net=/run/netns/${ns}`, 'unshare', '--uts', 'sh', '-c', `hostname ${name}; exec dockerd ${flags}`], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1', PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH ?? ''}` },
  });
  child.unref();
  closeSync(log);
  const docker = new Dockerode({ socketPath, version: 'v1.41' });
  const up = await pollUntil(async () => {
    if (child.exitCode !== null) return true;
    try {
      await docker.ping();
      return true;
    } catch {
      return false;
    }
  }, 30_000);
  if (!up || child.exitCode !== null) {
    const tail = await readFile(join(node.dir, 'dockerd.log'), 'utf8').catch(() => '');
    throw new Error(`dockerd ${name} did not start: ${tail.slice(-1500)}`);
  }
  return { name, address, socketPath, netns: ns, docker };
}

/** Remove a testbed: gracefully (daemons get SIGTERM first) or, for a crashed run's leftovers, at once. */
async function destroy(dir: string, root: string, state: TestbedState, log: (line: string) => void, graceful = true): Promise<void> {
  await Promise.all(
    state.nodes.map(async (node) => {
      const pid = await readPid(join(node.dir, 'dockerd.pid'), 'dockerd');
      if (pid !== undefined) await stopProcess(pid, graceful ? 8_000 : 0);
      const containerd = await readPid(join(node.dir, 'exec', 'containerd', 'containerd.pid'), 'containerd');
      if (containerd !== undefined) await stopProcess(containerd, graceful ? 2_000 : 0);
      await killCgroup(node.cgroup); // container processes
    }),
  );
  // Whatever still lives in a node namespace (shims, docker-proxy, a daemon without pid file).
  for (const ns of state.plan?.nodes ?? []) {
    const { stdout } = await run('ip', ['netns', 'pids', ns]);
    for (const pid of stdout.split('\n').map(Number).filter((p) => p > 0 && p !== process.pid)) await stopProcess(pid, 0);
  }
  await unmountUnder(dir);
  if (state.plan !== undefined) await deleteNetwork(state.plan);
  // libnetwork creates sandbox namespaces from re-exec'd helpers that can outlive a killed daemon by a
  // moment and leave a fresh nsfs mount behind: unmount again and retry until the directory is gone.
  for (let attempt = 1; ; attempt++) {
    try {
      await rm(dir, { recursive: true, force: true });
      break;
    } catch (error) {
      if (attempt === 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      await unmountUnder(dir);
    }
  }
  if (state.subnet !== undefined) await releaseSubnet(root, state.subnet);
  log(`testbed ${dir} removed`);
}

/** Remove testbeds whose owning process is gone (a crashed or killed earlier run). */
async function cleanLeftovers(root: string, log: (line: string) => void): Promise<void> {
  for (const entry of await readdir(root)) {
    if (!entry.startsWith('tb-')) continue;
    const dir = join(root, entry);
    let state: TestbedState;
    try {
      state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as TestbedState;
    } catch {
      // No state yet: maybe another process is creating it right now; only old ones are leftovers.
      const age = Date.now() - (await stat(dir).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
      if (age < 300_000) continue;
      state = { owner: 0, nodes: [] };
    }
    if (state.owner > 0 && isSameProcessAlive(state.owner, state.ownerStart)) continue;
    log(`removing leftover testbed ${dir}`);
    try {
      await destroy(dir, root, state, log, false);
    } catch (error) {
      // Its names and subnet are its own (the claim stays until it is gone): a new testbed can still start.
      log(`leftover testbed ${dir} not fully removed: ${(error as Error).message}`);
    }
  }
  await releaseOrphanSubnets(root);
}
