import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ConflictError, leaderElectorDefaults, SourceError } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConnection } from '../src/kube-connection.js';
import { createKubernetesLeaderElector, fromMicroTime, KubernetesLeaseLock, toMicroTime } from '../src/kubernetes-lease-lock.js';
import { type KubeSimulator, startKubeSimulator } from '../src/testing/index.js';
import { waitFor } from '@nitrox/core/testing';

let sim: KubeSimulator | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await sim?.close();
  sim = undefined;
});

const record = (holder: string, at: number) => ({
  holderIdentity: holder,
  leaseDurationMs: 15_000,
  acquireTime: at,
  renewTime: at,
  leaderTransitions: 0,
});

describe('KubernetesLeaseLock', () => {
  it('creates, reads and updates a coordination.k8s.io/v1 Lease with compare-and-swap', async () => {
    sim = await startKubeSimulator();
    const connection = new KubeConnection({ kubeConfig: sim.kubeConfig() });
    closers.push(() => connection.close());
    const lock = new KubernetesLeaseLock({ connection, namespace: 'nitrox', name: 'controller' });
    expect(await lock.get()).toBeUndefined();
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    await lock.create(record('a', at));
    await expect(lock.create(record('b', at))).rejects.toBeInstanceOf(ConflictError);
    const stored = sim.store.get('leases', 'nitrox', 'controller') as unknown as { spec: Record<string, unknown> };
    expect(stored.spec).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-01-02T03:04:05.678000Z',
      renewTime: '2026-01-02T03:04:05.678000Z',
      leaseTransitions: 0,
    });
    const read = await lock.get();
    expect(read).toMatchObject({ ...record('a', at), version: expect.any(String) });
    await lock.update({ ...record('b', at + 1_000), leaderTransitions: 1 }, read?.version ?? '');
    await expect(lock.update(record('c', at), read?.version ?? '')).rejects.toBeInstanceOf(ConflictError);
    expect(await lock.get()).toMatchObject({ holderIdentity: 'b', renewTime: at + 1_000, leaderTransitions: 1 });
    expect(lock.describe()).toBe('lease nitrox/controller');
  });

  it('elects one leader among two candidates and hands over on release', async () => {
    sim = await startKubeSimulator();
    const kubeConfig = sim.kubeConfig();
    const timing = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 100 };
    const a = createKubernetesLeaderElector({ kubeConfig, namespace: 'default', name: 'nitrox', identity: 'a', ...timing });
    const b = createKubernetesLeaderElector({ kubeConfig, namespace: 'default', name: 'nitrox', identity: 'b', ...timing });
    const stopA = new AbortController();
    const stopB = new AbortController();
    const runA = a.run({ onStartedLeading: () => {} }, stopA.signal);
    await waitFor(() => a.isLeader, { what: 'a leads' });
    const runB = b.run({ onStartedLeading: () => {} }, stopB.signal);
    await waitFor(() => b.leader === 'a', { what: 'b sees a' });
    expect(b.isLeader).toBe(false);
    stopA.abort();
    await runA;
    await waitFor(() => b.isLeader, { what: 'b takes over after release' });
    stopB.abort();
    await runB;
    expect((sim.store.get('leases', 'default', 'nitrox') as unknown as { spec: { leaseTransitions: number } }).spec.leaseTransitions).toBeGreaterThanOrEqual(1);
  });

  it('close() releases the connection the lock built, not one passed in; the elector closes its own after run()', async () => {
    sim = await startKubeSimulator();
    const own = new KubernetesLeaseLock({ kubeConfig: sim.kubeConfig(), namespace: 'default', name: 'own' });
    expect(await own.get()).toBeUndefined();
    expect(sim.openConnections).toBeGreaterThan(0);
    await own.close();
    await waitFor(() => sim?.openConnections === 0, { what: 'connection released' });
    expect(await own.get()).toBeUndefined(); // still usable: reconnects
    await own.close();

    const connection = new KubeConnection({ kubeConfig: sim.kubeConfig() });
    closers.push(() => connection.close());
    const shared = new KubernetesLeaseLock({ connection, namespace: 'default', name: 'shared' });
    await shared.get();
    await shared.close();
    expect(await shared.get()).toBeUndefined();
    expect(sim.openConnections).toBeGreaterThan(0);
    await connection.close();
    await waitFor(() => sim?.openConnections === 0, { what: 'caller closed its connection' });

    const elector = createKubernetesLeaderElector({
      kubeConfig: sim.kubeConfig(),
      namespace: 'default',
      name: 'solo',
      identity: 'a',
      leaseDurationMs: 1_500,
      renewDeadlineMs: 1_000,
      retryPeriodMs: 100,
    });
    const stop = new AbortController();
    const run = elector.run({ onStartedLeading: () => {} }, stop.signal);
    await waitFor(() => elector.isLeader, { what: 'solo leads' });
    await expect(elector.run({ onStartedLeading: () => {} })).rejects.toThrow(/already running/);
    expect(elector.isLeader).toBe(true);
    stop.abort();
    await run;
    await waitFor(() => sim?.openConnections === 0, { what: 'elector released its connection' });
    expect((sim.store.get('leases', 'default', 'solo') as unknown as { spec: { holderIdentity: string } }).spec.holderIdentity).toBe('');
  });

  it('answers a Lease that is not JSON with a SourceError', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>proxy error</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser({ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }, { name: 'u' });
    const lock = new KubernetesLeaseLock({ kubeConfig, namespace: 'default', name: 'x' });
    closers.unshift(() => lock.close());
    const error = await lock.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toBe('get lease default/x: the answer is not JSON');
  });

  it("uses client-go's defaults and converts MicroTime both ways", () => {
    expect(leaderElectorDefaults).toMatchObject({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    expect(toMicroTime(0)).toBe('1970-01-01T00:00:00.000000Z');
    expect(fromMicroTime('2026-01-02T03:04:05.678901Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(fromMicroTime(undefined)).toBe(0);
    expect(() => new KubernetesLeaseLock({ namespace: '', name: 'x' })).toThrow(/namespace/);
  });
});
