/**
 * The agents example as processes: one orchestrator, three agents each converging its own directory, through
 * live changes and an orchestrator crash and restart on the same port (with changes made while it was down).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@nitrox/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

const children: ChildProcess[] = [];
const root = mkdtempSync(join(tmpdir(), 'nitrox-agents-'));

function start(script: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--conditions=@nitrox/source', '--import', 'tsx', join(__dirname, script), ...args], {
    cwd: __dirname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  children.push(child);
  return { child, output: () => output };
}

async function orchestrator(state: string, port = '0'): Promise<{ child: ChildProcess; url: string }> {
  const { child, output } = start('orchestrator.ts', [state, port]);
  const url = await waitFor(() => /serving (\S+)/.exec(output())?.[1], { timeoutMs: 30_000, what: 'the orchestrator to listen' });
  return { child, url };
}

function directory(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('examples/agents', () => {
  it('agents converge their directories, through live changes and an orchestrator restart', async () => {
    const state = join(root, 'state.json');
    let desired: Record<string, string> = { 'a.txt': 'A', 'b.txt': 'B' };
    writeFileSync(state, JSON.stringify(desired));
    let server = await orchestrator(state);
    const port = new URL(server.url).port;
    const dirs = [1, 2, 3].map((n) => join(root, `agent-${n}`));
    for (const dir of dirs) start('agent.ts', [server.url, dir]);
    const converged = (what: string) =>
      waitFor(() => dirs.every((dir) => JSON.stringify(directory(dir)) === JSON.stringify(desired)) || undefined, { timeoutMs: 30_000, what });

    await converged('the initial state');
    desired = { 'a.txt': 'A2', 'c.txt': 'C' };
    writeFileSync(state, JSON.stringify(desired));
    await converged('a live change');

    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    desired = { 'a.txt': 'A3', 'c.txt': 'C', 'd.txt': 'D' };
    writeFileSync(state, JSON.stringify(desired));
    server = await orchestrator(state, port);
    await converged('after the orchestrator restart');
    expect(directory(dirs[0] as string)).toEqual(desired);
  });
});
