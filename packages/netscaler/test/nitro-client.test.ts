import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, isNitroxError, SinkError, VirtualClock } from '@nitrox/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NitroError } from '../src/errors.js';
import { NitroClient } from '../src/nitro-client.js';
import { resolveNitroClientOptions } from '../src/nitro-client-options.js';
import { client, dump, PASSWORD, recordingLogger, simulator, USERNAME } from './helpers.js';

const MEMBER = 'servicegroup_servicegroupmember_binding';
const open: Array<{ close(): Promise<void> }> = [];
async function track<T extends { close(): Promise<void> }>(x: T | Promise<T>): Promise<T> {
  const v = await x;
  open.push(v);
  return v;
}
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

describe('NitroClient sessions', () => {
  it('logs in once and reuses the NITRO_AUTH_TOKEN for every request', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim));
    for (let i = 0; i < 5; i++) expect(await c.get('lbvserver', { name: 'vs-web' })).toHaveLength(1);
    expect(sim.requestLog.count({ type: 'login' })).toBe(1);
    expect(sim.requestLog.entries.filter((e) => e.type === 'lbvserver').every((e) => e.auth === 'session')).toBe(true);
    expect(c.stats.logins).toBe(1);
  });

  it('logs in again when the session is killed and retries the request once', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim));
    await c.get('lbvserver');
    sim.faults.killSessions();
    expect(await c.get('lbvserver')).toHaveLength(1);
    expect(c.stats).toMatchObject({ logins: 2, relogins: 1 });
    const statuses = sim.requestLog.entries.map((e) => `${e.type}:${e.status}`);
    expect(statuses).toEqual(['login:201', 'lbvserver:200', 'lbvserver:401', 'login:201', 'lbvserver:200']);
  });

  it('recovers from a session that expires by idle timeout on the appliance clock', async () => {
    const clock = new VirtualClock();
    const sim = await track(simulator({ clock }));
    const c = await track(client(sim, { sessionTimeoutSeconds: 60 }));
    await c.get('lbvserver');
    await clock.advance(59_000);
    await c.get('lbvserver');
    expect(sim.requestLog.count({ type: 'login' })).toBe(1); // idle timer was reset by use
    await clock.advance(61_000);
    await c.get('lbvserver');
    expect(sim.requestLog.count({ type: 'login' })).toBe(2);
    expect(sim.requestLog.count({ type: 'lbvserver', errorcode: 444 })).toBe(1);
  });

  it('shares one re-login among concurrent requests', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim, { maxConcurrent: 4 }));
    await c.login();
    sim.faults.killSessions();
    await Promise.all(Array.from({ length: 8 }, () => c.get('lbvserver')));
    expect(sim.requestLog.count({ type: 'login' })).toBe(2);
  });

  it('gives up after one retry when the session keeps failing', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim));
    sim.faults.failNext({ status: 401, errorcode: 444, message: 'Session expired', type: 'lbvserver', times: 2 });
    const error = await c.get('lbvserver').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NitroError);
    expect((error as NitroError).errorcode).toBe(444);
    expect(sim.requestLog.count({ type: 'lbvserver' })).toBe(2);
  });

  it('refuses bad credentials with a non-retryable error that does not contain the password', async () => {
    const sim = await track(simulator());
    const logger = recordingLogger();
    const c = await track(new NitroClient({ url: sim.url, username: USERNAME, password: 'wrong-Pa55word', logger }));
    const error = await c.login().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NitroError);
    expect(error).toBeInstanceOf(SinkError);
    expect(isNitroxError(error)).toBe(true);
    expect(error).toMatchObject({ errorcode: 354, status: 401, peerCode: 354, retryable: false, code: 'NITROX_SINK' });
    expect(dump(error)).not.toContain('wrong-Pa55word');
    expect(dump(logger.lines)).not.toContain('wrong-Pa55word');
  });

  it('sessionless mode sends X-NITRO-USER/X-NITRO-PASS and never logs in', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim, { auth: 'headers' }));
    await c.get('lbvserver');
    await c.add('servicegroup', { servicegroupname: 'sg1', servicetype: 'HTTP' });
    expect(sim.requestLog.count({ type: 'login' })).toBe(0);
    expect(sim.requestLog.entries.every((e) => e.auth === 'headers')).toBe(true);
    const bad = await track(client(sim, { auth: 'headers', password: 'nope' }));
    await expect(bad.get('lbvserver')).rejects.toMatchObject({ errorcode: 354, status: 401 });
  });

  it('logs out on close and refuses requests afterwards', async () => {
    const sim = await track(simulator());
    const c = client(sim);
    await c.get('lbvserver');
    expect(sim.activeSessions).toBe(1);
    await c.close();
    expect(sim.requestLog.count({ type: 'logout' })).toBe(1);
    expect(sim.activeSessions).toBe(0);
    await expect(c.get('lbvserver')).rejects.toBeInstanceOf(NitroError);
  });
});

