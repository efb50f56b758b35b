/**
 * Options of {@link NitroClient}, their defaults and eager validation. A mistake (a bad URL, a URL holding
 * credentials, a zero concurrency) fails at construction with a `ConfigError` naming the option; the message
 * never repeats the password.
 */
import { type Clock, ConfigError, systemClock } from '@nitrox/core';
import { type NitroLogger, silentLogger } from './logger.js';

/** How the client authenticates. */
export type NitroAuthMode = 'session' | 'headers';

/** Options of a {@link NitroClient}. */
export interface NitroClientOptions {
  /** Base URL of the appliance's management address, e.g. `https://10.0.0.1` (no credentials in it). */
  readonly url: string;
  /** NITRO user name. */
  readonly username: string;
  /** NITRO password. Never logged, never put into an error. */
  readonly password: string;
  /**
   * `session`: log in once and reuse the `NITRO_AUTH_TOKEN` cookie (re-login on expiry);
   * `headers`: send `X-NITRO-USER`/`X-NITRO-PASS` on every request (no session to expire or leak).
   * @defaultValue `'session'`
   */
  readonly auth?: NitroAuthMode;
  /**
   * Idle timeout of the login session, in seconds, sent with `login`.
   * @defaultValue 900 — long enough to survive between resyncs, short enough that a crashed agent's session is freed soon
   */
  readonly sessionTimeoutSeconds?: number;
  /**
   * Most requests in flight at once. The appliance's management plane refuses work past its connection
   * limit (446), so this stays small.
   * @defaultValue 4
   */
  readonly maxConcurrent?: number;
  /**
   * Deadline of one request (connect, headers and body), in milliseconds.
   * @defaultValue 30000
   */
  readonly timeoutMs?: number;
  /** PEM CA certificate(s) that sign the appliance's certificate, when it is not publicly trusted. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /**
   * Skip TLS certificate verification. Only for labs: anyone on the path can then read the password.
   * @defaultValue false
   */
  readonly insecureSkipVerify?: boolean;
  /** Clock for request deadlines. @defaultValue `systemClock` */
  readonly clock?: Clock;
  /** Structured logger (pino-compatible). @defaultValue a silent logger */
  readonly logger?: NitroLogger;
}

/** Default values of the optional {@link NitroClientOptions}. */
export const nitroClientDefaults = {
  auth: 'session' as NitroAuthMode,
  sessionTimeoutSeconds: 900,
  maxConcurrent: 4,
  timeoutMs: 30_000,
  insecureSkipVerify: false,
} as const;

/** Validated options, with defaults applied. */
export interface ResolvedNitroClientOptions {
  readonly origin: string;
  readonly basePath: string;
  readonly https: boolean;
  readonly username: string;
  readonly password: string;
  readonly auth: NitroAuthMode;
  readonly sessionTimeoutSeconds: number;
  readonly maxConcurrent: number;
  readonly timeoutMs: number;
  readonly ca: string | Buffer | readonly (string | Buffer)[] | undefined;
  readonly insecureSkipVerify: boolean;
  readonly clock: Clock;
  readonly logger: NitroLogger;
}

function positiveInt(path: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw new ConfigError(path, `must be an integer >= ${min}, got ${value}`);
  return value;
}

/**
 * Validate options and apply defaults.
 *
 * @throws ConfigError naming the first invalid option.
 */
export function resolveNitroClientOptions(options: NitroClientOptions, prefix = ''): ResolvedNitroClientOptions {
  const at = (name: string): string => (prefix ? `${prefix}.${name}` : name);
  if (typeof options !== 'object' || options === null) throw new ConfigError(prefix, 'options are required');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new ConfigError(at('url'), 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(at('url'), `must use http or https, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(at('url'), 'must not contain credentials; use username and password');
  }
  if (typeof options.username !== 'string' || options.username === '') {
    throw new ConfigError(at('username'), 'must be a non-empty string');
  }
  if (typeof options.password !== 'string') throw new ConfigError(at('password'), 'must be a string');
  const auth = options.auth ?? nitroClientDefaults.auth;
  if (auth !== 'session' && auth !== 'headers') throw new ConfigError(at('auth'), 'must be "session" or "headers"');
  const insecure = options.insecureSkipVerify ?? nitroClientDefaults.insecureSkipVerify;
  if (typeof insecure !== 'boolean') throw new ConfigError(at('insecureSkipVerify'), 'must be a boolean');
  const resolved = {
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    https: url.protocol === 'https:',
    username: options.username,
    password: options.password,
    auth,
    sessionTimeoutSeconds: positiveInt(
      at('sessionTimeoutSeconds'),
      options.sessionTimeoutSeconds ?? nitroClientDefaults.sessionTimeoutSeconds,
    ),
    maxConcurrent: positiveInt(at('maxConcurrent'), options.maxConcurrent ?? nitroClientDefaults.maxConcurrent),
    timeoutMs: positiveInt(at('timeoutMs'), options.timeoutMs ?? nitroClientDefaults.timeoutMs),
    ca: options.ca,
    insecureSkipVerify: insecure,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
  };
  // Not enumerable: logging or serializing resolved options never shows the password.
  Object.defineProperty(resolved, 'password', { enumerable: false });
  return resolved;
}
