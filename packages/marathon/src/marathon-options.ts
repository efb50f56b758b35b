/**
 * Connection options for Marathon: base URL, credentials (HTTP basic or a DC/OS-style token), TLS and
 * timeouts. Resolved eagerly so a bad option fails at construction with a {@link ConfigError} naming it.
 * Credentials found in the URL's userinfo are moved into the `Authorization` header and removed from the URL,
 * so no error or log line that shows the URL can leak them.
 */
import { ConfigError } from '@nitrox/core';
import type { Dispatcher } from 'undici';

/** HTTP basic credentials. */
export interface BasicAuth {
  readonly username: string;
  readonly password: string;
}

/** A token header: DC/OS sends `Authorization: token=<token>`; `bearer` sends `Authorization: Bearer <token>`. */
export interface TokenAuth {
  readonly token: string;
  /** @defaultValue `'dcos'` */
  readonly type?: 'dcos' | 'bearer';
}

/** TLS settings for an `https:` Marathon (passed to the TLS socket). */
export interface MarathonTlsOptions {
  /** Trusted CA certificates (PEM). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate (PEM) for mutual TLS. */
  readonly cert?: string | Buffer;
  /** Client key (PEM) for mutual TLS. */
  readonly key?: string | Buffer;
  /** Passphrase of the client key. */
  readonly passphrase?: string;
  /** Verify the server certificate. @defaultValue `true` */
  readonly rejectUnauthorized?: boolean;
  /** Server name for SNI and certificate verification. */
  readonly servername?: string;
}

/** How to reach Marathon. */
export interface MarathonConnectionOptions {
  /** Base URL, e.g. `http://marathon.mesos:8080` (a path prefix such as `/service/marathon` is kept). */
  readonly url: string;
  /** Credentials; userinfo in `url` is used as basic auth when this is absent. */
  readonly auth?: BasicAuth | TokenAuth;
  /** Extra request headers (never logged). */
  readonly headers?: Readonly<Record<string, string>>;
  /** TLS settings for `https:` URLs. */
  readonly tls?: MarathonTlsOptions;
  /** Deadline for the headers and for each body read of a REST call. @defaultValue `30_000` */
  readonly requestTimeoutMs?: number;
  /** Deadline for the TCP/TLS connection. @defaultValue `10_000` */
  readonly connectTimeoutMs?: number;
  /** Use this undici dispatcher instead of creating one (then `tls` and `connectTimeoutMs` are ignored). */
  readonly dispatcher?: Dispatcher;
}

/** The defaults of {@link MarathonConnectionOptions}. */
export const connectionDefaults = {
  requestTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
} as const;

/** Validated connection options. */
export interface ResolvedConnection {
  /** The base URL without credentials and without a trailing slash. */
  readonly baseUrl: string;
  /** Headers sent with every request (including `authorization`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: MarathonTlsOptions | undefined;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly dispatcher: Dispatcher | undefined;
}

function positive(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ConfigError(path, 'must be a positive number');
  return value;
}

function authorization(auth: BasicAuth | TokenAuth, path: string): string {
  if ('token' in auth) {
    if (typeof auth.token !== 'string' || auth.token === '') throw new ConfigError(`${path}.token`, 'must be a non-empty string');
    const type = auth.type ?? 'dcos';
    if (type !== 'dcos' && type !== 'bearer') throw new ConfigError(`${path}.type`, "must be 'dcos' or 'bearer'");
    return type === 'dcos' ? `token=${auth.token}` : `Bearer ${auth.token}`;
  }
  if (typeof auth.username !== 'string' || auth.username === '') {
    throw new ConfigError(`${path}.username`, 'must be a non-empty string');
  }
  if (typeof auth.password !== 'string') throw new ConfigError(`${path}.password`, 'must be a string');
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

/**
 * Validate connection options.
 *
 * @param path - the option path prefix used in error messages.
 * @throws {@link ConfigError} naming the offending option (never echoing a credential).
 */
export function resolveConnection(options: MarathonConnectionOptions, path = ''): ResolvedConnection {
  const at = (name: string): string => (path ? `${path}.${name}` : name);
  if (typeof options !== 'object' || options === null) throw new ConfigError(path, 'must be an object');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new ConfigError(at('url'), 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(at('url'), 'must use http: or https:');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (typeof value !== 'string') throw new ConfigError(at(`headers.${name}`), 'must be a string');
    headers[name.toLowerCase()] = value;
  }
  if (options.auth !== undefined) {
    if (typeof options.auth !== 'object' || options.auth === null) throw new ConfigError(at('auth'), 'must be an object');
    headers.authorization = authorization(options.auth, at('auth'));
  } else if (url.username !== '') {
    headers.authorization = authorization(
      { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) },
      at('url'),
    );
  }
  url.username = '';
  url.password = '';
  const baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  const requestTimeoutMs = positive(options.requestTimeoutMs ?? connectionDefaults.requestTimeoutMs, at('requestTimeoutMs'));
  const connectTimeoutMs = positive(options.connectTimeoutMs ?? connectionDefaults.connectTimeoutMs, at('connectTimeoutMs'));
  if (options.tls !== undefined && (typeof options.tls !== 'object' || options.tls === null)) {
    throw new ConfigError(at('tls'), 'must be an object');
  }
  return { baseUrl, headers, tls: options.tls, requestTimeoutMs, connectTimeoutMs, dispatcher: options.dispatcher };
}
