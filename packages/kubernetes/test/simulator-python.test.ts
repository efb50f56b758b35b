import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@nitrox/core/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type KubeSimulator, service, startKubeSimulator } from '../src/testing/index.js';
import { type LineProcess, python, requireClient, runClient, startClient } from './real-clients.js';

const script = fileURLToPath(new URL('./fixtures/python/client_session.py', import.meta.url));

let sim: KubeSimulator;
let client: LineProcess | undefined;
const written: string[] = [];
const kubeconfig = async (options?: Parameters<KubeSimulator['writeKubeconfig']>[1]): Promise<string> => {
  const path = await sim.writeKubeconfig(undefined, options);
  written.push(path);
  return path;
};
beforeAll(async () => {
  await requireClient('python3-kubernetes');
});
beforeEach(async () => {
  sim = await startKubeSimulator({ tls: true, token: 'py-token', bookmarkIntervalMs: 200 });
});
afterEach(async () => {
  client?.child.kill();
  client = undefined;
  await sim.close();
  for (const path of written.splice(0)) await rm(path, { force: true });
});

type Line = Record<string, unknown> & { phase: string };
const parsed = (p: LineProcess): Line[] => p.lines.map((l) => JSON.parse(l) as Line);
const phase = async (p: LineProcess, name: string, count = 1): Promise<Line> => {
  await waitFor(() => parsed(p).filter((l) => l.phase === name).length >= count, { what: `python client reaches "${name}" (stderr: ${p.stderr()})`, timeoutMs: 30_000 });
  return parsed(p).filter((l) => l.phase === name)[count - 1] as Line;
};

describe('the official Python client (python3-kubernetes) against the simulator, over TLS with a token', () => {
  it('lists in chunks, creates/patches/selects/deletes, and watches through an expiry by relisting', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) sim.store.apply(service({ name, ports: [{ port: 80 }] }));
    client = startClient(python, [script, await kubeconfig()]);
    expect(await phase(client, 'chunks')).toMatchObject({ pages: 3, names: ['a', 'b', 'c', 'd', 'e'], versions: 1 });
    const patched = await phase(client, 'patched');
    expect(patched).toMatchObject({
      labels: { 'made-by': 'python', tier: 'front' },
      annotations: { note: 'json-patch' },
      targetPort: 9090,
    });
    expect(patched.name).toMatch(/^py-[a-z0-9]{5}$/);
    expect(patched.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(await phase(client, 'selected')).toMatchObject({ byLabel: [patched.name], byField: [patched.name] });
    expect(await phase(client, 'bad-field')).toMatchObject({ status: 400 });
    expect(await phase(client, 'precondition')).toMatchObject({ status: 409 });
    await phase(client, 'watching');
    // The client prints "watching" just before its request goes out: wait until the simulator holds the watch.
    const query = await waitFor(() => (sim.openWatches > 0 ? sim.stats.lastWatchQuery : undefined), { what: 'the python watch at the simulator' });
    expect(query).toMatchObject({ watch: 'True', allowWatchBookmarks: 'True' });

    const watchesBefore = sim.stats.watches;
    sim.store.apply(service({ name: 'f', ports: [{ port: 80 }] }));
    await waitFor(() => parsed(client as LineProcess).some((l) => l.phase === 'event' && l.name === 'f'), { what: 'python watch sees f' });
    expect(sim.stats.watches).toBe(watchesBefore); // one long watch, not a busy loop of lists
    sim.faults.expireHistory();
    sim.store.delete('services', 'default', 'a');
    const relisted = await phase(client, 'relisted');
    expect(relisted).toMatchObject({ relists: 1, names: ['b', 'c', 'd', 'e', 'f'] });
    sim.store.apply(service({ name: 'stop', ports: [{ port: 80 }] }));
    expect(await phase(client, 'done')).toMatchObject({ relists: 1 });
    expect(await client.exited).toBe(0);
  });

  it('authenticates with the generated client certificate, and gets 401 with a wrong token', async () => {
    const program = [
      'import sys',
      'from kubernetes import client, config',
      'config.load_kube_config(config_file=sys.argv[1])',
      'try:',
      '    print(",".join(n.metadata.name for n in client.CoreV1Api().list_namespace().items))',
      'except client.exceptions.ApiException as error:',
      '    print(error.status)',
    ].join('\n');
    const byCert = await runClient(python, ['-c', program, await kubeconfig({ auth: 'client-cert' })]);
    expect(byCert).toMatchObject({ code: 0, stdout: 'default,kube-node-lease,kube-public,kube-system\n' });
    const wrong = await runClient(python, ['-c', program, await kubeconfig({ token: 'nope' })]);
    expect(wrong).toMatchObject({ code: 0, stdout: '401\n' });
  });
});
