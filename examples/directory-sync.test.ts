import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@nitrox/core';
import { waitFor } from '@nitrox/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncDirectory } from './directory-sync.js';

const read = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);

describe('directory-sync example', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nitrox-dir-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes, updates and removes files, leaves foreign files alone, and repairs drift on resync', async () => {
    await writeFile(join(dir, 'foreign.txt'), 'not ours\n');
    const store = new MemoryStore<string>();
    const controller = syncDirectory({ dir, store, resyncMs: 200 });
    try {
      store.put('a.txt', 'one');
      store.put('b.txt', 'two');
      await waitFor(async () => (await read(join(dir, 'a.txt'))) === 'one' && (await read(join(dir, 'b.txt'))) === 'two');
      store.put('a.txt', 'uno');
      store.delete('b.txt');
      await waitFor(async () => (await read(join(dir, 'a.txt'))) === 'uno' && (await read(join(dir, 'b.txt'))) === undefined);
      await writeFile(join(dir, 'a.txt'), 'tampered');
      await waitFor(async () => (await read(join(dir, 'a.txt'))) === 'uno');
      expect(await read(join(dir, 'foreign.txt'))).toBe('not ours\n');
    } finally {
      await controller.stop();
    }
  });
});
