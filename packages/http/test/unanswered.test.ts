/**
 * A server that accepts and never answers (a partition, a hung process) or stalls mid-answer: every call of the
 * follower fails with a TimeoutError instead of hanging, and a watch reports itself established only once the
 * real server accepted it — so the Informer does not take a hanging connect for a healthy quiet watch.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { TimeoutError } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpListWatch } from '../src/index.js';
import { type Loopback, loopback } from './loopback.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A TCP server on loopback that runs `onRequest` once a request's head has arrived, and never closes first. */
async function rawServer(onRequest: (socket: Socket) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        head = '';
        onRequest(socket);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`;
}

/** Whether `promise` has settled by the time already-queued work has run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  const first = await Promise.race([promise.then(() => true, () => true), new Promise((resolve) => setImmediate(() => resolve(marker)))]);
  return first !== marker;
}

describe('HttpListWatch against a server that does not answer', () => {
  it('a list whose answer never begins fails with a TimeoutError after requestTimeoutMs', async () => {
    const url = await rawServer(() => {}); // accepts, reads the request, says nothing
    const follower = new HttpListWatch<string>({ url, requestTimeoutMs: 150 });
    const error = await follower.list(AbortSignal.timeout(30_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).message).toMatch(/no answer in 150 ms/);
    expect((error as TimeoutError).retryable).toBe(true);
  });

  it('a list whose body stalls midway fails with a TimeoutError instead of hanging', async () => {
    const url = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"revision":"');
    });
    const follower = new HttpListWatch<string>({ url, requestTimeoutMs: 150 });
    const error = await follower.list(AbortSignal.timeout(30_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).message).toMatch(/went silent for 150 ms/);
  });

  it('a watch whose answer never begins is not established and fails with a TimeoutError', async () => {
    const url = await rawServer(() => {});
    const follower = new HttpListWatch<string>({ url, requestTimeoutMs: 150 });
    const stream = follower.watch('1', AbortSignal.timeout(30_000));
    const consumed = (async () => {
      for await (const _ of stream) return 'event';
      return 'ended';
    })();
    const error = await consumed.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(await settled(stream.established ?? Promise.resolve())).toBe(false);
  });

  it('a watch accepted by the real server is established before its first event', async () => {
    const served: Loopback = await loopback();
    cleanups.push(() => served.close());
    const follower = new HttpListWatch<string>({ url: served.url });
    const { revision } = await follower.list(AbortSignal.timeout(30_000));
    const stream = follower.watch(revision, AbortSignal.timeout(30_000));
    const iterator = stream[Symbol.asyncIterator]();
    const next = iterator.next(); // opens the request
    expect(stream.established).toBeInstanceOf(Promise);
    await stream.established;
    served.store.put('a', 'one');
    const first = await next;
    await iterator.return?.();
    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({ type: 'added', item: { key: 'a', value: 'one' } });
  });
});
