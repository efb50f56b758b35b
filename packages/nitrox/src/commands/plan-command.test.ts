import { mkdtemp, writeFile } from 'node:fs/promises';
import { memorySourceRuntime } from '../../test/memory-source.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type BackendSet, MemoryStore, SinkError } from '@nitrox/core';
import { expect, it } from 'vitest';
import { planCommand } from './plan-command.js';

function text(stream: PassThrough): string {
  return (stream.read() as Buffer | null)?.toString('utf8') ?? '';
}

it.each(['pa"ss\\wörd', 'ab'])('keeps the password %j out of what plan prints, even when a peer echoes it', async (password) => {
  const dir = await mkdtemp(join(tmpdir(), 'nitrox-plan-'));
  const configFile = join(dir, 'nitrox.json');
  await writeFile(
    configFile,
    JSON.stringify({
      sources: { mesos: { type: 'marathon', url: 'http://127.0.0.1:1' } },
      sinks: { adc: { type: 'netscaler', url: 'http://127.0.0.1:1', username: 'nsroot', passwordFrom: { env: 'NS_PW' } } },
      mappings: [{ source: 'mesos', app: '/web', sink: 'adc', pool: 'web' }],
    }),
  );
  const store = new MemoryStore<BackendSet>();
  store.put('/web', { name: 'web', members: [{ address: '10.0.0.1', port: 80 }] });
  const source = memorySourceRuntime('mesos', store);
  const sink = {
    name: 'adc',
    pool: () => ({
      observe: async () => {
        throw new SinkError(`login refused for nsroot:${password}@adc`);
      },
      apply: async () => ({ added: 0, updated: 0, removed: 0, writes: 0 }),
    }),
    requests: () => ({ ok: 0, error: 0 }),
    close: async () => {},
  };
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), env: { NS_PW: password } };
  const code = await planCommand({ configFile, logLevel: 'silent', factories: () => ({ source: () => source, sink: () => sink }) }, io);
  const out = text(io.stdout);
  expect(code).toBe(1);
  expect(out).toContain('cannot read the pool: login refused for nsroot:[REDACTED]@adc');
  expect(out).not.toContain(`nsroot:${password}@`);
});
