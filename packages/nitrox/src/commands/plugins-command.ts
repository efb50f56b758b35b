/**
 * `nitrox plugins`: list the plugins this host knows — the built-in ones and, with `--config`, those the file's
 * `plugins:` list loads — with each option, its type and default, read from the plugins' own schemas.
 */
import { optionRows } from '@nitrox/plugin';
import { loadConfig } from '../config/load-config.js';
import { PluginRegistry } from '../plugins/plugin-registry.js';
import { type CliIo, exitCodes } from './cli-io.js';

/** Options of `nitrox plugins`. */
export interface PluginsCommandOptions {
  /** A configuration whose `plugins:` are loaded too. */
  readonly configFile?: string | undefined;
}

/** Print every plugin and its options. */
export async function pluginsCommand(options: PluginsCommandOptions, io: CliIo): Promise<number> {
  const registry = options.configFile ? (await loadConfig(options.configFile, { env: io.env })).plugins : new PluginRegistry();
  for (const { from, plugin } of await registry.all()) {
    io.stdout.write(`${plugin.kind} ${plugin.type} (${from}, apiVersion ${plugin.apiVersion}): ${plugin.description}\n`);
    for (const [title, schema] of [['options', plugin.schema], ['mapping options', plugin.mapping]] as const) {
      const rows = optionRows(schema);
      if (rows.length === 0) continue;
      io.stdout.write(`  ${title}:\n`);
      for (const row of rows) {
        const dflt = row.defaultValue !== undefined ? ` = ${row.defaultValue}` : row.required ? ' (required)' : '';
        io.stdout.write(`    ${row.path}: ${row.type}${dflt}${row.description ? `  — ${row.description}` : ''}\n`);
      }
    }
  }
  return exitCodes.ok;
}
