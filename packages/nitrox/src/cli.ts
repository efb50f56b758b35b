/**
 * The `nitrox` command line: `run`, `plan`, `validate`, `plugins`, `demo`, parsed with node:util `parseArgs`. `main`
 * returns the exit code instead of exiting, so tests can call it in-process: 0 success, 1 a runtime failure
 * (or a demo that did not converge), 2 a usage or configuration error — a `ConfigError` is printed as
 * `nitrox: invalid configuration: <path>: <what was expected>`.
 */
import { parseArgs } from 'node:util';
import { type CliIo, exitCodes, reportError } from './commands/cli-io.js';
import { version } from './version.js';

const usage = `Usage: nitrox <command> [options]

Commands:
  run       --config <file>   keep every mapped pool equal to its application's endpoints
  plan      --config <file>   print what run would change in each pool, change nothing
  validate  --config <file>   check the configuration (and its secrets), print a summary
  plugins   [--config <file>] list the plugins (built-in, and those the file loads) with their options
  demo                        run the whole story against local simulators (Kubernetes, NetScaler)

Options:
  -c, --config <file>     configuration file (YAML or JSON)
      --listen <h:p>      run: dashboard/metrics/health listener, overrides http.listen; demo: its
                          listener (default a free loopback port)
      --log-level <lvl>   trace|debug|info|warn|error|fatal|silent, overrides log.level
      --timeout <dur>     plan: how long to wait for the sources to sync (default 30s)
      --forever           demo: keep running after the story (Ctrl-C to stop)
      --fast              demo: shorter pauses between the acts
  -h, --help              this text
  -v, --version           the version

Exit codes: 0 ok, 1 failure, 2 usage or configuration error.
`;

/**
 * Run the command line.
 *
 * @param argv - arguments after the executable and script (`process.argv.slice(2)`).
 * @returns the exit code.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.stderr.write(`nitrox: ${(err as Error).message}\n\n${usage}`);
    return exitCodes.usage;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.stdout.write(`nitrox ${version}\n`);
    return exitCodes.ok;
  }
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    (command === undefined && !values.help ? io.stderr : io.stdout).write(usage);
    return command === undefined && !values.help ? exitCodes.usage : exitCodes.ok;
  }
  if (positionals.length > 1) {
    io.stderr.write(`nitrox: unexpected argument "${positionals[1]}"\n\n${usage}`);
    return exitCodes.usage;
  }
  const needsConfig = command === 'run' || command === 'plan' || command === 'validate';
  if (needsConfig && values.config === undefined) {
    io.stderr.write(`nitrox ${command}: --config <file> is required\n`);
    return exitCodes.usage;
  }
  try {
    switch (command) {
      case 'run': {
        const { runCommand } = await import('./commands/run-command.js');
        return await runCommand({ configFile: values.config as string, listen: values.listen, logLevel: values['log-level'] }, io);
      }
      case 'plan': {
        const { planCommand } = await import('./commands/plan-command.js');
        return await planCommand({ configFile: values.config as string, timeout: values.timeout, logLevel: values['log-level'] }, io);
      }
      case 'validate': {
        const { validateCommand } = await import('./commands/validate-command.js');
        return await validateCommand({ configFile: values.config as string }, io);
      }
      case 'plugins': {
        const { pluginsCommand } = await import('./commands/plugins-command.js');
        return await pluginsCommand({ configFile: values.config }, io);
      }
      case 'demo': {
        const { demoCommand } = await import('./demo/demo-command.js');
        return await demoCommand({ forever: values.forever === true, fast: values.fast === true, logLevel: values['log-level'], listen: values.listen }, io);
      }
      default:
        io.stderr.write(`nitrox: unknown command "${command}"\n\n${usage}`);
        return exitCodes.usage;
    }
  } catch (err) {
    return reportError(err, io);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string' },
      'log-level': { type: 'string' },
      timeout: { type: 'string' },
      forever: { type: 'boolean' },
      fast: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}
