/**
 * `nitrox run`: load the configuration, serve metrics, health and the live dashboard, run the controllers until SIGTERM or SIGINT,
 * then shut down gracefully — stop watching, let in-flight applies finish, log out of the sinks — and exit 0.
 * A second signal during shutdown exits at once with code 1.
 */
import type { LevelWithSilent } from 'pino';
import { loadConfig, type ResolvedConfig } from '../config/load-config.js';
import { DashboardState } from '../ops/dashboard-state.js';
import { OpsServer } from '../ops/http-server.js';
import { createLogger, errorFields } from '../ops/logger.js';
import { NitroxMetrics } from '../ops/metrics.js';
import { type Redactor, secretsRedactor } from '../ops/redactor.js';
import { createFactories, createLeaseLock } from '../runtime/factories.js';
import { NitroxRuntime } from '../runtime/runtime.js';
import { version } from '../version.js';
import { type CliIo, checkLogLevel, exitCodes } from './cli-io.js';

/** Options of `nitrox run`. */
export interface RunCommandOptions {
  readonly configFile: string;
  /** Overrides `http.listen`. */
  readonly listen?: string | undefined;
  /** Overrides `log.level`. */
  readonly logLevel?: string | undefined;
  /** Settles when the command should stop (besides SIGTERM/SIGINT), for in-process use; a rejection is logged. */
  readonly until?: Promise<unknown>;
}

/** Run until a signal; returns the exit code. */
export async function runCommand(options: RunCommandOptions, io: CliIo): Promise<number> {
  const level = checkLogLevel(options.logLevel);
  const config = await loadConfig(options.configFile, { env: io.env });
  const redactor = secretsRedactor(config.secrets.values());
  try {
    return await run(config, level, redactor, options);
  } catch (err) {
    // Printed by the command line: keep the configuration's secrets out of it, whatever a peer echoed.
    throw redactor.error(err);
  }
}

async function run(config: ResolvedConfig, level: LevelWithSilent | undefined, redactor: Redactor, options: RunCommandOptions): Promise<number> {
  const logger = createLogger({ level: level ?? config.logLevel, secrets: config.secrets.values() });
  const metrics = new NitroxMetrics({ redactor });
  const lease = config.leaderElection ? await createLeaseLock(config, config.leaderElection, logger) : undefined;
  const shutdown = new AbortController();
  const runtime = new NitroxRuntime({
    config,
    factories: await createFactories(config, logger, { signal: shutdown.signal }),
    logger,
    metrics,
    ...(lease ? { leaseLock: lease.lock } : {}),
    ...(config.leaderElection?.identity ? { identity: config.leaderElection.identity } : {}),
  });
  let shuttingDown = false;
  const server = new OpsServer({
    listen: options.listen ?? config.listen,
    metrics,
    dashboard: new DashboardState({ runtime, config, redactor }),
    readiness: () => (shuttingDown ? { ready: false, waiting: ['shutdown'] } : runtime.readiness()),
    onError: (err) => logger.error(errorFields(err), 'metrics/health server error'),
  });
  let address: string;
  try {
    address = await server.start();
  } catch (err) {
    await lease?.close(); // e.g. the port is taken: release the lease connection before reporting it
    throw err;
  }
  logger.info(
    { version, address, mappings: config.mappings.map((m) => m.name), leaderElection: config.leaderElection !== undefined },
    `serving the dashboard, /metrics, /healthz and /readyz on http://${address}`,
  );

  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const stopRequested = new Promise<string>((resolve) => {
    onSignal = (signal: NodeJS.Signals) => {
      if (shuttingDown) {
        logger.error({ signal }, 'second signal during shutdown: exiting now');
        process.exit(exitCodes.failure);
      }
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // A rejected `until` stops the command too (and is logged), never an unhandled rejection.
    options.until?.then(
      () => resolve('until'),
      (err: unknown) => {
        logger.warn(errorFields(err), 'the stop condition failed: stopping');
        resolve('until');
      },
    );
  });

  try {
    runtime.start();
    const synced = new AbortController();
    runtime.waitForSync(synced.signal).then(
      () => logger.info({ sources: [...runtime.sources.keys()] }, 'all sources synced: ready'),
      () => undefined,
    );

    const signal = await stopRequested;
    shuttingDown = true;
    synced.abort();
    shutdown.abort();
    logger.info({ signal }, 'shutting down: stopping watches, finishing in-flight applies, logging out of sinks');
    try {
      await runtime.stop();
    } catch (err) {
      logger.error(errorFields(err), 'shutdown failed');
      return exitCodes.failure;
    } finally {
      await lease?.close();
    }
    logger.info({}, 'stopped');
    return exitCodes.ok;
  } finally {
    // Until the server is down a second signal still exits at once; after that the handlers go.
    await server.stop();
    if (onSignal) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  }
}
