/**
 * The application part of the image: the `nitrox` command bundled into one ES module with every dependency it
 * imports (and nothing else: no dev dependencies, no sources of packages it does not load), plus the files a
 * dependency reads from disk at run time.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

/** Where the bundle lives inside the image. */
export const appEntry = '/app/bin/nitrox.mjs';

// A bundled CommonJS dependency may use require, __dirname and __filename: give the ES module the three.
const commonJsShim = [
  "import { createRequire as __nitroxRequire } from 'node:module';",
  "import { fileURLToPath as __nitroxPath } from 'node:url';",
  "import { dirname as __nitroxDirname } from 'node:path';",
  'const require = __nitroxRequire(import.meta.url);',
  'const __filename = __nitroxPath(import.meta.url);',
  'const __dirname = __nitroxDirname(__filename);',
].join(' ');

/** Bundle the command from the repository at `repo` into `<rootfs>/app`; returns the bundle's size in bytes. */
export async function bundleCommand(repo: string, rootfs: string): Promise<number> {
  const outfile = join(rootfs, appEntry);
  const result = await build({
    entryPoints: [join(repo, 'packages/nitrox/src/bin.ts')],
    absWorkingDir: repo,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@nitrox/source'],
    outfile,
    banner: { js: commonJsShim },
    legalComments: 'external',
    // ssh2 (through dockerode) tries optional native add-ons inside try/catch and falls back to JavaScript.
    loader: { '.node': 'empty' },
    metafile: true,
    logLevel: 'error',
  });
  await copyEtcdProtos(repo, join(dirname(outfile), '..', 'proto'));
  return Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
}

/** etcd3 loads its gRPC definitions from `<its lib>/../proto` at run time: next to the bundle's directory. */
async function copyEtcdProtos(repo: string, target: string): Promise<void> {
  const require = createRequire(join(repo, 'packages/etcd/package.json'));
  const source = join(dirname(require.resolve('etcd3')), '..', 'proto');
  await mkdir(target, { recursive: true });
  for (const name of await readdir(source)) if (name.endsWith('.proto')) await copyFile(join(source, name), join(target, name));
}
