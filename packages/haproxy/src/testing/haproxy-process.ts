/**
 * A real HAProxy started for a test or a benchmark: `haproxy -db` in the foreground (or master-worker with
 * `-W -S` for reloads), on loopback, with a private directory holding the configuration and the admin socket.
 * Needs the `haproxy` binary (Debian's package; `node scripts/setup.mjs` installs it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One backend of the generated configuration. */
export interface TestBackend {
  readonly name: string;
  /** `balance` algorithm. @defaultValue `'roundrobin'` */
  readonly balance?: string;
  /** Extra lines (e.g. `server-template nx 8 0.0.0.0:0 disabled`, `server admin1 127.0.0.1:9 weight 5`). */
  readonly lines?: readonly string[];
}

/** Options of {@link startHaproxy}. */
export interface StartHaproxyOptions {
  /** Backends; the first one is the frontend's default. @defaultValue one `be` with `balance roundrobin` */
  readonly backends?: readonly TestBackend[];
  /** Master-worker mode (`-W -S`), so {@link HaproxyProcess.reload} works. @defaultValue false */
  readonly masterWorker?: boolean;
  /** Put the admin socket on `ipv4@127.0.0.1:<free port>` instead of a unix socket. @defaultValue false */
  readonly tcpSocket?: boolean;
  /** `level` of the admin socket. @defaultValue `'admin'` */
  readonly level?: 'user' | 'operator' | 'admin';
  /** The haproxy binary. @defaultValue `'haproxy'` */
  readonly binary?: string;
  /**
   * Load a server-state file at every start and reload: `server-state-file <dir>/server.state` in `global`,
   * `load-server-state-from-file global` in `defaults` ({@link HaproxyProcess.stateFile} names it).
   * @defaultValue false
   */
  readonly stateFile?: boolean;
}

/** A running HAProxy. */
export interface HaproxyProcess {
  /** The admin socket: a unix socket path, or `ipv4@127.0.0.1:<port>` with `tcpSocket`. */
  readonly socket: string;
  /** Port of the HTTP frontend on 127.0.0.1. */
  readonly port: number;
  /** The configuration directory. */
  readonly dir: string;
  /** The server-state file HAProxy loads (with `stateFile: true`). */
  readonly stateFile: string | undefined;
  /** Master-worker only: reload (`kill -USR2` to the master) and wait until a new worker answers. */
  reload(): Promise<void>;
  /** Stop it and remove its directory. */
  stop(): Promise<void>;
}

/** A free port on 127.0.0.1 (bind port 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function ask(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const tcp = /^ipv4@([\d.]+):(\d+)$/.exec(socket);
    const c = tcp ? connect(Number(tcp[2]), tcp[1] as string) : connect(socket);
    let reply = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      reply += d;
    });
    c.on('error', reject);
    c.on('close', () => resolve(reply));
    c.end(`${command}\n`);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 10_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`haproxy: ${what} not within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pidOf = (info: string) => /^Pid: (\d+)$/m.exec(info)?.[1];

/** Start HAProxy with a generated configuration and wait until its admin socket answers. */
export async function startHaproxy(options: StartHaproxyOptions = {}): Promise<HaproxyProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'nitrox-haproxy-'));
  const socket = options.tcpSocket ? `ipv4@127.0.0.1:${await freePort()}` : join(dir, 'admin.sock');
  const port = await freePort();
  const backends = options.backends ?? [{ name: 'be' }];
  const stateFile = options.stateFile ? join(dir, 'server.state') : undefined;
  const config = [
    'global',
    `  stats socket ${socket}${options.tcpSocket ? '' : ' mode 600'} level ${options.level ?? 'admin'}`,
    '  stats timeout 30s',
    ...(stateFile ? [`  server-state-file ${stateFile}`] : []),
    'defaults',
    '  mode http',
    ...(stateFile ? ['  load-server-state-from-file global'] : []),
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    `  default_backend ${backends[0]?.name ?? 'be'}`,
    ...backends.flatMap((b) => [`backend ${b.name}`, `  balance ${b.balance ?? 'roundrobin'}`, ...(b.lines ?? []).map((l) => `  ${l}`)]),
    '',
  ].join('\n');
  const cfg = join(dir, 'haproxy.cfg');
  await writeFile(cfg, config);
  const master = join(dir, 'master.sock');
  const args = options.masterWorker ? ['-W', '-db', '-S', `${master},mode,600`, '-f', cfg] : ['-db', '-f', cfg];
  const child: ChildProcess = spawn(options.binary ?? 'haproxy', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await until('admin socket', async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
      return pidOf(await ask(socket, 'show info'));
    });
    // The master handles USR2 only once its own loop runs; its CLI answering `show proc` shows that.
    if (options.masterWorker) await until('master CLI', async () => ((await ask(master, 'show proc')).includes('worker') ? true : undefined));
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    socket,
    port,
    dir,
    stateFile,
    async reload() {
      if (!options.masterWorker || child.pid === undefined) throw new Error('reload needs masterWorker: true');
      const before = pidOf(await ask(socket, 'show info'));
      const masterPid = child.pid;
      process.kill(masterPid, 'SIGUSR2');
      let sentAt = Date.now();
      await until('a new worker', async () => {
        // A signal that arrived while the master was busy can be lost: send it again.
        if (Date.now() - sentAt > 2_000) {
          process.kill(masterPid, 'SIGUSR2');
          sentAt = Date.now();
        }
        const worker = pidOf(await ask(socket, 'show info'));
        return worker !== undefined && worker !== before ? worker : undefined;
      }).catch((err: Error) => {
        throw new Error(`${err.message}\n${stderr}`);
      });
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
