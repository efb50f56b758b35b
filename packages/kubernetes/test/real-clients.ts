/**
 * Helpers for the tests that drive the simulator with real clients (kubectl, the official Python client): find
 * them or fail with the command that installs them (never skip), run them, and read their output line by line.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Python interpreter that has Debian's python3-kubernetes (not a pyenv one). */
export const python = '/usr/bin/python3';

/** Throw, with the install command, when a client the test needs is missing. */
export async function requireClient(which: 'kubectl' | 'python3-kubernetes'): Promise<void> {
  if (which === 'kubectl') {
    if (existsSync('/usr/bin/kubectl') || existsSync('/usr/local/bin/kubectl')) return;
    throw new Error('kubectl is missing: run `npm run setup` as root (apt-get install -y kubernetes-client)');
  }
  try {
    await run(python, ['-c', 'import kubernetes']);
  } catch {
    throw new Error('the Python client is missing: run `npm run setup` as root (apt-get install -y python3-kubernetes)');
  }
}

/** Run a command; resolves with its exit code and output (never rejects on a non-zero exit). */
export async function runClient(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A running client whose stdout lines are collected as they come. */
export interface LineProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

/** Start a long-running client and collect its stdout lines. */
export function startClient(command: string, args: string[], env: Record<string, string> = {}): LineProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffer = '';
  let errors = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    errors += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, stderr: () => errors, exited };
}
