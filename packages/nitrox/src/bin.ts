#!/usr/bin/env node
/**
 * The `nitrox` executable: runs the command line and exits with its code. Exiting explicitly (logs are
 * written synchronously) means an idle keep-alive socket can never hold a finished command open.
 */
import { main } from './cli.js';

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
process.exit(code);
