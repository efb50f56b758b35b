/**
 * The load-balancer domain shared by every source and sink: a {@link BackendSet} is the desired pool of one
 * application. Sources project orchestrator objects into `Versioned<BackendSet>`; sinks apply them.
 */

/** One member of a pool. */
export interface Backend {
  /** IP address (or host name, where the sink accepts one). */
  readonly address: string;
  /** TCP/UDP port. */
  readonly port: number;
  /** Relative weight; sinks use their default when absent. */
  readonly weight?: number;
}

/** The desired pool of one application. */
export interface BackendSet {
  /** Name of the application (and, by default, of the pool). */
  readonly name: string;
  /** Members, in any order; sinks treat them as a set keyed by `address:port`. */
  readonly members: readonly Backend[];
}

/** The identity of a member within a pool: `address:port` (IPv6 addresses in brackets). */
export function backendKey(backend: Pick<Backend, 'address' | 'port'>): string {
  return backend.address.includes(':') ? `[${backend.address}]:${backend.port}` : `${backend.address}:${backend.port}`;
}

/**
 * A canonical copy of a set: members de-duplicated by {@link backendKey} (the last weight wins) and sorted,
 * so that two sets with the same members compare deep-equal whatever order a source produced them in.
 */
export function normalizeBackendSet(set: BackendSet): BackendSet {
  const byKey = new Map<string, Backend>();
  for (const member of set.members) byKey.set(backendKey(member), member);
  const members = [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, m]) => (m.weight === undefined ? { address: m.address, port: m.port } : { ...m }));
  return { name: set.name, members };
}