describe('NitroClient requests', () => {
  it('encodes names so that spaces and # survive', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim));
    await c.add('servicegroup', { servicegroupname: 'my app #1', servicetype: 'TCP' });
    const [sg] = await c.get('servicegroup', { name: 'my app #1' });
    expect(sg).toMatchObject({ servicegroupname: 'my app #1', servicetype: 'TCP' });
    await c.add(MEMBER, { servicegroupname: 'my app #1', ip: 'fe80::1', port: 80 });
    await c.remove(MEMBER, 'my app #1', { ip: 'fe80::1', port: 80 });
    expect(sim.state.members('my app #1')).toEqual([]);
    expect(await c.tryGet('servicegroup', { name: 'absent' })).toBeUndefined();
    await expect(c.get('servicegroup', { name: 'absent' })).rejects.toMatchObject({ errorcode: 258, status: 404 });
  });

  it('filters, projects and counts', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim));
    await c.bulk('POST', 'servicegroup', [
      { servicegroupname: 'a', servicetype: 'HTTP', comment: 'x' },
      { servicegroupname: 'b', servicetype: 'TCP' },
    ]);
    expect(await c.get('servicegroup', { filter: { servicetype: 'TCP' }, attrs: ['servicegroupname'] })).toEqual([
      { servicegroupname: 'b' },
    ]);
    expect(await c.count('servicegroup')).toBe(2);
    expect(await c.get(MEMBER, { name: 'a' })).toEqual([]); // empty binding: 200 without the key
  });

  it('bulk writes report one result per item (207 with X-NITRO-ONERROR: continue)', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim));
    await c.add('servicegroup', { servicegroupname: 'sg', servicetype: 'HTTP' });
    const results = await c.bulk('POST', MEMBER, [
      { servicegroupname: 'sg', ip: '10.0.0.1', port: 80 },
      { servicegroupname: 'sg', ip: '10.0.0.2', port: 70000 },
      { servicegroupname: 'sg', ip: '10.0.0.3', port: 80 },
    ]);
    expect(results.map((r) => r.errorcode)).toEqual([0, 278, 0]);
    const entry = sim.requestLog.entries.at(-1);
    expect(entry).toMatchObject({ status: 207, errorcode: 1243, onError: 'continue', items: 3 });
    expect(sim.state.members('sg')).toEqual(['10.0.0.1:80', '10.0.0.3:80']);
  });

  it('bulk action: POST ?action=unbind unbinds many members in one request, one result per item', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim));
    await c.add('servicegroup', { servicegroupname: 'sg', servicetype: 'HTTP' });
    await c.bulk('POST', MEMBER, [1, 2, 3].map((i) => ({ servicegroupname: 'sg', ip: `10.0.0.${i}`, port: 80 })));
    const results = await c.bulk(
      'POST',
      MEMBER,
      [
        { servicegroupname: 'sg', servername: '10.0.0.1', port: 80 },
        { servicegroupname: 'sg', servername: '10.0.0.9', port: 80 },
        { servicegroupname: 'sg', servername: '10.0.0.3', port: 80 },
      ],
      { action: 'unbind' },
    );
    expect(results.map((r) => r.errorcode)).toEqual([0, 258, 0]);
    expect(sim.requestLog.entries.at(-1)).toMatchObject({ method: 'POST', query: { action: 'unbind' }, status: 207, items: 3 });
    expect(sim.state.members('sg')).toEqual(['10.0.0.2:80']);
    await expect(c.bulk('PUT', MEMBER, [{}], { action: 'unbind' })).rejects.toThrow(/must use POST/);
  });

  it('counts requests by result: ok, errorcode, status class, timeout; the counts add up to requests', async () => {
    const sim = await track(simulator());
    const clock = new VirtualClock();
    const c = await track(client(sim, { clock, timeoutMs: 30_000 }));
    expect(c.stats.results).toEqual({});
    await c.get('lbvserver');
    expect(await c.tryGet('servicegroup', { name: 'missing' })).toBeUndefined();
    sim.faults.connectionLimit(1);
    await c.get('lbvserver').catch(() => undefined);
    sim.faults.serverError(1, 503);
    await c.get('lbvserver').catch(() => undefined);
    sim.faults.failNext({ status: 502, type: 'lbvserver', times: 1, errorcode: 0, message: '' });
    await c.get('lbvserver').catch(() => undefined);
    sim.faults.killSessions();
    await c.get('lbvserver');
    await c.add('servicegroup', { servicegroupname: 'sg', servicetype: 'HTTP' });
    await c.bulk('POST', MEMBER, [
      { servicegroupname: 'sg', ip: '10.0.0.1', port: 80 },
      { servicegroupname: 'sg', ip: '10.0.0.2', port: 0 },
    ]);
    sim.faults.latencyMs = 1_000;
    let settled = false;
    const slow = c.get('lbvserver').catch(() => undefined).finally(() => {
      settled = true;
    });
    // The deadline runs on the virtual clock: advance it until the request gives up.
    for (let i = 0; i < 500 && !settled; i++) {
      await clock.advance(30_000);
      await new Promise((r) => setImmediate(r));
    }
    await slow;
    sim.faults.latencyMs = 0;
    const { results, requests } = c.stats;
    expect(results).toEqual({
      ok: 5, // login, get, re-login, the retried get, add
      'errorcode:258': 1,
      'errorcode:446': 1,
      'errorcode:444': 1,
      'errorcode:1243': 1,
      'http:5xx': 2,
      timeout: 1,
    });
    expect(Object.values(results).reduce<number>((a, b) => a + (b ?? 0), 0)).toBe(requests);
  });

  it('maps 5xx and 446 to retryable NitroErrors with status and errorcode', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim));
    sim.faults.serverError(1, 503);
    await expect(c.get('lbvserver')).rejects.toMatchObject({ status: 503, retryable: true });
    sim.faults.connectionLimit(1);
    const error = (await c.get('lbvserver').catch((e: unknown) => e)) as NitroError;
    expect(error).toMatchObject({ status: 599, errorcode: 446, nitroMessage: 'Connection limit to CFE exceeded', retryable: true });
    expect(error.message).toContain('GET /nitro/v1/config/lbvserver');
    expect(await c.get('lbvserver')).toHaveLength(1);
  });

  it('never has more than maxConcurrent requests in flight', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim, { maxConcurrent: 2 }));
    await c.login();
    sim.faults.latencyMs = 20;
    await Promise.all(Array.from({ length: 10 }, () => c.get('lbvserver')));
    expect(sim.maxInFlight).toBeLessThanOrEqual(2);
    expect(sim.maxInFlight).toBe(2);
    expect(c.stats.maxInFlight).toBe(2);
  });

  it('times out a request that takes too long', async () => {
    const sim = await track(simulator());
    const c = await track(client(sim, { timeoutMs: 50 }));
    await c.login();
    sim.faults.latencyMs = 1_000;
    const error = (await c.get('lbvserver').catch((e: unknown) => e)) as NitroError;
    expect(error).toBeInstanceOf(NitroError);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/timed out after 50 ms/);
  });

  it('validates options eagerly, naming the option, never echoing the password', () => {
    expect(() => new NitroClient({ url: 'ftp://x', username: 'u', password: 'p' })).toThrow(ConfigError);
    expect(() => new NitroClient({ url: 'http://u:hunter2@ns', username: 'u', password: 'p' })).toThrow(/url: must not contain credentials/);
    expect(() => new NitroClient({ url: 'http://ns', username: '', password: 'p' })).toThrow(/username/);
    expect(() => new NitroClient({ url: 'http://ns', username: 'u', password: 'p', maxConcurrent: 0 })).toThrow(/maxConcurrent/);
    try {
      new NitroClient({ url: 'http://u:hunter2@ns', username: 'u', password: 'hunter2' });
      expect.unreachable('a URL with credentials must be refused');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError); // not the unreachable assertion above
      expect(dump(error)).not.toContain('hunter2');
    }
  });

  it('keeps the password out of network errors and of resolved options', async () => {
    const sim = await track(simulator());
    const url = sim.url;
    await sim.close();
    const logger = recordingLogger();
    const c = await track(new NitroClient({ url, username: USERNAME, password: PASSWORD, logger, timeoutMs: 5_000 }));
    const error = (await c.get('lbvserver').catch((e: unknown) => e)) as NitroError;
    expect(error).toBeInstanceOf(NitroError);
    expect(error.retryable).toBe(true);
    expect(error.status).toBeUndefined();
    expect(dump(error)).not.toContain(PASSWORD);
    expect(dump(logger.lines)).not.toContain(PASSWORD);
    const resolved = resolveNitroClientOptions({ url, username: USERNAME, password: PASSWORD });
    expect(resolved.password).toBe(PASSWORD);
    expect(JSON.stringify(resolved)).not.toContain(PASSWORD);
    expect(inspect(resolved)).not.toContain(PASSWORD);
    expect(inspect(c, { depth: 5 })).not.toContain(PASSWORD);
  });

  it('never puts the password in logs or errors during a whole session', async () => {
    const sim = await track(simulator());
    const logger = recordingLogger();
    const c = await track(client(sim, { logger }));
    await c.get('lbvserver');
    sim.faults.killSessions();
    await c.get('lbvserver');
    sim.faults.serverError(1);
    const error = await c.get('lbvserver').catch((e: unknown) => e);
    expect(logger.lines.length).toBeGreaterThan(3);
    expect(dump(logger.lines)).not.toContain(PASSWORD);
    expect(dump(error)).not.toContain(PASSWORD);
    expect(dump(sim.requestLog.entries)).not.toContain(PASSWORD);
  });
});

describe('NitroClient TLS', () => {
  let dir = '';
  let key = '';
  let cert = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nitro-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies the certificate by default, trusts a given CA, skips only when asked', async () => {
    const sim = await track(simulator({ tls: { key, cert } }));
    expect(sim.url).toMatch(/^https:/);
    const strict = await track(client(sim));
    await expect(strict.get('lbvserver')).rejects.toMatchObject({ retryable: true, code: 'NITROX_SINK' });
    const withCa = await track(client(sim, { ca: cert }));
    expect(await withCa.get('lbvserver')).toHaveLength(1);
    const insecure = await track(client(sim, { insecureSkipVerify: true }));
    expect(await insecure.get('lbvserver')).toHaveLength(1);
  });
});
