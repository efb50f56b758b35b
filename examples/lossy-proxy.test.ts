import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { waitFor } from '@nitrox/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { LossyProxy, type LossyProxyOptions } from './lossy-proxy.js';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** An echo server on loopback. */
async function echoServer(): Promise<number> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function proxyTo(port: number, options: Omit<LossyProxyOptions, 'target'>): Promise<LossyProxy> {
  const proxy = new LossyProxy({ target: () => port, ...options });
  await proxy.listen();
  closers.push(() => proxy.close());
  return proxy;
}

/** Resolve when `socket` closes (events.once would reject on the reset's 'error'). */
const closed = (socket: Socket): Promise<void> => new Promise((resolve) => socket.once('close', () => resolve()));

/** Connect, write `text`, and collect what comes back until `expected` bytes arrived or the connection ends. */
async function exchange(port: number, text: string): Promise<{ echoed: string; reset: boolean }> {
  const socket: Socket = connect(port, '127.0.0.1');
  let echoed = '';
  let reset = false;
  socket.on('data', (chunk: Buffer) => {
    echoed += chunk.toString();
    if (echoed.length >= text.length) socket.end();
  });
  socket.on('error', () => {
    reset = true;
  });
  socket.write(text);
  await closed(socket);
  return { echoed, reset };
}

describe('LossyProxy', () => {
  it('delays chunks but keeps their order inside a connection', async () => {
    const proxy = await proxyTo(await echoServer(), { latencyMs: [0, 20] });
    const socket = connect(proxy.port, '127.0.0.1');
    let echoed = '';
    socket.on('data', (chunk: Buffer) => {
      echoed += chunk.toString();
    });
    const sent = Array.from({ length: 50 }, (_, i) => `<${i}>`);
    for (const part of sent) {
      socket.write(part);
      await new Promise((resolve) => setImmediate(resolve)); // separate chunks, so each gets its own latency
    }
    await waitFor(() => echoed.length === sent.join('').length || undefined, { what: 'the echo' });
    socket.destroy();
    expect(echoed).toBe(sent.join(''));
    expect(proxy.stats.chunks).toBeGreaterThan(2);
    expect(proxy.stats.bytes).toBe(2 * echoed.length);
    expect(proxy.stats.cuts).toBe(0);
  });

  it('reorders across connections: chunks sent later on another connection overtake', async () => {
    const proxy = await proxyTo(await echoServer(), { latencyMs: [0, 50] });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => exchange(proxy.port, `message ${i}`)));
    expect(results.every((r, i) => r.echoed === `message ${i}`)).toBe(true);
    expect(proxy.stats.overtaken).toBeGreaterThan(0);
  });

  it('cuts: a chunk that draws a cut breaks the connection, and nothing of it arrives', async () => {
    const proxy = await proxyTo(await echoServer(), { cutChance: 1 });
    const { echoed, reset } = await exchange(proxy.port, 'lost');
    expect(echoed).toBe('');
    expect(reset).toBe(true);
    expect(proxy.stats).toMatchObject({ connections: 1, cuts: 1, chunks: 0, bytes: 0 });
  });

  it('refuses: a new connection is reset at once', async () => {
    const proxy = await proxyTo(await echoServer(), { refuseChance: 1 });
    const { echoed } = await exchange(proxy.port, 'refused');
    expect(echoed).toBe('');
    expect(proxy.stats).toMatchObject({ connections: 1, refused: 1, chunks: 0 });
  });

  it('cut() partitions until restore()', async () => {
    const proxy = await proxyTo(await echoServer(), {});
    const open = connect(proxy.port, '127.0.0.1');
    open.on('error', () => {});
    await new Promise((resolve) => open.once('connect', resolve));
    await waitFor(() => proxy.stats.connections === 1 || undefined, { what: 'the proxy to accept' });
    proxy.cut();
    await closed(open);
    expect((await exchange(proxy.port, 'during')).echoed).toBe('');
    proxy.restore();
    expect((await exchange(proxy.port, 'after')).echoed).toBe('after');
    expect(proxy.stats.refused).toBe(1);
    expect(proxy.stats.cuts).toBe(1); // one connection (a client/upstream pair) broken
  });

  it('a seed fixes the fault schedule of the same traffic', async () => {
    const port = await echoServer();
    const schedule = async (seed: number): Promise<boolean[]> => {
      const proxy = await proxyTo(port, { seed, cutChance: 0.5 });
      const cut: boolean[] = [];
      for (let i = 0; i < 12; i++) cut.push((await exchange(proxy.port, 'x')).echoed === '');
      return cut;
    };
    const first = await schedule(42);
    expect(await schedule(42)).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });
});
