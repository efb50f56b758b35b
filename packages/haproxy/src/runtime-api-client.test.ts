/**
 * RuntimeApiClient against a scripted unix-socket peer that speaks the Runtime API's framing: replies in
 * order for a pipelined batch (split across chunks), a renewed session, a peer that never answers
 * (deadline → retryable), a peer that closes mid-batch, and no line with a second command ever written.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeApiClient } from './runtime-api-client.js';

let server: Server | undefined;
let dir = '';
const received: string[] = [];

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  received.length = 0;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A peer that answers each line with `answer(line)` in interactive framing, byte by byte when `dribble`. */
async function peer(answer: (line: string, socket: Socket) => string | undefined, dribble = false): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'nitrox-rapi-'));
  const path = join(dir, 's.sock');
  server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        received.push(line);
        if (line === 'quit') return void socket.end();
        const reply = line === 'prompt' ? '\n> ' : answer(line, socket);
        if (reply === undefined) continue;
        if (dribble) for (const ch of reply) socket.write(ch);
        else socket.write(reply);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server?.listen(path, r));
  return path;
}

describe('RuntimeApiClient', () => {
  it('returns pipelined replies in order, even when they arrive a byte at a time', async () => {
    const socket = await peer((line) => `${line.toUpperCase()}\n\n> `, true);
    const client = new RuntimeApiClient({ socket });
    expect(await client.send(['show a', 'show b', 'show c'])).toEqual(['SHOW A', 'SHOW B', 'SHOW C']);
    expect(await client.send(['show d'])).toEqual(['SHOW D']);
    expect(client.stats.connections).toBe(1);
    client.renew();
    expect(await client.send(['show e'])).toEqual(['SHOW E']);
    expect(client.stats.connections).toBe(2);
    expect(received.filter((l) => l === 'quit')).toHaveLength(1);
    await client.close();
  });

  it('fails a batch HAProxy never answers with a retryable connection error', async () => {
    const socket = await peer(() => undefined);
    const client = new RuntimeApiClient({ socket, timeoutMs: 200 });
    await expect(client.send(['show info'])).rejects.toMatchObject({ code: 'NITROX_SINK', peerCode: 'connection', retryable: true });
    await client.close();
  });

  it('fails the pending commands when HAProxy closes the session, and reconnects for the next', async () => {
    let first = true;
    const socket = await peer((line, s) => {
      if (first && line === 'show b') {
        first = false;
        s.destroy();
        return undefined;
      }
      return `ok ${line}\n\n> `;
    });
    const client = new RuntimeApiClient({ socket });
    await expect(client.send(['show a', 'show b'])).rejects.toMatchObject({ peerCode: 'connection', retryable: true });
    expect(await client.send(['show c'])).toEqual(['ok show c']);
    await client.close();
  });

  it('refuses a command holding a second command before writing anything', async () => {
    const socket = await peer((line) => `${line}\n\n> `);
    const client = new RuntimeApiClient({ socket, session: 'per-command' });
    await expect(client.send(['show info', 'show info;shutdown sessions server be/s'])).rejects.toMatchObject({ peerCode: 'invalid-input', retryable: false });
    expect(received).toEqual([]);
    await client.close();
  });
});
