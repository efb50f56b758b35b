import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { SourceError } from '@nitrox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from './engine-client.js';
import { readEngineEvents } from './engine-events.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const recorded = JSON.parse(readFileSync(join(fixtures, 'swarm-2node.json'), 'utf8')) as Record<string, unknown[]>;
const notManager = JSON.parse(readFileSync(join(fixtures, 'worker-services-503.json'), 'utf8')) as { status: number; body: unknown };

/** A fake Engine: answers like the recorded manager, or like the recorded worker for /worker paths. */
function handler(seen: string[]) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    seen.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.headers['x-worker'] === '1') {
      send(notManager.status, notManager.body);
      return;
    }
    if (req.headers['x-hang'] === '1') return; // never answers
    if (req.headers['x-quiet-events'] === '1') {
      // An event stream that stays quiet for longer than the client's request timeout.
      res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
      setTimeout(() => res.end('{"Type":"service","Action":"update","Actor":{"ID":"s1","Attributes":{}}}\n'), 400);
      return;
    }
    switch (url.pathname) {
      case '/v1.41/services':
        send(200, recorded.services);
        return;
      case '/v1.41/tasks':
        send(200, recorded.tasks);
        return;
      case '/v1.41/nodes':
        send(200, recorded.nodes);
        return;
      case '/v1.41/events':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"Type":"service","Action":"update","Actor":{"ID":"s1","Attributes":{}}}\n');
        res.write('garbage\n');
        res.end('{"Type":"node","Action":"update","Actor":{"ID":"n1","Attributes":{}}}\n');
        return;
      default:
        send(404, { message: 'page not found' });
    }
  };
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

describe('EngineClient', () => {
  const seen: string[] = [];
  const server = createServer(handler(seen));
  let port = 0;
  let certDir = '';
  beforeAll(async () => {
    port = await listen(server);
    certDir = mkdtempSync(join(tmpdir(), 'nitrox-swarm-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'),
    ], { stdio: 'ignore' });
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('reads services (status=true), tasks (desired running, by service) and nodes over TCP with /v1.41 paths', async () => {
    const client = new EngineClient({ host: '127.0.0.1', port });
    const signal = new AbortController().signal;
    expect(await client.services(signal)).toHaveLength(recorded.services?.length ?? -1);
    expect(await client.tasks(signal, ['a', 'b'])).toHaveLength(recorded.tasks?.length ?? -1);
    expect(await client.nodes(signal)).toHaveLength(2);
    const [services, tasks] = seen.slice(-3).map((u) => new URL(u, 'http://x'));
    expect(services?.searchParams.get('status')).toBe('true');
    expect(JSON.parse(tasks?.searchParams.get('filters') ?? '{}')).toEqual({ 'desired-state': ['running'], service: ['a', 'b'] });
  });

  it('follows DOCKER_HOST when given no options', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    try {
      const client = new EngineClient();
      expect(client.endpoint).toBe(`127.0.0.1:${port}`);
      expect(await client.nodes(new AbortController().signal)).toHaveLength(2);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('speaks TLS with ca, cert and key', async () => {
    const cert = readFileSync(join(certDir, 'cert.pem'));
    const key = readFileSync(join(certDir, 'key.pem'));
    const tls = createHttpsServer({ cert, key }, handler([]));
    const tlsPort = await listen(tls as unknown as Server);
    try {
      const client = new EngineClient({ host: '127.0.0.1', port: tlsPort, ca: cert, cert, key });
      expect(await client.nodes(new AbortController().signal)).toHaveLength(2);
    } finally {
      tls.close();
    }
  });

  it('maps a 503 to a clear SourceError: not a swarm manager', async () => {
    const client = new EngineClient({ host: '127.0.0.1', port, headers: { 'x-worker': '1' } });
    const error = await client.services(new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect((error as Error).message).toMatch(/not a swarm manager.*Worker nodes can't be used/);
  });

  it('streams events; malformed lines are reported, the rest still arrive', async () => {
    const client = new EngineClient({ host: '127.0.0.1', port });
    const stream = await client.events(new AbortController().signal, { types: ['service', 'node'], sinceNano: 1_700_000_000_123_456_789n });
    const malformed: Error[] = [];
    const types: string[] = [];
    for await (const e of readEngineEvents(stream, (m) => malformed.push(m))) types.push(e.Type);
    expect(types).toEqual(['service', 'node']);
    expect(malformed).toHaveLength(1);
    expect(new URL(seen.at(-1) ?? '', 'http://x').searchParams.get('since')).toBe('1700000000.123456789');
  });

  it('times out a hung request and never puts credentials in errors', async () => {
    const secret = 'Bearer sekrit-token-123';
    const hung = new EngineClient({ host: '127.0.0.1', port, requestTimeoutMs: 100, headers: { authorization: secret, 'x-hang': '1' } });
    const timeout = await hung
      .services(new AbortController().signal)
      .then(() => new Error('answered'))
      .catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(SourceError);
    expect((timeout as Error).message).toMatch(/timed out after 100 ms/);
    // Opening the event stream is bounded too (a peer that accepts and never answers); an open stream is not.
    const hungEvents = await hung.events(new AbortController().signal, { types: ['service'] }).catch((e: unknown) => e);
    expect(hungEvents).toBeInstanceOf(SourceError);
    expect((hungEvents as Error).message).toMatch(/GET \/events .*timed out after 100 ms/);
    const quiet = new EngineClient({ host: '127.0.0.1', port, requestTimeoutMs: 100, headers: { 'x-quiet-events': '1' } });
    const stream = await quiet.events(new AbortController().signal, { types: ['service'] });
    const types: string[] = [];
    for await (const e of readEngineEvents(stream, () => {})) types.push(e.Type);
    expect(types).toEqual(['service']);
    const refused = new EngineClient({ host: '127.0.0.1', port: 1, headers: { authorization: secret }, key: 'KEY-MATERIAL-XYZ' });
    const error = await refused.nodes(new AbortController().signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NITROX_SOURCE', peerCode: 'ECONNREFUSED' });
    for (const e of [timeout, error]) {
      const text = `${String(e)} ${JSON.stringify(e)} ${inspect(e, { depth: 5 })}`;
      expect(text).not.toContain('sekrit');
      expect(text).not.toContain('KEY-MATERIAL');
    }
  });
});
