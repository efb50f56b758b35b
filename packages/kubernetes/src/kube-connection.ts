/**
 * The connection to an API server, built from `@kubernetes/client-node`'s `KubeConfig` (kubeconfig file,
 * in-cluster service account, or options): the server URL, an undici dispatcher carrying the cluster CA,
 * client certificate and key (`insecure-skip-tls-verify` only when the kubeconfig asks), and the
 * Authorization header of each request — a bearer token re-read from its file so rotated (projected)
 * tokens keep working, a static token, basic auth, or whatever client-node's authenticators produce (exec,
 * OIDC). Credentials never reach an error message.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { type Clock, ConfigError, SourceError, systemClock } from '@nitrox/core';
import { Agent, type Dispatcher, request } from 'undici';

/** Options of {@link KubeConnection}. */
export interface KubeConnectionOptions {
  /** Where and how to connect: use `KubeConfig.loadFromDefault()`, `loadFromCluster()` or `loadFromFile()`. */
  kubeConfig: KubeConfig;
  /** Read the bearer token from this file (overrides the kubeconfig's user), re-reading it for rotation. */
  tokenFile?: string;
  /** How often a token file is re-read (client-go re-reads every minute). @defaultValue 60_000 */
  tokenRefreshMs?: number;
  /** Timeout for response headers of every request. @defaultValue 30_000 */
  headersTimeoutMs?: number;
  /** Time source for the token refresh. @defaultValue systemClock */
  clock?: Clock;
  /** Use this undici dispatcher instead of building one from the kubeconfig's TLS settings. */
  dispatcher?: Dispatcher;
}

/** Defaults of {@link KubeConnectionOptions}. */
export const kubeConnectionDefaults = {
  tokenRefreshMs: 60_000,
  headersTimeoutMs: 30_000,
} as const;

/** One request to the API server. */
export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the server URL, e.g. `/api/v1/nodes`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body. */
  body?: unknown;
  signal?: AbortSignal;
  /** Idle timeout of the response body; 0 for watches (the informer detects silence itself). */
  bodyTimeoutMs?: number;
}

/** A Kubernetes `Status` as returned with error answers. */
interface KubeStatus {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

type TokenSource =
  | { kind: 'none' }
  | { kind: 'static'; header: string }
  | { kind: 'file'; path: string }
  | { kind: 'client-node' };

/**
 * A connection to one API server. Construction reads nothing; files (CA, certificates, token) are read at the
 * first request.
 */
export class KubeConnection {
  /** The server URL without a trailing slash. */
  readonly server: string;
  readonly #kubeConfig: KubeConfig;
  readonly #clock: Clock;
  readonly #tokenRefreshMs: number;
  readonly #headersTimeoutMs: number;
  readonly #tokenSource: TokenSource;
  readonly #ownsDispatcher: boolean;
  #dispatcher: Dispatcher | undefined;
  #token: { header: string; readAt: number } | undefined;
  readonly #secrets = new Set<string>();
  /** Start times of the requests waiting for their response headers. */
  readonly #pending = new Map<symbol, number>();
  #failedSince: number | undefined;

