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
  /**
   * Base URL, e.g. `http://marathon.mesos:8080` (a path prefix such as `/service/marathon` is kept), or several
   * (the masters of an HA Marathon): requests go to one and move to the next after a transport error or a 5xx.
   */
  readonly url: string | readonly string[];
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
  /**
   * Redirects followed when opening `/v2/events`: a standby master answers the stream with a redirect to the
   * leader (REST calls it proxies). marathon-lb follows one hop; only http(s) targets are followed, never a
   * downgrade from https to http; the request headers (credentials included) go to the target, which the
   * master named. `0` follows none. @defaultValue `1`
   */
  readonly maxRedirects?: number;
  /** Use this undici dispatcher instead of creating one (then `tls` and `connectTimeoutMs` are ignored). */
  readonly dispatcher?: Dispatcher;
}

/** The defaults of {@link MarathonConnectionOptions}. */
export const connectionDefaults = {
  requestTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  maxRedirects: 1,
} as const;

/** Validated connection options. */
export interface ResolvedConnection {
  /** The base URLs, without credentials and without a trailing slash (at least one). */
  readonly baseUrls: readonly string[];
  /** Headers sent with every request (including `authorization`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: MarathonTlsOptions | undefined;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxRedirects: number;
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
  const list = typeof options.url === 'string' ? [options.url] : options.url;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(at('url'), 'must be a URL or a non-empty array of URLs');
  const urls = list.map((raw, i) => {
    const where = list.length === 1 ? at('url') : at(`url[${i}]`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(where, 'must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(where, 'must use http: or https:');
    return { url, where };
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (typeof value !== 'string') throw new ConfigError(at(`headers.${name}`), 'must be a string');
    headers[name.toLowerCase()] = value;
  }
  const withUser = urls.find(({ url }) => url.username !== '');
  if (options.auth !== undefined) {
    if (typeof options.auth !== 'object' || options.auth === null) throw new ConfigError(at('auth'), 'must be an object');
    headers.authorization = authorization(options.auth, at('auth'));
  } else if (withUser !== undefined) {
    headers.authorization = authorization(
      { username: decodeURIComponent(withUser.url.username), password: decodeURIComponent(withUser.url.password) },
      withUser.where,
    );
  }
  const baseUrls = urls.map(({ url }) => {
    url.username = '';
    url.password = '';
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });
  const requestTimeoutMs = positive(options.requestTimeoutMs ?? connectionDefaults.requestTimeoutMs, at('requestTimeoutMs'));
  const connectTimeoutMs = positive(options.connectTimeoutMs ?? connectionDefaults.connectTimeoutMs, at('connectTimeoutMs'));
  if (options.tls !== undefined && (typeof options.tls !== 'object' || options.tls === null)) {
    throw new ConfigError(at('tls'), 'must be an object');
  }
  const maxRedirects = options.maxRedirects ?? connectionDefaults.maxRedirects;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0 || maxRedirects > 10) {
    throw new ConfigError(at('maxRedirects'), 'must be an integer from 0 to 10');
  }
  return { baseUrls, headers, tls: options.tls, requestTimeoutMs, connectTimeoutMs, maxRedirects, dispatcher: options.dispatcher };
}
