/**
 * The testbed's only image, built without any registry: a root filesystem holding the static busybox with a
 * few applet links and a `/www` folder, tarred and imported on every node under a loopback "registry" name
 * (`127.0.0.1:5999/...`), so that a stray pull is refused at once on loopback instead of reaching out.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type Dockerode from 'dockerode';

/** The image reference every testbed node holds. */
export const testbedImage = '127.0.0.1:5999/tb/busybox:1';

const applets = ['sh', 'httpd', 'sleep', 'echo', 'hostname', 'cat', 'nc', 'ls', 'true'];

/** Write the busybox root filesystem into `dir`. */
export async function buildRootfs(dir: string, busybox = '/bin/busybox'): Promise<void> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await mkdir(join(dir, 'www'), { recursive: true });
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await copyFile(busybox, join(dir, 'bin', 'busybox'));
  for (const applet of applets) await symlink('busybox', join(dir, 'bin', applet));
}

/** Import the root filesystem in `rootfs` into `docker` as {@link testbedImage}. */
export async function importImage(docker: Dockerode, rootfs: string): Promise<void> {
  const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [repo, tag] = [testbedImage.slice(0, testbedImage.lastIndexOf(':')), testbedImage.slice(testbedImage.lastIndexOf(':') + 1)];
  const response = (await docker.importImage(tar.stdout, { repo, tag })) as NodeJS.ReadableStream;
  let output = '';
  for await (const chunk of response) output += String(chunk);
  if (/"error"/.test(output)) throw new Error(`image import failed: ${output.trim()}`);
}
