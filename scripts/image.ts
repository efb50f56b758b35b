/**
 * `npm run image`: build the Nitrox container image on this machine with no registry and no base image — a
 * `FROM scratch` image holding this machine's Node.js binary, the shared libraries it links and the bundled
 * command (see scripts/image/). Writes the build context to `--out`, then builds it on the Docker Engine at
 * `$DOCKER_HOST` (else /var/run/docker.sock) unless `--context-only`. Prints a JSON summary.
 *
 *   npm run image -- [--tag nitrox:0.1.0] [--out dist-image] [--node /usr/bin/node] [--context-only]
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';
import { buildImage } from './image/docker-build.js';
import { commandVersion, writeContext } from './image/context.js';

const repo = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    tag: { type: 'string' },
    out: { type: 'string', default: 'dist-image' },
    node: { type: 'string', default: process.execPath },
    'context-only': { type: 'boolean', default: false },
  },
});

function gitRevision(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined; // not a clone (e.g. inside a Docker build): the label is left out
  }
}

const version = await commandVersion(repo);
const tag = values.tag ?? `nitrox:${version}`;
const context = await writeContext({ repo, dir: resolve(values.out), node: values.node, labels: { version, revision: gitRevision() } });
const summary = { context: context.dir, node: values.node, libraries: context.libraries, bundleBytes: context.bundleBytes };
if (values['context-only']) {
  console.log(JSON.stringify({ ...summary, build: `docker build -t ${tag} ${context.dir}` }, null, 2));
} else {
  const docker = new Dockerode();
  try {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5_000).unref());
    await Promise.race([docker.ping(), timeout]);
  } catch (error) {
    console.error(
      `nitrox image: no Docker Engine answers at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'} (${(error as Error).message}).\n` +
        `The context is written to ${context.dir}: build it there with \`docker build -t ${tag} ${context.dir}\`, ` +
        'or set DOCKER_HOST and run `npm run image` again.',
    );
    process.exit(1);
  }
  const image = await buildImage(docker, context.dir, tag, (line) => console.error(line));
  console.log(JSON.stringify({ ...summary, image }, null, 2));
}
