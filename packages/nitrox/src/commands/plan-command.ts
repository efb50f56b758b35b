/**
 * `nitrox plan`, the dry run: it lists and syncs every source, reads each pool
 * from its sink (reads only, no write request), and prints per pool the members that `run` would add, remove
 * or re-weight — decided by the same code as `run`'s reconcile (runtime/pool-plan.ts).
 */
import { backendKey, ConfigError } from '@nitrox/core';
import { parseDuration } from '@nitrox/plugin';
import { loadConfig, type ResolvedConfig } from '../config/load-config.js';
import type { LevelWithSilent } from 'pino';
import { createLogger, errorFields } from '../ops/logger.js';
import { redactingStream, secretsRedactor } from '../ops/redactor.js';
import { type AdapterFactories, createFactories } from '../runtime/factories.js';
import { isEmptyDiff } from '../runtime/pool-diff.js';
import { planPool } from '../runtime/pool-plan.js';
import { sourceMapping } from '../runtime/mapping-view.js';
import { type CliIo, checkLogLevel, exitCodes } from './cli-io.js';
import { optionsText } from './options-text.js';

/** Options of `nitrox plan`. */
export interface PlanCommandOptions {
  readonly configFile: string;
  /** How long to wait for the sources to sync. @defaultValue `30s` */
  readonly timeout?: string | undefined;
  readonly logLevel?: string | undefined;
  /** Adapter factories (tests). @defaultValue built from the configuration */
  readonly factories?: (config: ResolvedConfig) => AdapterFactories;
}

/** Print the plan; exit 0 when it could be computed. */
export async function planCommand(options: PlanCommandOptions, io: CliIo): Promise<number> {
  const timeoutMs = parseDuration(options.timeout ?? '30s');
  if (timeoutMs === undefined) throw new ConfigError('--timeout', `expected a duration like "30s", got "${options.timeout}"`);
  const level = checkLogLevel(options.logLevel) ?? 'warn';
  const config = await loadConfig(options.configFile, { env: io.env });
  const redactor = secretsRedactor(config.secrets.values());
  try {
    return await plan(config, { ...io, stdout: redactingStream(io.stdout, redactor), stderr: redactingStream(io.stderr, redactor) }, level, timeoutMs, options);
  } catch (err) {
    throw redactor.error(err);
  }
}

async function plan(config: ResolvedConfig, io: CliIo, level: LevelWithSilent, timeoutMs: number, options: PlanCommandOptions): Promise<number> {
  const logger = createLogger({ level, fd: 2, secrets: config.secrets.values() });
  const factories = options.factories?.(config) ?? (await createFactories(config, logger));
  const sources = new Map(config.mappings.map((m) => [m.source, factories.source(m.source)]));
  const sinks = new Map(config.mappings.map((m) => [m.sink, factories.sink(m.sink)]));
  for (const m of config.mappings) sources.get(m.source)?.view(sourceMapping(m));
  for (const source of sources.values()) {
    source.onError((err) => logger.warn({ source: source.name, ...errorFields(err) }, 'source error; retrying'));
  }

  const deadline = AbortSignal.timeout(timeoutMs);
  let failed = false;
  try {
    for (const source of sources.values()) source.start();
    try {
      await Promise.all([...sources.values()].map((s) => s.waitForSync(deadline)));
    } catch {
      const waiting = [...sources.values()].filter((s) => !s.hasSynced()).map((s) => s.name);
      io.stderr.write(`nitrox plan: sources did not sync within ${options.timeout ?? '30s'}: ${waiting.join(', ')}\n`);
      return exitCodes.failure;
    }
    let adds = 0;
    let removes = 0;
    let reweights = 0;
    for (const m of config.mappings) {
      const source = sources.get(m.source);
      const sink = sinks.get(m.sink);
      if (!source || !sink) continue;
      io.stdout.write(`pool ${m.pool} on ${m.sink} (${m.source} ${m.app})${optionsText(m.sinkOptions)}\n`);
      const plan = await planPool(m, source, sink, deadline);
      if (plan.kind === 'unreadable') {
        failed = true;
        io.stdout.write(`  ! cannot read the pool: ${String(errorFields(plan.error).err)}\n`);
        continue;
      }
      if (plan.kind === 'hold') {
        io.stdout.write(`  = held: the desired set is empty and allowEmpty is false (${plan.actual?.members.length ?? 0} members stay)\n`);
        continue;
      }
      if (plan.actual === undefined) {
        io.stdout.write(`  + pool ${m.pool} would be created (it is absent, or exists but is not Nitrox's: then run refuses it)\n`);
      }
      const { diff } = plan;
      for (const b of diff.add) io.stdout.write(`  + ${backendKey(b)}${b.weight !== undefined ? ` weight ${b.weight}` : ''}\n`);
      for (const b of diff.remove) io.stdout.write(`  - ${backendKey(b)}\n`);
      for (const r of diff.reweight) io.stdout.write(`  ~ ${backendKey(r.member)} weight ${r.from ?? 'default'} -> ${r.member.weight}\n`);
      io.stdout.write(isEmptyDiff(diff) ? `  = no changes (${diff.unchanged} members)\n` : `  = ${diff.unchanged} unchanged\n`);
      adds += diff.add.length;
      removes += diff.remove.length;
      reweights += diff.reweight.length;
    }
    io.stdout.write(
      `plan: ${config.mappings.length} pool(s), ${adds} to add, ${removes} to remove, ${reweights} to re-weight; nothing was changed\n`,
    );
  } finally {
    await Promise.all([...sources.values()].map((s) => s.stop().catch(() => undefined)));
    await Promise.all([...sinks.values()].map((s) => s.close().catch(() => undefined)));
  }
  return failed ? exitCodes.failure : exitCodes.ok;
}
