/**
 * `nitrox validate`: load the configuration and read its secrets, without touching the network, and print
 * a summary of what `run` would do. Exit 2 with the offending path when anything is wrong.
 */
import { loadConfig } from '../config/load-config.js';
import { type CliIo, exitCodes } from './cli-io.js';
import { optionsText } from './options-text.js';

/** Options of `nitrox validate`. */
export interface ValidateCommandOptions {
  readonly configFile: string;
}

/** Check the configuration and print a summary. */
export async function validateCommand(options: ValidateCommandOptions, io: CliIo): Promise<number> {
  const config = await loadConfig(options.configFile, { env: io.env });
  const sources = Object.entries(config.sources).map(([n, s]) => `${n} (${s.type})`);
  const sinks = Object.entries(config.sinks).map(([n, s]) => `${n} (${s.type})`);
  io.stdout.write(`configuration ok: sources ${sources.join(', ')}; sinks ${sinks.join(', ')}\n`);
  for (const m of config.mappings) {
    io.stdout.write(
      `  ${m.name}: ${m.source} ${m.app} -> ${m.sink} pool ${m.pool} (debounce ${m.debounceMs} ms, resync ${m.resyncMs} ms${m.allowEmpty ? ', allowEmpty' : ''}${optionsText(m.sourceOptions)}${optionsText(m.sinkOptions)})\n`,
    );
  }
  io.stdout.write(`  readiness: not ready when a source is out of contact longer than ${config.sourceGraceMs / 1000} s\n`);
  if (config.leaderElection) {
    const le = config.leaderElection;
    const where = le.type === 'etcd' ? `etcd ${(le.endpoints ?? []).join(',')} key ${le.prefix}${le.namespace}/${le.name}` : le.source;
    io.stdout.write(`  leader election: lease ${le.namespace}/${le.name} on ${where}\n`);
  }
  return exitCodes.ok;
}
