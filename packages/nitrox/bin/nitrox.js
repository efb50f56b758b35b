#!/usr/bin/env node
// The `nitrox` command as npm links it. An installed package runs its build (dist/bin.js). A clone of the
// repository has no build right after `npm ci`: there it runs the TypeScript source through tsx (a development
// dependency of the monorepo) with sibling packages resolved to their source, as `npm start` and the tests do.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  const source = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@nitrox/source', '--import', 'tsx', source, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // The child gets the terminal's SIGINT itself; a SIGTERM sent to this process (a supervisor) is passed on.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`nitrox: cannot start the source build (${error.message}); run \`npm run build\` first\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128 + (signal === 'SIGTERM' ? 15 : 2))));
}
