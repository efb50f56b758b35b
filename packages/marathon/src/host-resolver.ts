/**
 * Resolution of Mesos agent hostnames to addresses. Mesos agents register by hostname by default, so a task's
 * `host` is often a name (`mesos-agent-7.example`) where a load balancer needs an IP. marathon-lb resolves it
 * with `gethostbyname` behind an LRU cache; this resolver does the same with a bounded cache that also expires
 * entries (a re-IPed agent is picked up after `ttlMs`) and remembers failures for `negativeTtlMs` (a host that
 * does not resolve costs one lookup per window, not one per fetch). When a refresh of a known host fails, the
 * last good address is kept (a DNS outage must not empty live pools) until the refresh succeeds. Lookups happen
 * before a fetched state is projected, so the projection itself reads the cache synchronously.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type Clock, ConfigError, SourceError, systemClock } from '@nitrox/core';
import { checkNonNegative, checkPositive } from './checks.js';

/** Looks up the addresses of a hostname (first IPv4 preferred by the caller). Rejects when the name does not resolve. */
export type HostLookup = (host: string) => Promise<readonly string[]>;

/** The default lookup: the system resolver (`/etc/hosts`, DNS), as `gethostbyname` in marathon-lb. */
export const systemHostLookup: HostLookup = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** Options of {@link CachedHostResolver}. */
export interface HostResolverOptions {
  /** The lookup to cache. @defaultValue {@link systemHostLookup} */
  readonly lookup?: HostLookup;
  /** How long a resolved address is used before it is looked up again. @defaultValue `60_000` */
  readonly ttlMs?: number;
  /** How long a failed lookup is remembered before it is tried again. @defaultValue `10_000` */
  readonly negativeTtlMs?: number;
  /** Most hostnames kept (least recently used go first); a cluster has one per agent. @defaultValue `10_000` */
  readonly maxEntries?: number;
  /**
   * Longest wait for one lookup; a slower one counts as failed (negatively cached). The system resolver can
   * take many seconds to give up on an unreachable DNS server, and fetches wait for their lookups. @defaultValue `3_000`
   */
  readonly timeoutMs?: number;
  /** Time source. @defaultValue `systemClock` */
  readonly clock?: Clock;
}

/** The defaults of {@link HostResolverOptions}. */
export const hostResolverDefaults = { ttlMs: 60_000, negativeTtlMs: 10_000, maxEntries: 10_000, timeoutMs: 3_000 } as const;

/** A hostname that does not resolve: the tasks on it are left out of their pools. Code `NITROX_SOURCE`. */
export class HostResolutionError extends SourceError {
  /** The hostname that failed. */
  readonly host: string;
  /** The task whose member was left out, when known. */
  readonly taskId: string | undefined;

  constructor(host: string, taskId?: string, options: { cause?: unknown } = {}) {
    super(`cannot resolve agent host "${host}"${taskId === undefined ? '' : ` of task ${taskId}`}; task left out`, {
      retryable: true,
      ...options,
    });
    this.name = 'HostResolutionError';
    this.host = host;
    this.taskId = taskId;
  }
}

interface Entry {
  address: string | undefined;
  error: unknown;
  expiresAt: number;
}

/** Counters of a {@link CachedHostResolver}. */
export interface HostResolverStats {
  /** Lookups made. */
  readonly lookups: number;
  /** Lookups that failed. */
  readonly failures: number;
  /** Answers from the cache. */
  readonly hits: number;
}

function pick(addresses: readonly string[]): string | undefined {
  return addresses.find((a) => isIP(a) === 4) ?? addresses.find((a) => isIP(a) !== 0);
}

/** A cached hostname resolver: {@link CachedHostResolver.prepare} looks up, {@link CachedHostResolver.address} reads. */
export class CachedHostResolver {
  readonly #lookup: HostLookup;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #maxEntries: number;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #cache = new Map<string, Entry>();
  #stats = { lookups: 0, failures: 0, hits: 0 };

  /** @throws {@link ConfigError} for invalid options. */
  constructor(options: HostResolverOptions = {}, path = 'resolver') {
    const d = hostResolverDefaults;
    this.#lookup = options.lookup ?? systemHostLookup;
    if (typeof this.#lookup !== 'function') throw new ConfigError(`${path}.lookup`, 'must be a function');
    this.#ttlMs = checkNonNegative(options.ttlMs ?? d.ttlMs, `${path}.ttlMs`);
    this.#negativeTtlMs = checkNonNegative(options.negativeTtlMs ?? d.negativeTtlMs, `${path}.negativeTtlMs`);
    this.#maxEntries = checkPositive(options.maxEntries ?? d.maxEntries, `${path}.maxEntries`);
    this.#timeoutMs = checkPositive(options.timeoutMs ?? d.timeoutMs, `${path}.timeoutMs`);
    this.#clock = options.clock ?? systemClock;
  }

  /** Counters. */
  get stats(): HostResolverStats {
    return { ...this.#stats };
  }

  /** Look up every name among `hosts` whose entry is missing or expired (IP literals are skipped). Never rejects. */
  async prepare(hosts: Iterable<string>, signal?: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    const due = new Set<string>();
    for (const host of hosts) {
      if (host === '' || isIP(host) !== 0) continue;
      const entry = this.#cache.get(host);
      if (entry !== undefined && entry.expiresAt > now) this.#stats.hits++;
      else due.add(host);
    }
    await Promise.all([...due].map((host) => this.#refresh(host, signal)));
  }

  async #refresh(host: string, signal: AbortSignal | undefined): Promise<void> {
    this.#stats.lookups++;
    const previous = this.#cache.get(host);
    let entry: Entry;
    try {
      const address = pick(await this.#lookupWithin(host));
      if (address === undefined) throw new Error('no address');
      entry = { address, error: undefined, expiresAt: this.#clock.now() + this.#ttlMs };
    } catch (error) {
      if (signal?.aborted) return;
      this.#stats.failures++;
      // Keep serving a known address through a resolver outage; retry after the negative TTL.
      entry = { address: previous?.address, error, expiresAt: this.#clock.now() + this.#negativeTtlMs };
    }
    this.#cache.delete(host);
    this.#cache.set(host, entry);
    while (this.#cache.size > this.#maxEntries) {
      const oldest = this.#cache.keys().next().value as string;
      this.#cache.delete(oldest);
    }
  }

  #lookupWithin(host: string): Promise<readonly string[]> {
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => reject(new Error(`lookup timed out after ${this.#timeoutMs} ms`)), this.#timeoutMs);
      this.#lookup(host).then(
        (addresses) => {
          this.#clock.clearTimeout(timer);
          resolve(addresses);
        },
        (error: unknown) => {
          this.#clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /**
   * The address of `host` from the cache: the host itself when it is an IP literal, a {@link HostResolutionError}
   * when it did not resolve (or was never prepared).
   */
  address(host: string, taskId?: string): string | HostResolutionError {
    if (isIP(host) !== 0) return host;
    const entry = this.#cache.get(host);
    if (entry?.address !== undefined) return entry.address;
    return new HostResolutionError(host, taskId, entry === undefined ? {} : { cause: entry.error });
  }
}
