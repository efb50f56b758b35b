/**
 * The system part of a `FROM scratch` image: a Node.js binary and exactly the shared libraries it links (found
 * with `ldd`, copied to the paths the dynamic loader looks in), the user the process runs as, and nothing else —
 * no shell, no package manager.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** Where the Node.js binary lives inside the image. */
export const nodePath = '/usr/local/bin/node';
/** The unprivileged user and group the image runs as (distroless' `nonroot`). */
export const imageUser = { name: 'nitrox', uid: 65532, gid: 65532 } as const;

/** The absolute paths of the shared objects `binary` loads, from `ldd` output (the vDSO has none). */
export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split('\n')) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line.trim());
    if (match?.[1] !== undefined) paths.push(match[1]);
  }
  return paths;
}

/** Copy `node` (a path on this machine) and its libraries into `rootfs`, and write the files a process expects. */
export async function assembleRootfs(rootfs: string, node: string): Promise<{ libraries: string[] }> {
  const { stdout } = await promisify(execFile)('ldd', [node]);
  const libraries = parseLdd(stdout);
  if (!libraries.some((path) => path.includes('ld-linux'))) {
    throw new Error(`${node} does not look dynamically linked for glibc (ldd found no loader): ${stdout.trim()}`);
  }
  await copyInto(rootfs, node, nodePath);
  // copyFile follows symbolic links: each library lands as a regular file under the name the loader asks for.
  for (const library of libraries) await copyInto(rootfs, library, library);
  const { name, uid, gid } = imageUser;
  await writeInto(rootfs, '/etc/passwd', `root:x:0:0:root:/root:/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:/app:/sbin/nologin\n`);
  await writeInto(rootfs, '/etc/group', `root:x:0:\n${name}:x:${gid}:\n`);
  await writeInto(rootfs, '/etc/nsswitch.conf', 'hosts: files dns\n');
  await mkdir(join(rootfs, 'tmp'), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
  return { libraries };
}

async function copyInto(rootfs: string, from: string, to: string): Promise<void> {
  await mkdir(dirname(join(rootfs, to)), { recursive: true });
  await copyFile(from, join(rootfs, to));
}

async function writeInto(rootfs: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(rootfs, path)), { recursive: true });
  await writeFile(join(rootfs, path), text);
}
