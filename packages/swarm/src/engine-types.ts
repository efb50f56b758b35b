/**
 * The subset of the Docker Engine API (v1.41) objects the swarm source reads: services, tasks, nodes and
 * `/events` messages. Everything is optional because the input is untrusted; the projection and the
 * event parser check what they use, so an odd object is skipped, never a crash.
 */

/** `Version` of a swarm object: `Index` is the raft index of its last update, monotonic across objects. */
export interface ObjectVersion {
  readonly Index?: number;
}

/** A published or exposed port, as in `Endpoint.Ports` and `Status.PortStatus.Ports`. */
export interface PortConfig {
  readonly Name?: string;
  readonly Protocol?: 'tcp' | 'udp' | 'sctp' | string;
  readonly TargetPort?: number;
  readonly PublishedPort?: number;
  readonly PublishMode?: 'ingress' | 'host' | string;
}

/** `GET /services` item. */
export interface SwarmService {
  readonly ID?: string;
  readonly Version?: ObjectVersion;
  readonly Spec?: {
    readonly Name?: string;
    readonly Labels?: Record<string, string>;
    readonly Mode?: { readonly Replicated?: { readonly Replicas?: number }; readonly Global?: object };
    readonly EndpointSpec?: { readonly Mode?: 'vip' | 'dnsrr' | string; readonly Ports?: readonly PortConfig[] };
    readonly TaskTemplate?: { readonly Networks?: readonly { readonly Target?: string }[] };
  };
  readonly Endpoint?: {
    readonly Ports?: readonly PortConfig[];
    readonly VirtualIPs?: readonly { readonly NetworkID?: string; readonly Addr?: string }[];
  };
  readonly ServiceStatus?: { readonly RunningTasks?: number; readonly DesiredTasks?: number };
}

/** `GET /tasks` item. */
export interface SwarmTask {
  readonly ID?: string;
  readonly Version?: ObjectVersion;
  readonly ServiceID?: string;
  readonly Slot?: number;
  readonly NodeID?: string;
  readonly DesiredState?: string;
  readonly Status?: {
    readonly State?: string;
    readonly Message?: string;
    readonly Err?: string;
    readonly PortStatus?: { readonly Ports?: readonly PortConfig[] };
  };
  readonly NetworksAttachments?: readonly {
    readonly Network?: { readonly ID?: string; readonly Spec?: { readonly Name?: string; readonly Ingress?: boolean } };
    readonly Addresses?: readonly string[];
  }[];
}

/** `GET /nodes` item. */
export interface SwarmNode {
  readonly ID?: string;
  readonly Version?: ObjectVersion;
  readonly Spec?: {
    readonly Name?: string;
    readonly Role?: 'manager' | 'worker' | string;
    readonly Availability?: 'active' | 'pause' | 'drain' | string;
    readonly Labels?: Record<string, string>;
  };
  readonly Description?: { readonly Hostname?: string };
  readonly Status?: { readonly State?: 'ready' | 'down' | 'unknown' | 'disconnected' | string; readonly Addr?: string };
  readonly ManagerStatus?: { readonly Leader?: boolean; readonly Reachability?: string; readonly Addr?: string };
}

/** One `/events` message (validated by `parseEngineEvent`). */
export interface EngineEvent {
  /** `service`, `node`, `container`, ... */
  readonly Type: string;
  /** `create`, `update`, `remove`, `start`, `die`, ... */
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: Readonly<Record<string, string>> };
  /** `swarm` or `local`. */
  readonly scope?: string;
  /** Nanoseconds since the epoch; used as `since` when the stream reconnects. */
  readonly timeNano?: number;
}
