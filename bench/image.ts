/**
 * The container image (`npm run image`) on a real one-node swarm (the test bed): how big it is, how long it
 * takes to build, to run `--help`, to become ready as a Swarm service (service created → `/readyz` 200 → the
 * NITRO pool equal to the swarm), to follow a scale, and to stop on SIGTERM (scale to 0 → container exited 0).
 * Deploy/stop is repeated `--runs` times (default 3). Writes bench/results/image.json.
 * Run: `npx tsx bench/image.ts` (root; dockerd, busybox-static and iproute2: `node scripts/setup.mjs`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

if (!process.execArgv.some((a) => a.includes('@nitrox/source'))) {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ['--conditions=@nitrox/source', '--import', 'tsx', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

const { startNitroSimulator } = await import('../packages/netscaler/src/testing/index.js');
const { SwarmTestbed, waitFor } = await import('../packages/swarm/src/testing/index.js');
const service = await import('../packages/nitrox/test/image-service.js');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const since = (t: number) => Math.round(performance.now() - t);

const workDir = await mkdtemp(join(tmpdir(), 'nitrox-image-bench-'));
const tb = await SwarmTestbed.start({ nodes: 1 });
const nitro = await startNitroSimulator({ ...service.nitroCredentials, host: tb.hostAddress });
try {
  let t = performance.now();
  const { image, context } = await service.buildTestImage(tb.manager.docker, join(workDir, 'context'));
  const buildMs = since(t);
  const docker = tb.manager.docker;

  const helpMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const container = await docker.createContainer({ Image: service.testImageTag, HostConfig: { NetworkMode: 'none' } });
    t = performance.now();
    await container.start();
    await container.wait();
    helpMs.push(since(t));
    await container.remove({ force: true });
  }

  await tb.createHttpService({ name: 'web', replicas: 2, labels: { 'nitrox.enable': 'true' } });
  const deploys: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    await service.deployNitrox(tb, nitro);
    const opsUrl = `http://${tb.manager.address}:${service.opsPort}`;
    await waitFor(async () => (await fetch(`${opsUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok || undefined, { timeoutMs: 60_000 });
    const readyMs = since(t);
    await service.poolInStep(tb, nitro, i % 2 === 0 ? 2 : 3);
    const poolMs = since(t);
    t = performance.now();
    await tb.scaleService('web', i % 2 === 0 ? 3 : 2);
    await service.poolInStep(tb, nitro, i % 2 === 0 ? 3 : 2);
    const scaleMs = since(t);
    const container = await service.nitroxContainer(tb);
    t = performance.now();
    const stopAt = Date.now();
    await tb.scaleService('nitrox', 0);
    const exit = await waitFor(
      async () => {
        const { State } = (await container.inspect()) as { State: { Status: string; ExitCode: number } };
        return State.Status === 'exited' ? State.ExitCode : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const stopMs = since(t);
    if (exit !== 0) throw new Error(`the nitrox container exited with ${exit}`);
    // The command's own log times: when SIGTERM reached it and when it had shut down.
    const logged = (await service.containerOutput(container))
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; time: string });
    const signalled = Date.parse(logged.find((l) => l.msg.startsWith('shutting down'))?.time ?? '');
    const stopped = Date.parse(logged.find((l) => l.msg === 'stopped')?.time ?? '');
    await tb.removeService('nitrox');
    await docker.getSecret('nitro-password').remove();
    await docker.getConfig('nitrox-yaml').remove();
    const signalMs = signalled - stopAt;
    const shutdownMs = stopped - signalled;
    deploys.push({ readyMs, poolMs, scaleMs, stopMs, signalMs, shutdownMs });
    console.log(
      `run ${i + 1}: ready ${readyMs} ms, pool in step ${poolMs} ms, scale followed ${scaleMs} ms, ` +
        `scale to 0 → exited 0 ${stopMs} ms (SIGTERM after ${signalMs} ms, shutdown ${shutdownMs} ms)`,
    );
  }
  const out = {
    benchmark: 'image',
    node: process.version,
    imageBytes: image.size,
    bundleBytes: context.bundleBytes,
    buildMs,
    helpRunMs: helpMs,
    deploys,
    notes:
      "ready/pool from service create (includes scheduling and container start); scale from the Engine API call; stop from scale-to-0; signalMs: scale-to-0 call → the command logs SIGTERM (the swarm's latency); shutdownMs: SIGTERM → 'stopped' logged",
  };
  console.log(JSON.stringify(out, null, 2));
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'image.json'), `${JSON.stringify(out, null, 2)}\n`);
} finally {
  await nitro.close();
  await tb.stop();
  await rm(workDir, { recursive: true, force: true });
}
