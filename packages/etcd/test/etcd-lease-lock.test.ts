/**
 * Two replicas, each a `LeaderElector` that runs a `Controller` while it leads, over one lock key in a real etcd
 * (each replica's client reaches etcd through its own cuttable proxy): every apply is recorded as an interval
 * with its replica, and no two replicas' intervals may overlap — through the leader partitioned from etcd (its
 * keepalives and renewals fail; its lease runs out) and a leader that crashes. Failover after the crash must come
 * within the lease TTL (plus one jittered retry period to notice).
 */
import { Controller, LeaderElector, type Leadership, ShutdownError, sleep, systemClock } from '@nitrox/core';
import { waitFor } from '@nitrox/core/testing';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdLeaseLock } from '../src/etcd-lease-lock.js';
import { EtcdStore } from '../src/etcd-store.js';
import { EtcdCluster } from '../src/testing/etcd-cluster.js';
import { TcpProxy } from '../src/testing/tcp-proxy.js';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await EtcdCluster.start();
});
afterAll(async () => {
  await cluster?.stop();
});

const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 300 };
const notice = 2.2 * timing.retryPeriodMs + 500;

interface Apply {
  who: string;
  start: number;
  end: number;
}

interface Term {
  who: string;
  start: number;
  token: number;
}

interface Replica {
  name: string;
  proxy: TcpProxy;
  lock: EtcdLeaseLock;
  stop: AbortController;
  loop: Promise<void>;
  leadingSince: number | undefined;
}

async function replica(name: string, key: string, applies: Apply[], terms: Term[]): Promise<Replica> {
  const proxy = await TcpProxy.start(cluster.endpoints[0] as string);
  const lock = new EtcdLeaseLock({ endpoints: [proxy.url], key });
  const store = new EtcdStore<number>({ client: lock.client, prefix: '/lock-test/desired/' });
  const elector = new LeaderElector({ lock, identity: name, ...timing, releaseOnCancel: false });
  elector.on('error', () => {}); // failed renewals are expected while partitioned
  const r: Replica = { name, proxy, lock, stop: new AbortController(), loop: Promise.resolve(), leadingSince: undefined };
  const lead = (signal: AbortSignal, leadership: Leadership): void => {
    r.leadingSince = performance.now();
    terms.push({ who: name, start: r.leadingSince, token: lock.fencingToken ?? -1 });
    const controller = new Controller<number>({
      name,
      source: store,
      resyncMs: 50,
      reconcile: async (_key, _desired, ctx) => {
        if (!leadership.holds()) throw new ShutdownError('the term is over');
        const start = performance.now();
        await sleep(systemClock, 5, ctx.signal);
        applies.push({ who: name, start, end: performance.now() });
      },
    });
    controller.on('error', () => {});
    controller.start();
    signal.addEventListener('abort', () => {
      r.leadingSince = undefined;
      void controller.stop({ drain: false });
    });
  };
  r.loop = (async () => {
    while (!r.stop.signal.aborted) await elector.run({ onStartedLeading: lead }, r.stop.signal);
  })();
  return r;
}

function overlaps(applies: Apply[]): string[] {
  const sorted = [...applies].sort((a, b) => a.start - b.start);
  const found: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const [prev, cur] = [sorted[i - 1] as Apply, sorted[i] as Apply];
    if (prev.who !== cur.who && cur.start < prev.end) found.push(`${prev.who} [${prev.start}, ${prev.end}] vs ${cur.who} at ${cur.start}`);
  }
  return found;
}

