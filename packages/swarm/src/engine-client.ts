/**
 * A small, typed client for the Engine API calls the swarm source makes, on top of the ecosystem's
 * transport (dockerode / docker-modem: unix socket, `DOCKER_HOST`, TCP with TLS, custom headers). Paths are
 * pinned to one API version (1.41 or newer) so an older daemon refuses rather than silently answering a
 * different shape, every call takes an AbortSignal and a timeout, and every failure becomes a
 * {@link SourceError} carrying the HTTP status. A 503 on a swarm endpoint means "this node is not a swarm
 * manager" and says so. Error messages name the endpoint (socket path or host:port) and never include TLS
 * material or headers.
 */
import type { Readable } from 'node:stream';
import { ConfigError, SourceError } from '@nitrox/core';
import Dockerode from 'dockerode';
import type { SwarmNode, SwarmService, SwarmTask } from './engine-types.js';

/** How to reach the Engine API. With none of `docker`, `socketPath` and `host`, docker-modem's defaults apply (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, else `/var/run/docker.sock`). */
export interface EngineConnectionOptions {
  /** A ready dockerode client; the other transport options are then ignored. */
  readonly docker?: Dockerode;
  /** Unix socket path. */
  readonly socketPath?: string;
  /** Host name or address for TCP. */
  readonly host?: string;
  /** TCP port. @defaultValue 2375 (http) / 2376 (https) */
  readonly port?: number;
  /** @defaultValue 'https' when `ca`, `cert` and `key` are given, else 'http' */
  readonly protocol?: 'http' | 'https';
  /** TLS: CA certificate(s), PEM. */
  readonly ca?: string | Buffer;
  /** TLS: client certificate, PEM. */
  readonly cert?: string | Buffer;
  /** TLS: client key, PEM. Never logged. */
  readonly key?: string | Buffer;
  /** Extra request headers (e.g. for an authenticating proxy). Never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Engine API version to speak; at least 1.41. @defaultValue '1.41' */
  readonly apiVersion?: string;
  /** Timeout of one request, and of opening the event stream (not of the open stream). @defaultValue 30_000 */
  readonly requestTimeoutMs?: number;
}

/** Defaults of {@link EngineConnectionOptions}. */
export const engineConnectionDefaults = {
  /** Docker 20.10: the first version with `status=true` on `/services` (running/desired task counts). */
  apiVersion: '1.41',
  /** Generous for a loaded manager, short enough that a hung request is noticed. */
  requestTimeoutMs: 30_000,
} as const;

interface Modem {
  version?: string;
  socketPath?: unknown;
  host?: string;
  port?: string | number;
  dial(options: Record<string, unknown>, callback: (error: unknown, data: unknown) => void): void;
}

interface ModemError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

const statusCodes = {
  200: true,
  400: 'bad parameter',
  404: 'no such object',
  406: 'node is not part of a swarm',
  500: 'server error',
  503: 'node is not a swarm manager',
};

/** Typed Engine API calls for swarm state. Constructing it does no I/O. */
export class EngineClient {
  /** The underlying dockerode client. */
  readonly docker: Dockerode;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #endpoint: string;

  /** @throws {@link ConfigError} for an API version below 1.41 or a bad timeout. */
  constructor(options: EngineConnectionOptions = {}) {
    const apiVersion = options.apiVersion ?? engineConnectionDefaults.apiVersion;
    const match = /^(\d+)\.(\d+)$/.exec(apiVersion);
    if (match === null || Number(match[1]) < 1 || (Number(match[1]) === 1 && Number(match[2]) < 41)) {
      throw new ConfigError('apiVersion', `must be an Engine API version of at least 1.41, got ${JSON.stringify(apiVersion)}`);
    }
    const timeout = options.requestTimeoutMs ?? engineConnectionDefaults.requestTimeoutMs;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new ConfigError('requestTimeoutMs', `must be a positive number, got ${timeout}`);
    this.#timeoutMs = timeout;
    this.docker = options.docker ?? new Dockerode(dockerodeOptions(options));
    const modem = this.docker.modem as unknown as Modem;
    // A client built with its own `version` already prefixes every path.
    this.#prefix = modem.version ? '' : `/v${apiVersion}`;
    this.#endpoint = typeof modem.socketPath === 'string' ? modem.socketPath : modem.host ? `${modem.host}:${modem.port ?? ''}` : 'the default Docker socket';
  }

  /** Where the client connects (socket path or host:port), for messages. */
  get endpoint(): string {
    return this.#endpoint;
  }

  /** `GET /services?status=true`, optionally filtered. */
  services(signal: AbortSignal, filters?: Record<string, string[]>): Promise<SwarmService[]> {
    return this.#getArray<SwarmService>('/services', { status: true, ...(filters ? { filters } : {}) }, signal);
  }

  /** `GET /tasks` of tasks whose desired state is `running`, optionally only of some services (one request). */
  tasks(signal: AbortSignal, serviceIds?: readonly string[]): Promise<SwarmTask[]> {
    const filters: Record<string, string[]> = { 'desired-state': ['running'] };
    if (serviceIds !== undefined) filters.service = [...serviceIds];
    return this.#getArray<SwarmTask>('/tasks', { filters }, signal);
  }

