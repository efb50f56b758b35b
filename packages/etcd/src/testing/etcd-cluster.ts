/**
 * A real etcd cluster on loopback for tests: one or more `etcd` processes (Debian `etcd-server`, installed by
 * `scripts/setup.mjs`) with fast raft timers, free ports and their own data directories, torn down completely.
 * Members can be killed (SIGKILL), paused (SIGSTOP, a stand-in for a network partition: the member neither
 * answers nor votes) and restarted from their data directory. Leader and compaction go through etcd's own JSON
 * gateway (`/v3/maintenance/status`, `/v3/kv/compaction`), so no second client is needed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options of {@link EtcdCluster.start}. */
export interface EtcdClusterOptions {
  /** Number of members. @defaultValue 1 */
  members?: number;
  /** Interval of the server's watch progress notifications (bookmarks), in ms. @defaultValue 500 */
  progressNotifyMs?: number;
  /** The `etcd` binary. @defaultValue 'etcd' */
  binary?: string;
  /** Longest wait for the cluster to become healthy, in ms. @defaultValue 20_000 */
  startTimeoutMs?: number;
}

/** One member of an {@link EtcdCluster}. */
export interface EtcdMember {
  /** Member name (`m1`, `m2`, …). */
  readonly name: string;
  /** Client URL, `http://127.0.0.1:<port>`. */
  readonly clientUrl: string;
  /** Peer URL. */
  readonly peerUrl: string;
  /** Data directory. */
  readonly dataDir: string;
}

interface Running extends EtcdMember {
  process: ChildProcess | undefined;
  stderr: string;
}

/** Ask the kernel for a free loopback port (bind port 0, read it, close; keep the race window small). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A real etcd cluster started for a test. */
export class EtcdCluster {
  readonly #members: Running[];
  readonly #root: string;
  readonly #options: Required<EtcdClusterOptions>;
  readonly #token: string;

  private constructor(members: Running[], root: string, options: Required<EtcdClusterOptions>, token: string) {
    this.#members = members;
    this.#root = root;
    this.#options = options;
    this.#token = token;
  }

  /** Start a cluster and wait until every member is healthy. */
  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const resolved: Required<EtcdClusterOptions> = {
      members: options.members ?? 1,
      progressNotifyMs: options.progressNotifyMs ?? 500,
      binary: options.binary ?? 'etcd',
      startTimeoutMs: options.startTimeoutMs ?? 20_000,
    };
    const root = mkdtempSync(join(tmpdir(), 'nitrox-etcd-'));
    const members: Running[] = [];
    for (let i = 1; i <= resolved.members; i++) {
      const [client, peer] = [await freePort(), await freePort()];
      members.push({
        name: `m${i}`,
        clientUrl: `http://127.0.0.1:${client}`,
        peerUrl: `http://127.0.0.1:${peer}`,
        dataDir: join(root, `m${i}`),
        process: undefined,
        stderr: '',
      });
    }
    const cluster = new EtcdCluster(members, root, resolved, `nitrox-${process.pid}-${Date.now()}`);
    try {
      for (let i = 0; i < members.length; i++) cluster.#spawn(i, 'new');
      await Promise.all(members.map((_, i) => cluster.waitHealthy(i)));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Client URLs of every member. */
  get endpoints(): string[] {
    return this.#members.map((m) => m.clientUrl);
  }

  /** The members, in order. */
  get members(): readonly EtcdMember[] {
    return this.#members;
  }

  #spawn(i: number, state: 'new' | 'existing'): void {
    const m = this.#members[i] as Running;
    const cluster = this.#members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const child = spawn(
      this.#options.binary,
      [
        `--name=${m.name}`,
        `--data-dir=${m.dataDir}`,
        `--listen-client-urls=${m.clientUrl}`,
        `--advertise-client-urls=${m.clientUrl}`,
        `--listen-peer-urls=${m.peerUrl}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
        `--initial-cluster=${cluster}`,
        `--initial-cluster-token=${this.#token}`,
        `--initial-cluster-state=${state}`,
        '--heartbeat-interval=10',
        '--election-timeout=100',
        `--experimental-watch-progress-notify-interval=${this.#options.progressNotifyMs}ms`,
        '--logger=zap',
        '--log-outputs=stderr',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    m.stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      m.stderr = (m.stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', (err) => {
      m.stderr += String(err);
    });
    m.process = child;
  }

  /** Wait until member `i` answers `/health` with `true`. */
  async waitHealthy(i: number): Promise<void> {
    const m = this.#members[i] as Running;
    const deadline = Date.now() + this.#options.startTimeoutMs;
    for (;;) {
      if (m.process?.exitCode != null) throw new Error(`etcd ${m.name} exited: ${m.stderr}`);
      try {
        const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(500) });
        const body = (await res.json()) as { health?: string };
        if (body.health === 'true') return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`etcd ${m.name} not healthy after ${this.#options.startTimeoutMs} ms: ${m.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Index of the member that leads the raft group, asked of the first member that answers. */
  async leader(): Promise<number> {
    for (const m of this.#members) {
      if (m.process === undefined) continue;
      try {
        const status = (await this.#post(m.clientUrl, '/v3/maintenance/status', {})) as { leader?: string };
        const ids = await this.#memberIds(m.clientUrl);
        const name = ids.get(String(status.leader));
        const index = this.#members.findIndex((x) => x.name === name);
        if (index >= 0) return index;
      } catch {
        // try the next member
      }
    }
    throw new Error('no etcd member reports a leader');
  }

  async #memberIds(url: string): Promise<Map<string, string>> {
    const list = (await this.#post(url, '/v3/cluster/member/list', {})) as { members?: { ID: string; name: string }[] };
    return new Map((list.members ?? []).map((x) => [String(x.ID), x.name]));
  }

  /** Compact the history up to `revision` (physically), through the first member that answers. */
  async compact(revision: number | string): Promise<void> {
    let last: unknown;
    for (const m of this.#members) {
      if (m.process === undefined) continue;
      try {
        await this.#post(m.clientUrl, '/v3/kv/compaction', { revision: String(revision), physical: true });
        return;
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  async #post(url: string, path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(2000) });
    const json: unknown = await res.json();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** SIGKILL member `i` and wait for it to exit. */
  async kill(i: number): Promise<void> {
    const m = this.#members[i] as Running;
    const child = m.process;
    m.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Freeze member `i` (SIGSTOP): it neither answers clients nor takes part in raft, like a partitioned node. */
  pause(i: number): void {
    this.#members[i]?.process?.kill('SIGSTOP');
  }

  /** Let a paused member go on (SIGCONT). */
  resume(i: number): void {
    this.#members[i]?.process?.kill('SIGCONT');
  }

  /** Start a killed member again from its data directory and wait until it is healthy. */
  async restart(i: number): Promise<void> {
    this.#spawn(i, 'existing');
    await this.waitHealthy(i);
  }

  /** Kill every member and delete the data directories. */
  async stop(): Promise<void> {
    for (let i = 0; i < this.#members.length; i++) {
      this.resume(i);
      await this.kill(i);
    }
    rmSync(this.#root, { recursive: true, force: true });
  }
}
