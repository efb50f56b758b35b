/**
 * The `leaderElection` lock of `type: etcd`: an `EtcdLeaseLock` (`@nitrox/etcd`) at `<prefix><namespace>/<name>`
 * over its own etcd client, so Marathon and Swarm deployments get more than one replica without Kubernetes.
 */
import { EtcdLeaseLock } from '@nitrox/etcd';
import type { OwnedLeaseLock } from '@nitrox/plugin';
import type { LeaderElectionConfig } from '../config/schema.js';

/** The etcd lease lock that `le` (of `type: etcd`, with `endpoints`) describes. Does no I/O. */
export function etcdLeaseLock(le: LeaderElectionConfig): OwnedLeaseLock {
  const lock = new EtcdLeaseLock({ endpoints: le.endpoints ?? [], key: `${le.prefix}${le.namespace}/${le.name}` });
  return { lock, close: () => lock.close() };
}
