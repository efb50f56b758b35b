/**
 * A `LeaseLock` on a Kubernetes `coordination.k8s.io/v1` Lease, for core's `LeaderElector` (what client-go's
 * `LeaseLock` is to its `leaderelection`): read with GET, take with POST, renew with PUT guarded by the
 * Lease's resourceVersion, so a lost race answers 409 and becomes a `ConflictError`. Times are written as
 * Kubernetes MicroTime and durations as whole seconds, so `kubectl get lease` and client-go candidates
 * read the same record.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ConfigError,
  ConflictError,
  type LeaderCallbacks,
  LeaderElector,
  type LeaderElectorOptions,
  type LeaseLock,
  type LeaseRecord,
  SourceError,
  type VersionedLeaseRecord,
} from '@nitrox/core';
import { KubeConnection } from './kube-connection.js';
import { apiVersionOf, collectionPath, kubeResources, objectPath } from './resources.js';

/** Options of {@link KubernetesLeaseLock}. */
export interface KubernetesLeaseLockOptions {
  /** The API server; or give `kubeConfig`. */
  connection?: KubeConnection;
  /** Cluster and credentials, when no `connection` is given. */
  kubeConfig?: KubeConfig;
  /** Namespace of the Lease. */
  namespace: string;
  /** Name of the Lease. */
  name: string;
}

