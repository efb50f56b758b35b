import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { SourceError } from '@nitrox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTls, KubeConnection } from './kube-connection.js';
import { KubeListWatch } from './kube-list-watch.js';

const dir = join(import.meta.dirname, '../test/fixtures/tls');
const pem = (name: string): string => readFileSync(join(dir, name), 'utf8');
const b64 = (name: string): string => Buffer.from(pem(name)).toString('base64');

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer(
    { key: pem('server.key'), cert: pem('server.crt'), ca: pem('ca.crt'), requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const authorized = (req.socket as unknown as { authorized: boolean }).authorized;
      res.writeHead(authorized ? 200 : 401, { 'content-type': 'application/json' });
      res.end(
        authorized
          ? '{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}'
          : '{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}',
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function kubeConfig(cluster: Record<string, unknown>, user: Record<string, unknown>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, ...cluster }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

async function listNodes(kc: KubeConfig): Promise<unknown> {
  const connection = new KubeConnection({ kubeConfig: kc });
  try {
    return await new KubeListWatch({ connection, resource: 'nodes' }).list(new AbortController().signal);
  } catch (error) {
    return error;
  } finally {
    await connection.close();
  }
}

describe('KubeConnection TLS from a KubeConfig', () => {
  it('verifies the server with the cluster CA and presents the client certificate (inline data)', async () => {
    const kc = kubeConfig({ caData: b64('ca.crt') }, { certData: b64('client.crt'), keyData: b64('client.key') });
    expect(describeTls(kc)).toEqual({ verify: true, hasCa: true, hasClientCert: true });
    expect(await listNodes(kc)).toEqual({ revision: '7', items: [] });
  });

  it('reads CA, certificate and key from files', async () => {
    const kc = kubeConfig(
      { caFile: join(dir, 'ca.crt') },
      { certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') },
    );
    expect(await listNodes(kc)).toEqual({ revision: '7', items: [] });
  });

  it('refuses an unknown server certificate unless insecure-skip-tls-verify is set', async () => {
    const refused = await listNodes(kubeConfig({}, { certData: b64('client.crt'), keyData: b64('client.key') }));
    expect(refused).toBeInstanceOf(SourceError);
    expect((refused as SourceError).message).not.toContain('PRIVATE KEY');
    const insecure = kubeConfig({ skipTLSVerify: true }, { certData: b64('client.crt'), keyData: b64('client.key') });
    expect(describeTls(insecure).verify).toBe(false);
    expect(await listNodes(insecure)).toEqual({ revision: '7', items: [] });
  });

  it('answers a missing client certificate with SourceError 401', async () => {
    const error = await listNodes(kubeConfig({ caData: b64('ca.crt') }, {}));
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).status).toBe(401);
  });

  it('validates the kubeconfig eagerly', () => {
    expect(() => new KubeConnection({ kubeConfig: new KubeConfig() })).toThrow(/kubeConfig/);
    expect(() => new KubeConnection({ kubeConfig: kubeConfig({}, {}), tokenRefreshMs: 0 })).toThrow(/tokenRefreshMs/);
  });
});