describe('EtcdLeaseLock with two LeaderElectors running Controllers', () => {
  it('never applies from two replicas at once, through a partitioned and a crashed leader; fails over within the lease TTL', async () => {
    const admin = new Etcd3({ hosts: cluster.endpoints });
    for (const k of ['a', 'b', 'c']) await admin.put(`/lock-test/desired/${k}`).value('1');
    const applies: Apply[] = [];
    const terms: Term[] = [];
    const replicas = [await replica('r1', '/lock-test/leader', applies, terms), await replica('r2', '/lock-test/leader', applies, terms)];
    const leader = () => replicas.find((r) => r.leadingSince !== undefined);
    const appliedSince = (who: string, since: number) => applies.filter((a) => a.who === who && a.start > since).length;
    try {
      const first = await waitFor(() => leader(), { timeoutMs: 10_000, what: 'a leader' });
      await waitFor(() => appliedSince(first.name, 0) >= 20 || undefined, { timeoutMs: 10_000, what: 'applies by the first leader' });

      // Partition: the leader's keepalives and renewals fail. Its term ends at the renew deadline; the other
      // replica takes over once the lease ran out; after healing, the old leader stays a follower.
      const cutAt = performance.now();
      first.proxy.cut();
      const second = await waitFor(() => (leader() !== undefined && leader() !== first ? leader() : undefined), { timeoutMs: 10_000, what: 'a takeover from the partitioned leader' });
      const takeoverMs = performance.now() - cutAt;
      await waitFor(() => appliedSince(second.name, cutAt) >= 20 || undefined, { timeoutMs: 10_000, what: 'applies by the second leader' });
      first.proxy.heal();
      await sleep(systemClock, 3 * timing.retryPeriodMs);
      expect(leader()).toBe(second);

      // Crash: the leader stops renewing and never releases. The other takes over once the lease ran out.
      const crashedAt = performance.now();
      second.stop.abort();
      await second.loop;
      const third = await waitFor(() => leader(), { timeoutMs: 10_000, what: 'failover after the leader crashed' });
      const failoverMs = performance.now() - crashedAt;
      await waitFor(() => appliedSince(third.name, crashedAt) > 0 || undefined, { timeoutMs: 10_000, what: 'applies after failover' });

      expect(third).toBe(first);
      expect(takeoverMs).toBeLessThan(timing.leaseDurationMs + notice);
      expect(failoverMs).toBeLessThan(timing.leaseDurationMs + notice);
      expect(overlaps(applies)).toEqual([]);
      const tokens = terms.map((t) => t.token);
      expect(tokens.every((t, i) => i === 0 || t > (tokens[i - 1] as number))).toBe(true);
      console.log(
        `etcd lease lock: takeover ${Math.round(takeoverMs)} ms after the leader was partitioned, failover ${Math.round(failoverMs)} ms ` +
          `after a crash; ${applies.length} applies, terms ${terms.map((t) => `${t.who}@${t.token}`).join(', ')}`,
      );
    } finally {
      for (const r of replicas) r.stop.abort();
      await Promise.all(replicas.map((r) => r.loop));
      for (const r of replicas) {
        await r.lock.close();
        await r.proxy.close();
      }
      admin.close();
    }
  });

  it('ends the term at the next renewal when the etcd lease is revoked', async () => {
    const lock = new EtcdLeaseLock({ endpoints: cluster.endpoints, key: '/lock-test/revoked' });
    const elector = new LeaderElector({ lock, identity: 'solo', ...timing });
    elector.on('error', () => {});
    const stop = new AbortController();
    let ended: number | undefined;
    const leading = new Promise<void>((resolve) => {
      const onStoppedLeading = (): void => {
        ended = performance.now();
      };
      void elector.run({ onStartedLeading: () => resolve(), onStoppedLeading }, stop.signal);
    });
    const admin = new Etcd3({ hosts: cluster.endpoints });
    try {
      await leading;
      const stored = JSON.parse((await admin.get('/lock-test/revoked').string()) ?? '{}') as { leaseId: string };
      const revokedAt = performance.now();
      await admin.leaseClient.leaseRevoke({ ID: stored.leaseId });
      await waitFor(() => ended, { timeoutMs: 10_000, what: 'the term to end' });
      expect((ended as number) - revokedAt).toBeLessThan(timing.retryPeriodMs + 500);
      const record = await lock.get();
      expect(record?.holderIdentity).toBe('');
    } finally {
      stop.abort();
      await lock.close();
      admin.close();
    }
  });
});
