/**
 * The image's build context: the root filesystem (Node.js, its libraries, the bundled command) and the
 * Dockerfile that copies it into an empty image. The repository's own `Dockerfile` ends in the same final stage
 * (a test keeps the two equal), so an image built there or with `npm run image` is the same image.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { appEntry, bundleCommand } from './bundle.js';
import { assembleRootfs, imageUser, nodePath } from './rootfs.js';

/** Metadata of the image (OCI annotation keys). */
export interface ImageLabels {
  readonly version: string;
  /** Git commit the image was built from, when known. */
  readonly revision?: string | undefined;
}

/** The final stage: run `nitrox` as the unprivileged user, Node.js itself handling SIGTERM (no init needed). */
export function finalStage(labels: ImageLabels): string[] {
  return [
    'FROM scratch',
    'COPY rootfs/ /',
    `USER ${imageUser.uid}:${imageUser.gid}`,
    'WORKDIR /app',
    'ENV NODE_ENV=production',
    'STOPSIGNAL SIGTERM',
    `ENTRYPOINT ["${nodePath}", "${appEntry}"]`,
    'CMD ["--help"]',
    'LABEL org.opencontainers.image.title="nitrox" \\',
    '      org.opencontainers.image.description="Keeps load-balancer pools equal to the live endpoints of applications." \\',
    '      org.opencontainers.image.licenses="Apache-2.0" \\',
    `      org.opencontainers.image.version="${labels.version}"${labels.revision === undefined ? '' : ' \\'}`,
    ...(labels.revision === undefined ? [] : [`      org.opencontainers.image.revision="${labels.revision}"`]),
  ];
}

/** What {@link writeContext} made. */
export interface ImageContext {
  /** The context directory (`Dockerfile` and `rootfs/`). */
  readonly dir: string;
  readonly bundleBytes: number;
  /** Shared libraries copied beside the Node.js binary. */
  readonly libraries: readonly string[];
}

/** Options of {@link writeContext}. */
export interface WriteContextOptions {
  /** The repository to bundle the command from. */
  readonly repo: string;
  /** Directory to write the context into (emptied first). */
  readonly dir: string;
  /** The Node.js binary to ship. */
  readonly node: string;
  readonly labels: ImageLabels;
}

/** Write a complete build context into `options.dir`. */
export async function writeContext(options: WriteContextOptions): Promise<ImageContext> {
  const rootfs = join(options.dir, 'rootfs');
  await rm(options.dir, { recursive: true, force: true });
  await mkdir(rootfs, { recursive: true });
  const bundleBytes = await bundleCommand(options.repo, rootfs);
  const { libraries } = await assembleRootfs(rootfs, options.node);
  await writeFile(join(options.dir, 'Dockerfile'), `${finalStage(options.labels).join('\n')}\n`);
  return { dir: options.dir, bundleBytes, libraries };
}

/** The version of the `nitrox` package in `repo`. */
export async function commandVersion(repo: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(repo, 'packages/nitrox/package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** The context directory as a tar stream, as the Engine's build endpoint takes it. */
export function tarContext(dir: string): Readable {
  const tar = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return tar.stdout;
}
