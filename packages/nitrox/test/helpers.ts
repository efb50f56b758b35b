/**
 * Helpers of the end-to-end tests: spawn the `nitrox` command from source exactly as a user of the repository
 * would (node + tsx, the `@nitrox/source` condition), collect its output, and wait for conditions with a
 * generous deadline instead of sleeping. Nothing here can hang a test run: every wait has a deadline, a
 * process that outlives its deadline is killed (SIGKILL) and the failure carries its output, and
 * {@link killAll} (called from each file's `afterAll`) kills whatever a failed test left running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

/** Every process spawned and not yet seen to exit, so a failed test never leaves one running. */
const live = new Set<ChildProcess>();

/** A running `nitrox` process. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
}

/** Spawn `nitrox <args>` with `env` added to the environment. */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--conditions=@nitrox/source', '--import', 'tsx', bin, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (e) => {
      live.delete(child);
      resolve(`spawn failed: ${e.message}`);
    });
    // 'close', not 'exit': the output is complete once the pipes have closed.
    child.on('close', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * Wait for `p` to exit; after `timeoutMs` kill it (SIGKILL) and throw with the tail of its output.
 *
 * @defaultValue timeoutMs 30 s
 */
export async function exitWithin(p: CliProcess, timeoutMs = 30_000): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  try {
    const result = await Promise.race([p.exited, late]);
    if (result !== 'late') return result;
  } finally {
    clearTimeout(timer);
  }
  p.child.kill('SIGKILL');
  await p.exited;
  throw new Error(`nitrox did not exit within ${timeoutMs} ms (killed)\n--- stdout\n${p.stdout().slice(-3000)}\n--- stderr\n${p.stderr().slice(-3000)}`);
}

/** Run `nitrox <args>` to completion, killing it after `timeoutMs` (then this throws). @defaultValue 45 s */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 45_000,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnCli(args, env);
  const code = await exitWithin(p, timeoutMs);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Kill (SIGKILL) every spawned process still running and wait for each to be gone. For `afterAll`. */
export async function killAll(): Promise<void> {
  const children = [...live];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            live.delete(child);
            resolve();
            return;
          }
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/**
 * Poll `check` until it returns a truthy value; fail with `what` after `timeoutMs`. A check that never settles
 * (a request to a stuck server) cannot stall it: each check is raced against the time left.
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 40_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    try {
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('check did not settle')), Math.max(deadline - Date.now(), 1_000));
      });
      const value = await Promise.race([Promise.resolve().then(check), stuck]);
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    } finally {
      clearTimeout(timer);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** JSON log lines of a process's output (complete lines only: the process may be mid-write). */
export function logLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .slice(0, -1)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The value of an unlabelled metric `name` on the /metrics of a running CLI (its ops address from its log). */
export async function metric(p: CliProcess, name: string): Promise<number | undefined> {
  const address = logLines(p.stdout()).find((l) => l.address)?.address;
  if (!address) return undefined;
  const text = await (await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}