  /** @throws {@link ConfigError} when the kubeconfig has no current cluster or an option is invalid. */
  constructor(options: KubeConnectionOptions) {
    const kc = options.kubeConfig;
    if (!kc || typeof kc.getCurrentCluster !== 'function') throw new ConfigError('kubeConfig', 'must be a KubeConfig');
    const cluster = kc.getCurrentCluster();
    if (!cluster?.server) throw new ConfigError('kubeConfig', 'has no current cluster with a server URL');
    let url: URL;
    try {
      url = new URL(cluster.server);
    } catch {
      throw new ConfigError('kubeConfig', 'the current cluster server is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError('kubeConfig', `unsupported server protocol ${url.protocol}`);
    }
    this.server = cluster.server.replace(/\/+$/, '');
    this.#kubeConfig = kc;
    this.#clock = options.clock ?? systemClock;
    this.#tokenRefreshMs = positive('tokenRefreshMs', options.tokenRefreshMs ?? kubeConnectionDefaults.tokenRefreshMs);
    this.#headersTimeoutMs = positive('headersTimeoutMs', options.headersTimeoutMs ?? kubeConnectionDefaults.headersTimeoutMs);
    this.#dispatcher = options.dispatcher;
    this.#ownsDispatcher = options.dispatcher === undefined;
    const user = kc.getCurrentUser();
    const providerFile = (user?.authProvider?.config as { tokenFile?: string } | undefined)?.tokenFile;
    if (options.tokenFile !== undefined) this.#tokenSource = { kind: 'file', path: options.tokenFile };
    else if (providerFile) this.#tokenSource = { kind: 'file', path: providerFile };
    else if (user?.token) this.#tokenSource = { kind: 'static', header: `Bearer ${user.token}` };
    else if (user?.username) {
      const basic = Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64');
      this.#tokenSource = { kind: 'static', header: `Basic ${basic}` };
    } else if (user?.exec || user?.authProvider) this.#tokenSource = { kind: 'client-node' };
    else this.#tokenSource = { kind: 'none' };
    if (this.#tokenSource.kind === 'static') this.#remember(this.#tokenSource.header);
  }

  /**
   * Since when (clock time) the API server has not answered on this connection: the start of the oldest request
   * still waiting for its response headers, or of the first request after the last answer that failed (no answer,
   * 429 or 5xx); `undefined` while every request was answered. A watch counts as answered once its headers come,
   * so an API server that accepts connections but never answers (a partition) shows here from the first attempt.
   */
  get unansweredSince(): number | undefined {
    let since = this.#failedSince;
    for (const started of this.#pending.values()) if (since === undefined || started < since) since = started;
    return since;
  }

  /** Send a request; the caller consumes or discards the body. Transport failures become {@link SourceError}. */
  async request(req: KubeRequest): Promise<Dispatcher.ResponseData> {
    const id = Symbol('request');
    const started = this.#clock.now();
    this.#pending.set(id, started);
    try {
      const res = await this.#send(req);
      if (res.statusCode === 429 || res.statusCode >= 500) this.#failedSince ??= started;
      else this.#failedSince = undefined;
      return res;
    } catch (error) {
      if (!req.signal?.aborted) this.#failedSince ??= started;
      throw error;
    } finally {
      this.#pending.delete(id);
    }
  }

  async #send(req: KubeRequest): Promise<Dispatcher.ResponseData> {
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    const auth = await this.#authorization();
    if (auth !== undefined) headers.authorization = auth;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    try {
      const res = await request(url, {
        method: req.method ?? 'GET',
        headers,
        body: body ?? null,
        signal: req.signal ?? null,
        dispatcher: this.#getDispatcher(),
        headersTimeout: this.#headersTimeoutMs,
        bodyTimeout: req.bodyTimeoutMs ?? this.#headersTimeoutMs,
      });
      if (res.statusCode === 401 && this.#tokenSource.kind === 'file') this.#token = undefined;
      return res;
    } catch (error) {
      if (req.signal?.aborted) throw error;
      throw new SourceError(this.redact(`${req.method ?? 'GET'} ${url.pathname}: ${describe(error)}`), { cause: error });
    }
  }

  /**
   * Turn a non-2xx answer into a {@link SourceError} carrying the HTTP status and the Status reason, with every
   * known credential removed from the message. Consumes the body.
   */
  async errorFor(res: Dispatcher.ResponseData, what: string): Promise<SourceError> {
    let status: KubeStatus = {};
    try {
      const text = await res.body.text();
      status = JSON.parse(text) as KubeStatus;
    } catch {
      // Not a Status document: the HTTP status says enough.
    }
    const code = res.statusCode;
    const reason = typeof status.reason === 'string' ? status.reason : undefined;
    const hint = code === 401 ? ' (check the token or client certificate)' : code === 403 ? ' (check RBAC permissions)' : '';
    const message = `${what}: HTTP ${code}${reason ? ` ${reason}` : ''}${status.message ? `: ${status.message}` : ''}${hint}`;
    return new SourceError(this.redact(message), {
      status: code,
      ...(reason === undefined ? {} : { peerCode: reason }),
      retryable: code === 401 || code === 408 || code === 429 || code >= 500,
    });
  }

  /** Remove every credential this connection knows from `text`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
    return out;
  }

  /**
   * Close the dispatcher this connection built (not one passed in); it waits for requests in flight, so stop the
   * watches first. A later request builds a new one.
   */
  async close(): Promise<void> {
    if (!this.#ownsDispatcher) return;
    const dispatcher = this.#dispatcher;
    // Forget it first: a request made while it closes gets a fresh dispatcher, not a closed one.
    this.#dispatcher = undefined;
    await dispatcher?.close();
  }

  #remember(header: string): void {
    this.#secrets.add(header);
    const space = header.indexOf(' ');
    if (space > 0) this.#secrets.add(header.slice(space + 1));
  }

  async #authorization(): Promise<string | undefined> {
    const source = this.#tokenSource;
    switch (source.kind) {
      case 'none':
        return undefined;
      case 'static':
        return source.header;
      case 'file': {
        const now = this.#clock.now();
        if (this.#token === undefined || now - this.#token.readAt >= this.#tokenRefreshMs) {
          let text: string;
          try {
            text = (await readFile(source.path, 'utf8')).trim();
          } catch (error) {
            throw new SourceError(`cannot read the token file ${source.path}: ${describe(error)}`, { cause: error });
          }
          this.#token = { header: `Bearer ${text}`, readAt: now };
          this.#remember(this.#token.header);
        }
        return this.#token.header;
      }
      case 'client-node': {
        const opts: { headers?: Record<string, string> } = { headers: {} };
        try {
          await this.#kubeConfig.applyToHTTPSOptions(opts);
        } catch {
          // client-node builds an https.Agent last and may refuse plain HTTP; the header is already set.
        }
        const header = opts.headers?.Authorization ?? opts.headers?.authorization;
        if (header !== undefined) this.#remember(header);
        return header;
      }
    }
  }

  #getDispatcher(): Dispatcher {
    if (this.#dispatcher !== undefined) return this.#dispatcher;
    const cluster = this.#kubeConfig.getCurrentCluster();
    const user = this.#kubeConfig.getCurrentUser();
    const connect: Record<string, unknown> = {};
    const read = (file: string | undefined, data: string | undefined, what: string): Buffer | undefined => {
      try {
        if (file) return readFileSync(file);
      } catch (error) {
        throw new SourceError(`cannot read the ${what} file ${file}: ${describe(error)}`, { cause: error, retryable: false });
      }
      return data ? Buffer.from(data, 'base64') : undefined;
    };
    const ca = read(cluster?.caFile, cluster?.caData, 'certificate authority');
    const cert = read(user?.certFile, user?.certData, 'client certificate');
    const key = read(user?.keyFile, user?.keyData, 'client key');
    if (ca) connect.ca = ca;
    if (cert) connect.cert = cert;
    if (key) connect.key = key;
    if (cluster?.tlsServerName) connect.servername = cluster.tlsServerName;
    // Verification is off only when the kubeconfig says insecure-skip-tls-verify.
    connect.rejectUnauthorized = cluster?.skipTLSVerify !== true;
    this.#dispatcher = new Agent({ connect, keepAliveTimeout: 30_000 });
    return this.#dispatcher;
  }
}

/** The TLS settings a {@link KubeConnection} applies, for inspection and tests. */
export function describeTls(kubeConfig: KubeConfig): { verify: boolean; hasCa: boolean; hasClientCert: boolean } {
  const cluster = kubeConfig.getCurrentCluster();
  const user = kubeConfig.getCurrentUser();
  return {
    verify: cluster?.skipTLSVerify !== true,
    hasCa: Boolean(cluster?.caFile || cluster?.caData),
    hasClientCert: Boolean((user?.certFile || user?.certData) && (user?.keyFile || user?.keyData)),
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(name, `must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}
