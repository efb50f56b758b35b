import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNitroxError, SourceError } from '@nitrox/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MarathonClient, MarathonSource } from '../src/index.js';
import { type MarathonSimulator, startMarathonSimulator, waitFor } from '../src/testing/index.js';

let sim: MarathonSimulator | undefined;
let source: MarathonSource | undefined;
afterEach(async () => {
  await source?.stop();
  await sim?.close();
  source = undefined;
  sim = undefined;
});

const password = 'pa55-w0rd-never-logged';
const token = 'dcos-token-never-logged';

/** Everything an error exposes: message, stack, causes, own properties. */
function exposed(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    parts.push(String(e), (e as Error).stack ?? '', JSON.stringify(e, Object.getOwnPropertyNames(e)));
    e = (e as Error).cause;
  }
  return parts.join('\n');
}

describe('auth', () => {
  it('authenticates with HTTP basic (from the URL) and never leaks the password', async () => {
    sim = await startMarathonSimulator({ auth: { username: 'nitrox', password }, apps: [{ id: '/web', instances: 2 }] });
    const url = new URL(sim.url);
    url.username = 'nitrox';
    url.password = password;
    source = new MarathonSource({ url: url.toString(), debounceMs: 10, maxWaitMs: 50 });
    const { items } = await source.list(AbortSignal.timeout(10_000));
    expect(items[0]?.value.members).toHaveLength(2);
    await waitFor(() => source?.stats.connects === 1);
  });

  it('authenticates with a DC/OS token', async () => {
    sim = await startMarathonSimulator({ auth: { token }, apps: [{ id: '/web', instances: 1 }] });
    source = new MarathonSource({ url: sim.url, auth: { token } });
    const { items } = await source.list(AbortSignal.timeout(10_000));
    expect(items).toHaveLength(1);
  });

  it('reports 401 as a SourceError with the status and without credentials', async () => {
    sim = await startMarathonSimulator({ auth: { token } });
    const client = new MarathonClient({ url: sim.url, auth: { username: 'nitrox', password } });
    const error = await client.listApps(AbortSignal.timeout(5_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).status).toBe(401);
    expect(exposed(error)).not.toContain(password);
    const streamError = await client.openEvents([], AbortSignal.timeout(5_000)).catch((e: unknown) => e);
    expect((streamError as SourceError).status).toBe(401);
    expect(exposed(streamError)).not.toContain(password);
    await client.close();

    const errors: unknown[] = [];
    source = new MarathonSource({ url: sim.url, auth: { token: 'wrong-but-secret' }, backoff: { initialMs: 5, maxMs: 20 } });
    source.on('error', (e) => errors.push(e));
    source.on('disconnected', (e) => errors.push(e));
    source.start();
    await waitFor(() => errors.length >= 4);
    expect(errors.every(isNitroxError)).toBe(true);
    for (const e of errors) expect(exposed(e)).not.toContain('wrong-but-secret');
  });

  it('reports an unreachable Marathon as a retryable SourceError', async () => {
    const client = new MarathonClient({ url: 'http://127.0.0.1:1', connectTimeoutMs: 2_000 });
    const error = await client.getAppTasks('/web', AbortSignal.timeout(5_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).retryable).toBe(true);
    await client.close();
  });
});

describe('failover', () => {
  it('moves to the next Marathon master after a transport error or a 5xx', async () => {
    sim = await startMarathonSimulator({ apps: [{ id: '/web', instances: 2 }] });
    const down = await startMarathonSimulator();
    const downUrl = down.url;
    await down.close();
    const errors: unknown[] = [];
    source = new MarathonSource({ url: [downUrl, sim.url], backoff: { initialMs: 5, maxMs: 20 } });
    source.on('error', (e) => errors.push(e));
    const { items } = await source.list(AbortSignal.timeout(10_000));
    expect(items[0]?.value.members).toHaveLength(2);
    await waitFor(() => source?.stats.connects === 1);
    await source.stop();

    const client = new MarathonClient({ url: [sim.url, sim.url.replace('127.0.0.1', 'localhost')] });
    sim.faults.failRequests({ count: 1, status: 503 });
    const first = client.baseUrl;
    await expect(client.listApps(AbortSignal.timeout(5_000))).rejects.toMatchObject({ status: 503 });
    expect(client.baseUrl).not.toBe(first);
    expect(await client.listApps(AbortSignal.timeout(5_000))).toHaveLength(1);
    await client.close();
  });
});

describe('TLS', () => {
  let dir = '';
  let key = '';
  let cert = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nitrox-marathon-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('follows an https Marathon trusted through the ca option', async () => {
    sim = await startMarathonSimulator({ tls: { key, cert }, apps: [{ id: '/web', instances: 2 }] });
    expect(sim.url.startsWith('https://')).toBe(true);
    source = new MarathonSource({ url: sim.url, tls: { ca: cert }, debounceMs: 10, maxWaitMs: 50 });
    await source.list(AbortSignal.timeout(10_000));
    await waitFor(() => source?.stats.connects === 1);
    sim.apps.scale('/web', 3);
    await waitFor(() => source?.get('/web')?.value.members.length === 3);
  });

  it('presents a client certificate for mutual TLS', async () => {
    sim = await startMarathonSimulator({ tls: { key, cert, clientCa: cert }, apps: [{ id: '/web', instances: 1 }] });
    const anonymous = new MarathonClient({ url: sim.url, tls: { ca: cert } });
    await expect(anonymous.listApps(AbortSignal.timeout(5_000))).rejects.toBeInstanceOf(SourceError);
    await anonymous.close();
    const client = new MarathonClient({ url: sim.url, tls: { ca: cert, cert, key } });
    expect(await client.listApps(AbortSignal.timeout(5_000))).toHaveLength(1);
    await client.close();
  });

  it('refuses an untrusted certificate', async () => {
    sim = await startMarathonSimulator({ tls: { key, cert } });
    const client = new MarathonClient({ url: sim.url });
    const error = await client.listApps(AbortSignal.timeout(5_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    await client.close();
  });
});
