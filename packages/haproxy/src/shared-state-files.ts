/**
 * The server-state files of the `haproxy` plugin's entries, one {@link ServerStateFile} per absolute path. HAProxy
 * reads one file (a global `server-state-file`) for all its backends, so two entries that name the same file — two
 * entries on one HAProxy, say with different server prefixes — must write it together: each rewrite then holds the
 * backends of both, where two instances would each drop the other's. The last entry to close releases it.
 */
import type { ServerStateFile } from './server-state-file.js';

const files = new Map<string, { readonly file: ServerStateFile; users: number }>();

/** The instance kept for `path` (created by `create` on first use); pair every call with {@link releaseStateFile}. */
export function acquireStateFile(path: string, create: () => ServerStateFile): ServerStateFile {
  const held = files.get(path) ?? { file: create(), users: 0 };
  held.users++;
  files.set(path, held);
  return held.file;
}

/** One user of `file` is done; the last one forgets it (a later entry starts from an empty file state). */
export function releaseStateFile(file: ServerStateFile): void {
  const held = files.get(file.path);
  if (held?.file !== file) return;
  held.users--;
  if (held.users === 0) files.delete(file.path);
}
