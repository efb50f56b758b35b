/**
 * @nitrox/etcd/testing: a real etcd cluster on loopback for tests of code built on `EtcdStore` and
 * `EtcdLeaseLock`.
 */
export { EtcdCluster, type EtcdClusterOptions, type EtcdMember, freePort } from './etcd-cluster.js';
export { TcpProxy } from './tcp-proxy.js';
