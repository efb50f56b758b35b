/**
 * How the package builds its `etcd3` clients: gRPC keepalive pings on, so a connection to a member that stopped
 * answering (paused, or behind a half-open connection) fails instead of hanging a call or a watch stream for ever.
 */
import { Etcd3 } from 'etcd3';

/**
 * An `etcd3` client with gRPC keepalive pings, so a connection to a member that stopped answering fails after
 * ~15 s instead of hanging (etcd refuses pings more often than every 5 s: `--grpc-keepalive-min-time`).
 */
export function createClient(endpoints: string[]): Etcd3 {
  return new Etcd3({
    hosts: endpoints,
    grpcOptions: { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.keepalive_permit_without_calls': 1 },
  });
}
