#!/usr/bin/env node
// Makes sure the Debian packages that the integration tests need are present before `npm test` runs them.
// As root it installs what is missing with apt-get; otherwise it fails and prints the exact command to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian package → a file that proves it is installed. */
const required = {
  'docker.io': '/usr/sbin/dockerd',
  'busybox-static': '/bin/busybox',
  iproute2: '/usr/sbin/ip',
  openssl: '/usr/bin/openssl', // TLS test certificates (swarm engine-client test; the Kubernetes simulator's CA)
  'kubernetes-client': '/usr/bin/kubectl', // kubectl, driven against the Kubernetes simulator (any kubectl on PATH there will do)
  'python3-kubernetes': '/usr/lib/python3/dist-packages/kubernetes/__init__.py', // the official Python client, same tests
  'python3-marathon': '/usr/lib/python3/dist-packages/marathon/client.py', // Marathon's Python client against the simulator
  curl: '/usr/bin/curl', // the Marathon simulator as an operator's curl sees it
  haproxy: '/usr/sbin/haproxy', // the haproxy sink's integration and data-path tests
  'etcd-server': '/usr/bin/etcd', // @nitrox/etcd's tests start single-node and 3-node etcd clusters on loopback
  'etcd-client': '/usr/bin/etcdctl', // etcdctl, to compact and inspect the test clusters
  chromium: '/usr/bin/chromium', // the dashboard's browser test (driven by playwright-core, never a downloaded browser)
};

const missing = Object.entries(required)
  .filter(([, file]) => !existsSync(file) && !existsSync(file.replace('/usr/sbin/', '/usr/bin/')))
  .map(([pkg]) => pkg);

if (missing.length === 0) process.exit(0);

const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
if (typeof process.getuid === 'function' && process.getuid() === 0) {
  console.log(`setup: installing ${missing.join(', ')} (needed by the integration tests)`);
  const result = spawnSync('sh', ['-c', command], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) {
    console.error(`setup: installing failed; run as root: ${command}`);
    process.exit(1);
  }
} else {
  console.error(`setup: missing Debian packages ${missing.join(', ')}. Run as root:\n  ${command}`);
  process.exit(1);
}
