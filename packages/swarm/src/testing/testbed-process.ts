/**
 * Process and host plumbing for the swarm testbed: run a command and collect its output, stop a daemon by its
 * pid file (TERM, wait, KILL), kill every process left in a cgroup, and lazily unmount everything mounted
 * under a directory. Every step here is best-effort on the tear-down path: one failure must never stop the
 * rest of the clean-up, so these helpers report what went wrong instead of throwing.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Result of {@link run}. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `file args`, never throwing; a missing binary shows as code 127. */
export function run(file: string, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 127;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (error?.message ?? '') });
    });
  });
}

/** Run `file args` and throw with its stderr when it fails. */
export async function runOrThrow(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  const result = await run(file, args, timeoutMs);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** True while a process with this pid exists and is not a zombie (dead, waiting to be reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The start time of a process (clock ticks since boot, /proc/<pid>/stat field 22); undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True while the process `pid` that started at `startTime` lives (a reused pid does not count). */
export function isSameProcessAlive(pid: number, startTime: string | undefined): boolean {
  return isAlive(pid) && (startTime === undefined || processStartTime(pid) === startTime);
}

/** Poll `predicate` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function pollUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Wait for `promise` (its failure ignored) at most `ms`; true when it settled in time. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Read a pid file; undefined when it is absent or unreadable, or when `command` is given and the process
 * with that pid is not running it (a stale file whose pid was reused must never get a process killed).
 */
export async function readPid(file: string, command?: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    if (command !== undefined && (await readFile(`/proc/${pid}/comm`, 'utf8')).trim() !== command) return undefined;
    return pid;
  } catch {
    return undefined;
  }
}

/** SIGTERM `pid`, wait up to `graceMs`, then SIGKILL and wait for it to vanish. */
export async function stopProcess(pid: number, graceMs: number): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await pollUntil(() => !isAlive(pid), graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await pollUntil(() => !isAlive(pid), 5_000);
}

/**
 * Where dockerd may place the testbed's container cgroups, all cleaned: the cgroup v1 hierarchies, the v2
 * tree of a hybrid host (`unified`) and the v2 root of a v2-only host (`''`). A missing one is skipped.
 */
const cgroupHierarchies = ['pids', 'memory', 'cpu', 'cpuacct', 'blkio', 'devices', 'freezer', 'cpuset', 'systemd', 'unified', ''];

async function cgroupDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) if (entry.isDirectory()) out.push(...(await cgroupDirs(join(root, entry.name))));
  out.push(root);
  return out;
}

/**
 * SIGKILL every process in the cgroup `name` (every hierarchy, recursively), then remove the cgroup
 * directories. Containers of a testbed dockerd live under its own `--cgroup-parent`, so this catches
 * container processes that outlived a killed daemon.
 */
export async function killCgroup(name: string): Promise<void> {
  for (const hierarchy of cgroupHierarchies) {
    const dirs = await cgroupDirs(join('/sys/fs/cgroup', hierarchy, name));
    for (const dir of dirs) {
      let procs = '';
      try {
        procs = await readFile(join(dir, 'cgroup.procs'), 'utf8');
      } catch {
        continue;
      }
      for (const line of procs.split('\n')) {
        const pid = Number.parseInt(line, 10);
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
    for (const dir of dirs) {
      await pollUntil(async () => {
        try {
          await rmdir(dir);
          return true;
        } catch (error) {
          return (error as NodeJS.ErrnoException).code === 'ENOENT';
        }
      }, 2_000);
    }
  }
}

/** Lazily unmount every mount point at or below `dir`, deepest first. */
export async function unmountUnder(dir: string): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    let mountinfo: string;
    try {
      mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    } catch {
      return;
    }
    const points = mountinfo
      .split('\n')
      .map((line) => line.split(' ')[4])
      .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(`${dir}/`)))
      .map((point) => point.replace(/\\040/g, ' '))
      .sort((a, b) => b.length - a.length);
    if (points.length === 0) return;
    for (const point of points) await run('umount', ['-l', point]);
  }
}
