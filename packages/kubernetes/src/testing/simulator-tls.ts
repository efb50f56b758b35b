/**
 * TLS material of the API-server simulator: a self-signed CA generated at start, a server certificate for
 * 127.0.0.1/localhost and a client certificate (CN `nitrox-simulator`, O `system:masters`) signed by it, made
 * with the `openssl` command (the Debian package `openssl`, which `scripts/setup.mjs` installs); and the
 * kubeconfig documents that kubectl, the official Python client and client-node read.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM material of a simulator with TLS. */
export interface TlsMaterial {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** Generate a fresh CA, server and client certificates (EC P-256, valid one day) with `openssl`. */
export async function generateTlsMaterial(): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-sim-tls-'));
  const at = (name: string): string => join(dir, name);
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await run('openssl', ['req', '-x509', ...key, '-days', '1', '-subj', '/CN=nitrox-simulator-ca', '-keyout', at('ca.key'), '-out', at('ca.crt'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const leaf = async (name: string, subject: string, extensions: string): Promise<void> => {
      await run('openssl', ['req', ...key, '-subj', subject, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`)]);
      await writeFile(at(`${name}.ext`), extensions);
      await run('openssl', ['x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial',
        '-days', '1', '-out', at(`${name}.crt`), '-extfile', at(`${name}.ext`)]);
    };
    await leaf('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
    await leaf('client', '/O=system:masters/CN=nitrox-simulator', 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
    const read = (name: string): Promise<string> => readFile(at(name), 'utf8');
    return {
      caCert: await read('ca.crt'),
      serverCert: await read('server.crt'),
      serverKey: await read('server.key'),
      clientCert: await read('client.crt'),
      clientKey: await read('client.key'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** How a kubeconfig authenticates. */
export interface KubeconfigCredentials {
  readonly token?: string | undefined;
  readonly clientCert?: string | undefined;
  readonly clientKey?: string | undefined;
}

const base64 = (text: string): string => Buffer.from(text).toString('base64');

/**
 * A kubeconfig document (JSON, which is YAML) for one cluster, user and context named `simulator`, with the CA
 * and client certificate inlined (`certificate-authority-data`, `client-certificate-data`, `client-key-data`).
 */
export function kubeconfigDocument(server: string, caCert: string | undefined, credentials: KubeconfigCredentials, namespace: string): string {
  const user: Record<string, string> = {};
  if (credentials.token !== undefined) user.token = credentials.token;
  if (credentials.clientCert !== undefined && credentials.clientKey !== undefined) {
    user['client-certificate-data'] = base64(credentials.clientCert);
    user['client-key-data'] = base64(credentials.clientKey);
  }
  const cluster: Record<string, string> = { server };
  if (caCert !== undefined) cluster['certificate-authority-data'] = base64(caCert);
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'simulator', cluster }],
      users: [{ name: 'simulator', user }],
      contexts: [{ name: 'simulator', context: { cluster: 'simulator', user: 'simulator', namespace } }],
      'current-context': 'simulator',
      preferences: {},
    },
    null,
    2,
  )}\n`;
}