interface LeaseJson {
  metadata?: { resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Epoch milliseconds → Kubernetes MicroTime (`2006-01-02T15:04:05.000000Z`). */
export function toMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Kubernetes MicroTime or Time → epoch milliseconds (0 when absent or unreadable). */
export function fromMicroTime(text: string | undefined): number {
  if (!text) return 0;
  const ms = Date.parse(text.replace(/\.(\d{3})\d*Z$/, '.$1Z'));
  return Number.isFinite(ms) ? ms : 0;
}

/** A leader-election lock kept in a Kubernetes Lease. */
export class KubernetesLeaseLock implements LeaseLock {
  /** The API-server connection. */
  readonly connection: KubeConnection;
  readonly #namespace: string;
  readonly #name: string;
  readonly #ownsConnection: boolean;

  /** @throws {@link ConfigError} naming the offending option. Does no I/O. */
  constructor(options: KubernetesLeaseLockOptions) {
    if (typeof options.namespace !== 'string' || options.namespace === '') throw new ConfigError('namespace', 'is required');
    if (typeof options.name !== 'string' || options.name === '') throw new ConfigError('name', 'is required');
    this.#ownsConnection = !options.connection && options.kubeConfig !== undefined;
    if (options.connection) this.connection = options.connection;
    else if (options.kubeConfig) this.connection = new KubeConnection({ kubeConfig: options.kubeConfig });
    else throw new ConfigError('kubeConfig', 'either kubeConfig or connection is required');
    this.#namespace = options.namespace;
    this.#name = options.name;
  }

  /**
   * Release the connection's sockets when the lock built it from `kubeConfig` (a `connection` passed in stays
   * its owner's to close). The lock stays usable: a later request opens a new connection.
   */
  async close(): Promise<void> {
    if (this.#ownsConnection) await this.connection.close();
  }

  describe(): string {
    return `lease ${this.#namespace}/${this.#name}`;
  }

  async get(signal?: AbortSignal): Promise<VersionedLeaseRecord | undefined> {
    const res = await this.connection.request({ path: this.#path(), ...(signal ? { signal } : {}) });
    if (res.statusCode === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.statusCode !== 200) throw await this.connection.errorFor(res, `get ${this.describe()}`);
    let lease: LeaseJson;
    try {
      lease = (await res.body.json()) as LeaseJson;
    } catch (error) {
      throw new SourceError(`get ${this.describe()}: the answer is not JSON`, { cause: error, retryable: true });
    }
    const spec = lease.spec ?? {};
    return {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationMs: (spec.leaseDurationSeconds ?? 0) * 1000,
      acquireTime: fromMicroTime(spec.acquireTime),
      renewTime: fromMicroTime(spec.renewTime),
      leaderTransitions: spec.leaseTransitions ?? 0,
      version: lease.metadata?.resourceVersion ?? '',
    };
  }

  async create(record: LeaseRecord, signal?: AbortSignal): Promise<void> {
    const res = await this.connection.request({
      method: 'POST',
      path: collectionPath(kubeResources.leases, this.#namespace),
      body: this.#lease(record, undefined),
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode === 409) {
      await res.body.dump();
      throw new ConflictError(this.describe(), 0, -1);
    }
    if (res.statusCode !== 201 && res.statusCode !== 200) throw await this.connection.errorFor(res, `create ${this.describe()}`);
    await res.body.dump();
  }

  async update(record: LeaseRecord, ifVersion: string, signal?: AbortSignal): Promise<void> {
    const res = await this.connection.request({
      method: 'PUT',
      path: this.#path(),
      body: this.#lease(record, ifVersion),
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode === 409 || res.statusCode === 404) {
      await res.body.dump();
      throw new ConflictError(this.describe(), Number(ifVersion) || 0, -1);
    }
    if (res.statusCode !== 200) throw await this.connection.errorFor(res, `update ${this.describe()}`);
    await res.body.dump();
  }

  #path(): string {
    return objectPath(kubeResources.leases, this.#namespace, this.#name);
  }

  #lease(record: LeaseRecord, resourceVersion: string | undefined): Record<string, unknown> {
    return {
      apiVersion: apiVersionOf(kubeResources.leases),
      kind: 'Lease',
      metadata: { name: this.#name, namespace: this.#namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec: {
        holderIdentity: record.holderIdentity,
        leaseDurationSeconds: Math.max(1, Math.ceil(record.leaseDurationMs / 1000)),
        acquireTime: toMicroTime(record.acquireTime),
        renewTime: toMicroTime(record.renewTime),
        leaseTransitions: record.leaderTransitions,
      },
    };
  }
}

/** Options of {@link createKubernetesLeaderElector}. */
export type KubernetesLeaderElectorOptions = KubernetesLeaseLockOptions &
  Omit<LeaderElectorOptions, 'lock'>;

/**
 * A core `LeaderElector` on a Kubernetes Lease, with client-go's defaults: lease 15 s, renew deadline 10 s,
 * retry period 2 s. With `kubeConfig`, the connection it builds is closed whenever `run()` returns; a
 * `connection` passed in is left open for its owner.
 *
 * @example
 * ```ts
 * const elector = createKubernetesLeaderElector({ kubeConfig, namespace: 'nitrox', name: 'nitrox', identity: hostname() });
 * await elector.run({ onStartedLeading: (signal) => controller.start(signal) }, shutdown.signal);
 * ```
 */
export function createKubernetesLeaderElector(options: KubernetesLeaderElectorOptions): LeaderElector {
  const { connection, kubeConfig, namespace, name, ...elector } = options;
  const lock = new KubernetesLeaseLock({
    namespace,
    name,
    ...(connection ? { connection } : {}),
    ...(kubeConfig ? { kubeConfig } : {}),
  });
  return new KubernetesLeaderElector({ ...elector, lock }, lock);
}

/** Closes the connection it built once each `run()` ends (a later `run()` reconnects). */
class KubernetesLeaderElector extends LeaderElector {
  readonly #lock: KubernetesLeaseLock;
  constructor(options: LeaderElectorOptions, lock: KubernetesLeaseLock) {
    super(options);
    this.#lock = lock;
  }

  #running = false;

  override async run(callbacks: LeaderCallbacks, signal?: AbortSignal): Promise<void> {
    // A second concurrent run() only throws (ConfigError): it must not close the running one's connection.
    if (this.#running) return super.run(callbacks, signal);
    this.#running = true;
    try {
      await super.run(callbacks, signal);
    } finally {
      this.#running = false;
      await this.#lock.close();
    }
  }
}
