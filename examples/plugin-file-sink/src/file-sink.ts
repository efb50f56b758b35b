/**
 * A sink that keeps one JSON file per pool in a directory: `<directory>/<pool>.json` holding the members. The
 * sink owns only the files it wrote (they carry a `managedBy` marker): any other file, including one at a pool's
 * path, is never changed or removed. Apply reads the file, compares, and writes (atomically, by rename) only
 * when the members differ, so a second identical apply makes no write.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ApplyResult, type Backend, type BackendSet, backendKey, type Sink, SinkError } from '@nitrox/core';

/** The marker of the files this sink owns. */
export const managedBy = 'nitrox-plugin-file-sink';

/** Options of {@link FileSink}. */
export interface FileSinkOptions {
  /** Directory of the pool files (must exist). */
  readonly directory: string;
  /** Let an empty desired set empty (and remove) a pool file. @defaultValue false */
  readonly allowEmpty?: boolean;
  /** JSON indentation. @defaultValue 2 */
  readonly indent?: number;
}

interface PoolFile {
  readonly managedBy: string;
  readonly pool: string;
  readonly members: readonly Backend[];
}

/** Errors the peer (the file system) may fix by itself are retryable; a permission or layout problem is not. */
function sinkError(action: string, err: unknown): SinkError {
  const code = (err as NodeJS.ErrnoException).code;
  return new SinkError(`file sink: cannot ${action} (${code ?? String(err)})`, {
    retryable: !(code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR' || code === 'EISDIR'),
    cause: err,
  });
}

const sameMember = (a: Backend, b: Backend) => backendKey(a) === backendKey(b);

/** A {@link Sink} of backend sets over a directory of JSON files. */
export class FileSink implements Sink<BackendSet> {
  readonly #options: FileSinkOptions;
  /** Write operations made (file writes and removals). */
  writes = 0;
  /** Failed operations. */
  failures = 0;

  constructor(options: FileSinkOptions) {
    this.#options = options;
  }

  #path(key: string): string {
    return join(this.#options.directory, `${key.replace(/[^A-Za-z0-9_.-]+/g, '-')}.json`);
  }

  /** The pool file of `key`, or `undefined`; `foreign` when a file is there that this sink did not write. */
  async #read(key: string): Promise<PoolFile | 'foreign' | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.failures++;
      throw sinkError(`read ${this.#path(key)}`, err);
    }
    try {
      const parsed = JSON.parse(text) as Partial<PoolFile>;
      return parsed.managedBy === managedBy && Array.isArray(parsed.members) ? (parsed as PoolFile) : 'foreign';
    } catch {
      return 'foreign';
    }
  }

  async observe(key: string): Promise<BackendSet | undefined> {
    const file = await this.#read(key);
    return file === undefined || file === 'foreign' ? undefined : { name: key, members: file.members };
  }

  async apply(key: string, desired: BackendSet | undefined): Promise<ApplyResult> {
    const current = await this.#read(key);
    if (current === 'foreign') throw new SinkError(`file sink: ${this.#path(key)} exists and is not ours; it is left alone`, { retryable: false });
    const before = current?.members ?? [];
    const after = desired?.members ?? [];
    if (after.length === 0 && !this.#options.allowEmpty) return { added: 0, updated: 0, removed: 0, writes: 0 };
    const added = after.filter((m) => !before.some((b) => sameMember(b, m))).length;
    const removed = before.filter((b) => !after.some((m) => sameMember(b, m))).length;
    const updated = after.filter((m) => before.some((b) => sameMember(b, m) && b.weight !== m.weight)).length;
    if (added + removed + updated === 0) return { added, updated, removed, writes: 0 };
    const path = this.#path(key);
    try {
      if (after.length === 0) await rm(path, { force: true });
      else {
        const file: PoolFile = { managedBy, pool: key, members: after };
        await writeFile(`${path}.tmp`, `${JSON.stringify(file, null, this.#options.indent ?? 2)}\n`);
        await rename(`${path}.tmp`, path);
      }
    } catch (err) {
      this.failures++;
      throw sinkError(`write ${path}`, err);
    }
    this.writes++;
    return { added, updated, removed, writes: 1 };
  }
}
