/**
 * `runCommand` in-process, as a program embedding nitrox runs it (against the Marathon and NITRO simulators): it
 * leaves no SIGTERM/SIGINT handler behind when it returns, and a rejected `until` stops it cleanly instead of
 * becoming an unhandled rejection.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startMarathonSimulator } from '@nitrox/marathon/testing';
import { startNitroSimulator } from '@nitrox/netscaler/testing';
import { expect, it } from 'vitest';
import { runCommand } from '../src/commands/run-command.js';
import { waitFor } from './helpers.js';

async function world() {
  const marathon = await startMarathonSimulator();
  const nitro = await startNitroSimulator({ username: 'nsroot', password: 'ns-pw' });
  marathon.apps.create({ id: '/web', instances: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'nitrox-run-'));
  const configFile = join(dir, 'nitrox.json');
  await writeFile(
    configFile,
    JSON.stringify({
      log: { level: 'silent' },
      http: { listen: '127.0.0.1:0' },
      sources: { mesos: { type: 'marathon', url: marathon.url } },
      sinks: { adc: { type: 'netscaler', url: nitro.url, username: 'nsroot', passwordFrom: { env: 'NS_PW' } } },
      defaults: { debounce: '10ms' },
      mappings: [{ source: 'mesos', app: '/web', sink: 'adc', pool: 'web' }],
    }),
  );
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: { NS_PW: 'ns-pw' } };
  return { marathon, nitro, configFile, io, close: async () => Promise.all([marathon.close(), nitro.close()]) };
}

it('removes its signal handlers when it returns, and stops on a rejected until', async () => {
  const w = await world();
  const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    let fail!: (err: Error) => void;
    const until = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const code = runCommand({ configFile: w.configFile, until }, w.io);
    await waitFor('the pool to converge', () => w.nitro.state.members('web').length === 1, 20_000);
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual([before[0] as number + 1, before[1] as number + 1]);
    fail(new Error('the embedding program gave up'));
    expect(await code).toBe(0);
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await w.close();
  }
}, 60_000);
