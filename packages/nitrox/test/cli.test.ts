/**
 * The `nitrox` command end to end, spawned as a user runs it, against the Kubernetes API-server simulator and
 * the NITRO simulator over loopback HTTP: `run` converges and `/metrics` shows it, follows a change, and exits
 * cleanly on SIGTERM (logging out); `plan` makes no write; an invalid configuration exits 2 naming the field;
 * `demo` completes with exit code 0. Secrets never appear in any output.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endpointSlice, type KubeSimulator, node, service, startKubeSimulator } from '@nitrox/kubernetes/testing';
import { type NitroSimulator, startNitroSimulator } from '@nitrox/netscaler/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, exitWithin, killAll, logLines, runCli, spawnCli, waitFor } from './helpers.js';

const password = 'n1tro-Secret-Pa55';
const token = 'kube-Token-0123456789';
let kube: KubeSimulator;
let nitro: NitroSimulator;
let dir: string;
let configFile: string;

function seedEndpoints(ips: string[]): void {
  kube.store.apply(
    endpointSlice({
      name: 'web-x1',
      service: 'web',
      endpoints: ips.map((ip) => ({ ip, nodeName: 'n1' })),
      ports: [{ name: 'http', port: 8080 }],
    }),
  );
}

beforeAll(async () => {
  kube = await startKubeSimulator({ token, bookmarkIntervalMs: 500 });
  nitro = await startNitroSimulator({ username: 'nsroot', password });
  nitro.state.addLbvserver({ name: 'vs-web', servicetype: 'HTTP', ipv46: '192.0.2.1', port: 80 });
  kube.store.apply(node({ name: 'n1', internalIP: '10.0.0.1' }));
  kube.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
  seedEndpoints(['10.1.0.1', '10.1.0.2']);
  dir = await mkdtemp(join(tmpdir(), 'nitrox-cli-'));
  await writeFile(join(dir, 'ns-password'), `${password}\n`);
  configFile = join(dir, 'nitrox.yaml');
  await writeFile(
    configFile,
    [
      'http: { listen: "127.0.0.1:0" }',
      'sources:',
      '  cluster:',
      '    type: kubernetes',
      `    server: ${kube.url}`,
      '    tokenFrom: { env: TEST_KUBE_TOKEN }',
      'sinks:',
      '  adc:',
      '    type: netscaler',
      `    url: ${nitro.url}`,
      '    username: nsroot',
      '    passwordFrom: { file: ns-password }',
      'defaults: { debounce: 20ms, resync: 1m }',
      'mappings:',
      '  - { name: web, source: cluster, app: default/web, sink: adc, pool: sg-web, lbvserver: vs-web, mode: pod, port: http }',
    ].join('\n'),
  );
});

afterAll(async () => {
  await killAll();
  await kube?.close();
  await nitro?.close();
});

describe('nitrox run', { timeout: 60_000 }, () => {
  let proc: CliProcess;
  let base: string;

  it('converges the pool and shows it on /metrics and /readyz', async () => {
    proc = spawnCli(['run', '--config', configFile], { TEST_KUBE_TOKEN: token });
    const address = await waitFor('the listening address', () => logLines(proc.stdout()).find((l) => l.address)?.address as string);
    base = `http://${address}`;
    await waitFor('the initial members', () => nitro.state.members('sg-web').join() === '10.1.0.1:8080,10.1.0.2:8080');
    expect(nitro.state.vserverBindings.get('vs-web')?.has('sg-web')).toBe(true);
    await waitFor('readiness', async () => (await fetch(`${base}/readyz`)).status === 200);
    const metrics = await waitFor('reconcile metrics', async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return /nitrox_reconcile_total\{mapping="web",result="success"\} [1-9]/.test(text) ? text : undefined;
    });
    expect(metrics).toContain('nitrox_source_synced{source="cluster"} 1');
    expect(metrics).toMatch(/nitrox_sink_requests_total\{sink="adc",result="ok"\} [1-9]/);
    expect(metrics).toMatch(/nitrox_seconds_since_last_sync\{mapping="web"\} \d/);
    expect(metrics).toContain('nitrox_queue_depth{mapping="web"}');
    expect((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
  });

  it('follows a change in the cluster', async () => {
    seedEndpoints(['10.1.0.2', '10.1.0.3', '10.1.0.4']);
    await waitFor('the new members', () => nitro.state.members('sg-web').join() === '10.1.0.2:8080,10.1.0.3:8080,10.1.0.4:8080');
  });

  it('exits 0 on SIGTERM after logging out, and never prints a secret', async () => {
    const logoutsBefore = nitro.requestLog.count({ type: 'logout' });
    proc.child.kill('SIGTERM');
    expect(await exitWithin(proc)).toBe(0);
    expect(nitro.requestLog.count({ type: 'logout' })).toBe(logoutsBefore + 1);
    const lines = logLines(proc.stdout());
    expect(lines.some((l) => l.msg === 'stopped')).toBe(true);
    expect(lines.some((l) => l.signal === 'SIGTERM')).toBe(true);
    const all = proc.stdout() + proc.stderr();
    expect(all).not.toContain(password);
    expect(all).not.toContain(token);
  });
});

describe('nitrox plan', { timeout: 60_000 }, () => {
  it('prints the changes per pool and makes no write', async () => {
    nitro.state.servicegroups.get('sg-web')?.members.clear();
    nitro.state.bindMember({ servicegroupname: 'sg-web', ip: '10.9.9.9', port: 8080 });
    nitro.requestLog.clear();
    const { code, stdout, stderr } = await runCli(['plan', '--config', configFile], { TEST_KUBE_TOKEN: token });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('pool sg-web on adc');
    expect(stdout).toContain('+ 10.1.0.3:8080');
    expect(stdout).toContain('- 10.9.9.9:8080');
    expect(stdout).toMatch(/3 to add, 1 to remove/);
    expect(nitro.requestLog.entries.length).toBeGreaterThan(0);
    expect(nitro.requestLog.writes()).toEqual([]);
    expect(nitro.state.members('sg-web')).toEqual(['10.9.9.9:8080']);
  });
});

describe('invalid configuration', { timeout: 60_000 }, () => {
  it('exits 2 naming the bad field and what was expected', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      [
        'sources: { cluster: { type: kubernetes, server: "http://127.0.0.1:1" } }',
        'sinks: { adc: { type: netscaler, url: "http://127.0.0.1:1", username: u, passwordFrom: { env: X } } }',
        'mappings:',
        '  - { source: cluster, app: default/web, sink: adc, mode: nodeports }',
      ].join('\n'),
    );
    const { code, stderr } = await runCli(['run', '--config', bad]);
    expect(code).toBe(2);
    expect(stderr).toContain('mappings[0].mode');
    expect(stderr).toContain('expected "nodeport" or "pod"');
  });

  it('exits 2 when a secret is missing, naming the variable but no value', async () => {
    const { code, stderr } = await runCli(['validate', '--config', configFile], { TEST_KUBE_TOKEN: '' });
    expect(code).toBe(2);
    expect(stderr).toContain('sources.cluster.tokenFrom.env');
    expect(stderr).toContain('TEST_KUBE_TOKEN');
  });

  it('exits 2 on a usage error', async () => {
    const { code, stderr } = await runCli(['plan']);
    expect(code).toBe(2);
    expect(stderr).toContain('--config');
  });
});

describe('nitrox demo', () => {
  it('plays the whole story and exits 0', { timeout: 120_000 }, async () => {
    const { code, stdout } = await runCli(['demo', '--fast'], {}, 100_000);
    expect(stdout).toContain('every pool converged after every act');
    expect(stdout).not.toContain('did not converge');
    expect(code).toBe(0);
    // Every act reports its latency and NITRO calls, and the faults of the story really happened.
    expect(stdout.match(/✓ converged in \S+ with \d+ NITRO calls? \(\d+ writes?\)/g)).toHaveLength(7);
    const counter = (name: string) => Number(new RegExp(`${name} (\\d+)`).exec(stdout)?.[1]);
    expect(counter('logins')).toBeGreaterThanOrEqual(2);
    expect(counter('watch restarts')).toBeGreaterThanOrEqual(1);
    expect(counter('relists')).toBeGreaterThanOrEqual(1);
  });

  it('keeps running with --forever until interrupted, then exits 0', { timeout: 120_000 }, async () => {
    const p = spawnCli(['demo', '--fast', '--forever']);
    await waitFor('the story to end', () => p.stdout().includes('Still running') || p.child.exitCode !== null, 100_000);
    expect(p.child.exitCode, p.stderr()).toBeNull();
    expect(p.stdout()).toContain('every pool converged after every act');
    p.child.kill('SIGINT');
    expect(await exitWithin(p)).toBe(0);
  });
});