  /** `GET /nodes`. */
  nodes(signal: AbortSignal): Promise<SwarmNode[]> {
    return this.#getArray<SwarmNode>('/nodes', {}, signal);
  }

  /**
   * Open `GET /events` filtered to `types`, replaying from `since` (nanoseconds since the epoch). The
   * returned stream carries one JSON object per line; it ends when the daemon or `signal` closes it.
   */
  async events(signal: AbortSignal, options: { types: readonly string[]; sinceNano?: bigint }): Promise<Readable> {
    const query: Record<string, unknown> = { filters: { type: [...options.types] } };
    if (options.sinceNano !== undefined) {
      const seconds = options.sinceNano / 1_000_000_000n;
      const nanos = options.sinceNano % 1_000_000_000n;
      query.since = `${seconds}.${nanos.toString().padStart(9, '0')}`;
    }
    // The open is bounded like any request (a peer that accepts but never answers must not stall the
    // follower); the stream itself is not: the timer is cleared once the response headers are in.
    const opening = new AbortController();
    const timer = setTimeout(() => opening.abort(), this.#timeoutMs);
    try {
      return (await this.#dial('/events', query, AbortSignal.any([signal, opening.signal]), true, opening.signal)) as Readable;
    } finally {
      clearTimeout(timer);
    }
  }

  async #getArray<T>(path: string, query: Record<string, unknown>, signal: AbortSignal): Promise<T[]> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const data = await this.#dial(path, query, AbortSignal.any([signal, timeout]), false, timeout);
    if (!Array.isArray(data)) {
      throw new SourceError(`Engine API GET ${path} at ${this.#endpoint} answered with something other than a JSON array`);
    }
    return data as T[];
  }

  #dial(path: string, query: Record<string, unknown>, signal: AbortSignal, isStream: boolean, timeout?: AbortSignal): Promise<unknown> {
    const modem = this.docker.modem as unknown as Modem;
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(this.#abortError(path, signal, timeout));
        return;
      }
      modem.dial(
        { path: `${this.#prefix}${path}?`, method: 'GET', options: { ...query }, statusCodes, isStream, abortSignal: signal },
        (error, data) => {
          if (error === null || error === undefined) resolve(data);
          else if (signal.aborted) reject(this.#abortError(path, signal, timeout));
          else reject(this.#toSourceError(path, error as ModemError));
        },
      );
    });
  }

  #abortError(path: string, signal: AbortSignal, timeout: AbortSignal | undefined): Error {
    if (timeout?.aborted) {
      return new SourceError(`Engine API GET ${path} at ${this.#endpoint} timed out after ${this.#timeoutMs} ms`);
    }
    return signal.reason instanceof Error ? signal.reason : new SourceError(`Engine API GET ${path} aborted`, { retryable: false });
  }

  #toSourceError(path: string, error: ModemError): SourceError {
    const status = error.statusCode;
    if (status === undefined) {
      const code = (error as NodeJS.ErrnoException).code;
      return new SourceError(`cannot reach the Docker Engine at ${this.#endpoint} (GET ${path}): ${code ?? 'connection failed'}`,
        code === undefined ? {} : { peerCode: code },
      );
    }
    const engineMessage = typeof error.json?.message === 'string' ? error.json.message.trim() : '';
    if (status === 503 || status === 406) {
      return new SourceError(
        `the Docker Engine at ${this.#endpoint} is not a swarm manager (GET ${path} answered ${status}: ${engineMessage || 'unavailable'}); point the swarm source at a manager node`,
        { status, peerCode: status, retryable: true },
      );
    }
    return new SourceError(`Engine API GET ${path} at ${this.#endpoint} answered ${status}${engineMessage ? `: ${engineMessage}` : ''}`, {
      status,
      peerCode: status,
      retryable: status >= 500 || status === 429,
    });
  }
}

/** For `.catch()`: a 404 {@link SourceError} becomes `undefined`; anything else is rethrown. */
export function undefinedIfNotFound(error: unknown): undefined {
  if (error instanceof SourceError && error.status === 404) return undefined;
  throw error;
}

function dockerodeOptions(options: EngineConnectionOptions): Dockerode.DockerOptions {
  const out: Dockerode.DockerOptions = {};
  if (options.socketPath !== undefined) out.socketPath = options.socketPath;
  if (options.host !== undefined) {
    out.host = options.host;
    const tls = options.protocol === 'https' || (options.protocol === undefined && options.key !== undefined && options.cert !== undefined);
    out.protocol = tls ? 'https' : 'http';
    out.port = options.port ?? (tls ? 2376 : 2375);
  }
  if (options.ca !== undefined) out.ca = options.ca;
  if (options.cert !== undefined) out.cert = options.cert;
  if (options.key !== undefined) out.key = options.key;
  if (options.headers !== undefined) out.headers = { ...options.headers };
  return out;
}
