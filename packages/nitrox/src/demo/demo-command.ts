/**
 * `nitrox demo`: the embedded default. Starts the Kubernetes API-server simulator and the NITRO simulator on
 * loopback, seeds a small cluster, runs the real controller (the same runtime and adapters as `nitrox run`,
 * configured through the same schema) over real HTTP between them, plays the story and shows each pool's
 * desired versus actual members, the convergence latency and the NITRO calls of every act. Exit 0 when every
 * act converged; `--forever` keeps everything running until Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSimulator } from '@nitrox/kubernetes/testing';
import { startNitroSimulator } from '@nitrox/netscaler/testing';
import { type CliIo, checkLogLevel, exitCodes } from '../commands/cli-io.js';
import { resolveConfig } from '../config/load-config.js';
import { DashboardState } from '../ops/dashboard-state.js';
import { OpsServer } from '../ops/http-server.js';
import { createLogger } from '../ops/logger.js';
import { secretsRedactor } from '../ops/redactor.js';
import { NitroxMetrics } from '../ops/metrics.js';
import { createFactories } from '../runtime/factories.js';
import { NitroxRuntime } from '../runtime/runtime.js';
import { type ActResult, DemoRenderer } from './demo-render.js';
import { poolStates, type StoryContext, story } from './demo-story.js';
import { DemoWorld, demoNamespace } from './demo-world.js';

/** Options of `nitrox demo`. */
export interface DemoCommandOptions {
  /** Keep running after the story. */
  readonly forever?: boolean;
  /** No pauses between acts. */
  readonly fast?: boolean;
  /** Log level of the controller's own logs (stderr). @defaultValue `'silent'` */
  readonly logLevel?: string | undefined;
  /** Address of the dashboard, metrics and health server. @defaultValue `127.0.0.1:0` (a free port) */
  readonly listen?: string | undefined;
  /** Longest wait for one act to converge. @defaultValue 20_000 */
  readonly actTimeoutMs?: number;
}

/** Resync period of the demo mappings: short, so the hand-made drift is repaired within seconds. */
const demoResync = '2s';

