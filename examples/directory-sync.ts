/**
 * A controller that is not about load balancers: it keeps a directory of files equal to a desired state held in
 * a `MemoryStore`. Each key is a file name and each value its content. Reconcile is idempotent (it writes only
 * when the content differs), deletions remove the file, files the store never named are left alone, and the
 * periodic resync repairs a file someone edited or deleted by hand.
 *
 * Run: `npx tsx --conditions=@nitrox/source examples/directory-sync.ts [dir]`
 */
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, MemoryStore, type Versioned } from '@nitrox/core';

/** Options of {@link syncDirectory}. */
export interface DirectorySyncOptions {
  /** The directory to keep in sync. */
  dir: string;
  /** The desired files: key = file name, value = content. */
  store: MemoryStore<string>;
  /** How often every file is checked against the store. */
  resyncMs?: number;
  /** Called after each file operation, for logging. */
  onChange?: (change: { file: string; action: 'written' | 'removed' | 'unchanged' }) => void;
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Start a controller that keeps `dir` equal to `store`; returns it (call `stop()` when done). */
export function syncDirectory(options: DirectorySyncOptions): Controller<string> {
  const { dir, store, onChange } = options;
  const controller = new Controller<string>({
    name: 'directory-sync',
    source: store,
    resyncMs: options.resyncMs ?? 10_000,
    async reconcile(key: string, desired: Versioned<string> | undefined) {
      if (key.includes('/') || key.startsWith('.')) return; // never escape the directory
      const file = join(dir, key);
      const actual = await readOrUndefined(file);
      if (desired === undefined) {
        if (actual !== undefined) await unlink(file);
        onChange?.({ file: key, action: actual === undefined ? 'unchanged' : 'removed' });
      } else if (actual !== desired.value) {
        await writeFile(file, desired.value);
        onChange?.({ file: key, action: 'written' });
      } else {
        onChange?.({ file: key, action: 'unchanged' });
      }
    },
  });
  controller.start();
  return controller;
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'nitrox-dir-')));
  await mkdir(dir, { recursive: true });
  const store = new MemoryStore<string>();
  const controller = syncDirectory({
    dir,
    store,
    resyncMs: 500,
    onChange: ({ file, action }) => action !== 'unchanged' && console.log(`${action.padEnd(8)} ${file}`),
  });
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));
  console.log(`keeping ${dir} in sync`);
  store.put('motd.txt', 'hello\n');
  store.put('version.txt', '1\n');
  await settle();
  store.put('version.txt', '2\n');
  store.delete('motd.txt');
  await settle();
  console.log('someone edits version.txt by hand; the next resync repairs it');
  await writeFile(join(dir, 'version.txt'), 'tampered\n');
  await new Promise((resolve) => setTimeout(resolve, 800));
  console.log(`version.txt now holds: ${(await readFile(join(dir, 'version.txt'), 'utf8')).trim()}`);
  await controller.stop();
  if (process.argv[2] === undefined) await rm(dir, { recursive: true, force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
