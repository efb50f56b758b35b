/**
 * @nitrox/etcd: desired state and leader election on etcd, for deployments beyond one machine. `EtcdStore` is
 * a versioned store and `ListWatch` over a key prefix; `EtcdLeaseLock` is a `LeaseLock` for the core's
 * `LeaderElector` over etcd leases.
 */
export { type Codec, jsonCodec } from './codec.js';
export { EtcdStore, type EtcdStoreOptions, type EtcdWriteOptions, etcdStoreDefaults } from './etcd-store.js';
export { EtcdLeaseLock, type EtcdLeaseLockOptions } from './etcd-lease-lock.js';
export { createClient } from './etcd-client.js';
