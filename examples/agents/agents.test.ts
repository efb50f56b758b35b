/**
 * The agents example as processes: one orchestrator, three agents each converging its own directory (reaching it
 * through a TCP proxy that can cut the network), through live changes, a network cut with changes made during it,
 * and an orchestrator crash and restart on the same port (with changes made while it was down).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@nitrox/core/testing';
import { HttpListWatch } from '@nitrox/http';
import { afterAll, describe, expect, it } from 'vitest';
import { LossyProxy } from '../lossy-proxy.js';

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

const proxies: LossyProxy[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const proxy of proxies) await proxy.close();
  rmSync(root, { recursive: true, force: true });
});

describe('examples/agents', () => {
  it('agents converge their directories, through live changes, a network cut and an orchestrator restart', async () => {
    const state = join(root, 'state.json');
    let desired: Record<string, string> = { 'a.txt': 'A', 'b.txt': 'B' };
    writeFileSync(state, JSON.stringify(desired));
    let server = await orchestrator(state);
    const port = new URL(server.url).port;
    // The agents reach the orchestrator through a proxy that can cut the network (and adds no other fault).
    const proxy = new LossyProxy({ target: () => Number(port) });
    proxies.push(proxy);
    await proxy.listen();
    const url = `http://127.0.0.1:${proxy.port}/files`;
    const dirs = [1, 2, 3].map((n) => join(root, `agent-${n}`));
    for (const dir of dirs) start('agent.ts', [url, dir]);
    const converged = (what: string) =>
      waitFor(() => dirs.every((dir) => JSON.stringify(directory(dir)) === JSON.stringify(desired)) || undefined, { timeoutMs: 30_000, what });

    await converged('the initial state');
    // The orchestrator's /metrics (prom-client over handler.stats): one open watch per agent, their lists counted.
    const scrape = async () => (await fetch(new URL('/metrics', server.url))).text();
    const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
    const scraped = await waitFor(async () => {
      const text = await scrape();
      return metric(text, 'nitrox_http_watches_open') === dirs.length ? text : undefined;
    }, { what: `nitrox_http_watches_open ${dirs.length}` });
    expect(metric(scraped, 'nitrox_http_list_pages_total')).toBeGreaterThanOrEqual(dirs.length);
    expect(scraped).toMatch(/^nitrox_http_refused_total\{reason="unauthorized"\} 0$/m);
    desired = { 'a.txt': 'A2', 'c.txt': 'C' };
    writeFileSync(state, JSON.stringify(desired));
    await converged('a live change');

    proxy.cut();
    desired = { 'a.txt': 'A2', 'c.txt': 'C2' };
    writeFileSync(state, JSON.stringify(desired));
    // The orchestrator has the change, and every agent has tried to reconnect and been refused.
    const direct = new HttpListWatch<string>({ url: `${server.url}`, catchUp: false });
    await waitFor(async () => (await direct.list(AbortSignal.timeout(5_000))).items.some((i) => i.value === 'C2'), { what: 'the orchestrator to load' });
    await waitFor(() => proxy.stats.refused >= dirs.length, { timeoutMs: 30_000, what: 'the agents to hit the cut' });
    expect(directory(dirs[0] as string)['c.txt']).toBe('C');
    proxy.restore();
    await converged('after the network cut');

    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    desired = { 'a.txt': 'A3', 'c.txt': 'C2', 'd.txt': 'D' };
    writeFileSync(state, JSON.stringify(desired));
    server = await orchestrator(state, port);
    await converged('after the orchestrator restart');
    expect(directory(dirs[0] as string)).toEqual(desired);
  });
});