/** Play the demo; returns the exit code. */
export async function demoCommand(options: DemoCommandOptions, io: CliIo): Promise<number> {
  const level = checkLogLevel(options.logLevel) ?? 'silent';
  const render = new DemoRenderer(io.stdout, io.env);
  const token = randomBytes(18).toString('base64url');
  const password = randomBytes(18).toString('base64url');
  const stopSignal = new AbortController();
  const onSignal = () => stopSignal.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const kube = await startKubeSimulator({ token, bookmarkIntervalMs: 1_000 });
  const nitro = await startNitroSimulator({ username: 'nsroot', password });
  let runtime: NitroxRuntime | undefined;
  let ops: OpsServer | undefined;
  let kubeconfigDir: string | undefined;
  try {
    nitro.state.addLbvserver({ name: 'vs-web', servicetype: 'HTTP', ipv46: '192.0.2.10', port: 80, lbmethod: 'LEASTCONNECTION' });
    nitro.state.addLbvserver({ name: 'vs-api', servicetype: 'SSL', ipv46: '192.0.2.11', port: 443, lbmethod: 'ROUNDROBIN' });
    const world = new DemoWorld(kube);
    world.seed(4);

    const config = await resolveConfig(
      {
        sources: { cluster: { type: 'kubernetes', server: kube.url, tokenFrom: { env: 'NITROX_DEMO_TOKEN' } } },
        sinks: { adc: { type: 'netscaler', url: nitro.url, username: 'nsroot', passwordFrom: { env: 'NITROX_DEMO_PASSWORD' } } },
        defaults: { debounce: '50ms', maxWait: '500ms', resync: demoResync },
        mappings: [
          { name: 'web', source: 'cluster', app: `${demoNamespace}/web`, sink: 'adc', mode: 'pod', port: 'http', lbvserver: 'vs-web', servicegroupType: 'HTTP' },
          { name: 'api', source: 'cluster', app: `${demoNamespace}/api`, sink: 'adc', mode: 'nodeport', port: 'https', lbvserver: 'vs-api', servicegroupType: 'SSL' },
        ],
      },
      { env: { NITROX_DEMO_TOKEN: token, NITROX_DEMO_PASSWORD: password } },
    );
    const pools = { web: config.mappings[0]?.pool ?? 'shop-web', api: config.mappings[1]?.pool ?? 'shop-api' };
    const logger = createLogger({ level, fd: 2, secrets: config.secrets.values() });
    const redactor = secretsRedactor(config.secrets.values());
    const metrics = new NitroxMetrics({ redactor });
    runtime = new NitroxRuntime({ config, factories: await createFactories(config, logger), logger, metrics });
    const rt = runtime;
    const dashboard = new DashboardState({ runtime, config, redactor });
    ops = new OpsServer({ listen: options.listen ?? '127.0.0.1:0', metrics, dashboard, readiness: () => rt.readiness() });
    const opsUrl = `http://${await ops.start()}`;
    render.banner(kube.url, nitro.url, opsUrl);

    const ctx: StoryContext = { world, kube, nitro, pools };
    const results: ActResult[] = [];
    const timeoutMs = options.actTimeoutMs ?? 20_000;
    const started = performance.now();
    const total = story.length + 1;

    const play = async (index: number, title: string, point: string, action: () => void): Promise<void> => {
      render.act(index, total, title, point);
      const firstRequest = nitro.requestLog.entries.length;
      const t0 = performance.now();
      action();
      // Taken after the act, so a member deleted by hand shows up as restored.
      const before = new Map(poolStates(ctx).map((p) => [p.pool, p.actual]));
      const converged = await waitConverged(ctx, timeoutMs, stopSignal.signal, (states) =>
        render.live(states, performance.now() - t0),
      );
      const latencyMs = performance.now() - t0;
      const requests = nitro.requestLog.entries.slice(firstRequest);
      render.pools(poolStates(ctx), before);
      const result = { title, converged, latencyMs, calls: requests.length, writes: requests.filter((e) => e.write).length };
      render.result(result);
      results.push(result);
    };

    await play(1, 'initial sync: 2 services on 4 nodes, an empty NetScaler', 'list, then watch from the listed revision; create both servicegroups and bind them', () =>
      rt.start(),
    );
    for (const [i, act] of story.entries()) {
      if (stopSignal.signal.aborted) break;
      if (!options.fast) await pause(700, stopSignal.signal);
      await play(i + 2, act.title, act.point, () => act.run(ctx));
    }

    const sourceCounters = [...rt.sources.values()].map((s) => s.counters());
    const sum = (field: 'watchRestarts' | 'relists') => sourceCounters.reduce((n, c) => n + (c[field] ?? 0), 0);
    const stale = (await metrics.staleDiscarded.get()).values.reduce((n, v) => n + v.value, 0);
    const reconciles = (await metrics.reconciles.get()).values.reduce((n, v) => n + v.value, 0);
    render.summary(
      results,
      {
        'NITRO requests': nitro.requestLog.entries.length,
        logins: nitro.requestLog.count({ type: 'login' }),
        reconciles,
        'stale discarded': stale,
        'watch restarts': sum('watchRestarts'),
        relists: sum('relists'),
      },
      performance.now() - started,
    );
    const ok = results.length === total && results.every((r) => r.converged);

    if (options.forever && !stopSignal.signal.aborted) {
      render.line();
      kubeconfigDir = await mkdtemp(join(tmpdir(), 'nitrox-demo-'));
      const kubeconfig = join(kubeconfigDir, 'kubeconfig');
      await writeFile(kubeconfig, kube.kubeConfig({ token, namespace: demoNamespace }).exportConfig(), { mode: 0o600 });
      render.line(`Still running: the NetScaler at ${nitro.url}, the dashboard at ${opsUrl}/, metrics at ${opsUrl}/metrics.`);
      render.line(`Change the simulated cluster with: KUBECONFIG=${kubeconfig} kubectl …`);
      render.line('Every pool change is shown below as it converges; Ctrl-C stops.');
      rt.on('converged', (event) => {
        if (event.writes === 0) return;
        const actual = nitro.state.members(event.pool).length;
        render.line(
          `  ${new Date().toISOString().slice(11, 23)}  ${event.pool.padEnd(10)} desired ${event.members}  actual ${actual}  (+${event.added} -${event.removed}, ${event.writes} NITRO write(s) in ${Math.round(event.durationMs)}ms)`,
        );
      });
      await new Promise<void>((resolve) => stopSignal.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    // Interrupted before the story ended is a failure; stopped while running --forever after it is not.
    return ok ? exitCodes.ok : exitCodes.failure;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime?.stop();
    await ops?.stop();
    await kube.close();
    await nitro.close();
    if (kubeconfigDir) await rm(kubeconfigDir, { recursive: true, force: true });
  }
}

async function waitConverged(
  ctx: StoryContext,
  timeoutMs: number,
  signal: AbortSignal,
  onTick: (states: ReturnType<typeof poolStates>) => void,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!signal.aborted && performance.now() < deadline) {
    const states = poolStates(ctx);
    if (states.every((s) => s.converged)) return true;
    onTick(states);
    await pause(10, signal);
  }
  return poolStates(ctx).every((s) => s.converged);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
