/**
 * An agent of the agents example: it follows the orchestrator with `HttpListWatch` and runs an unchanged core
 * `Controller` that keeps a local directory equal to the desired state (a key is a file name, its value the
 * content). When the orchestrator restarts or the network drops, the Informer inside the Controller backs off,
 * re-watches, and relists or catches up; the directory is never touched for a key that did not change.
 *
 * Run: `npx tsx --conditions=@nitrox/source examples/agents/agent.ts <url> <dir>`
 */
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, type Versioned } from '@nitrox/core';
import { HttpListWatch } from '@nitrox/http';

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Start an agent keeping `dir` equal to the collection at `url`. */
export function startAgent(url: string, dir: string): Controller<string> {
  const source = new HttpListWatch<string>({ url, idleTimeoutMs: 5_000 });
  const controller = new Controller<string>({
    name: 'agent',
    source,
    informer: { backoff: { initialMs: 100, maxMs: 1_000 } },
    async reconcile(key: string, desired: Versioned<string> | undefined) {
      if (key.includes('/') || key.startsWith('.')) return; // never escape the directory
      const file = join(dir, key);
      const actual = await readOrUndefined(file);
      if (desired === undefined) {
        if (actual !== undefined) await unlink(file);
      } else if (actual !== desired.value) {
        await writeFile(file, desired.value);
      }
    },
  });
  controller.start();
  return controller;
}

async function main(): Promise<void> {
  const [url, dir] = process.argv.slice(2);
  if (url === undefined || dir === undefined) throw new Error('usage: agent.ts <url> <dir>');
  await mkdir(dir, { recursive: true });
  const controller = startAgent(url, dir);
  console.log(`agent keeping ${dir} equal to ${url}`);
  process.once('SIGTERM', () => void controller.stop().then(() => process.exit(0)));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
