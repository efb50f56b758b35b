/**
 * A small typed NITRO client. In `session` mode it logs in once, reuses the `NITRO_AUTH_TOKEN` cookie for
 * every request, logs in again when the appliance says the session expired (444, or any 401) and retries that
 * request once; concurrent requests that hit the same expiry share one re-login. In `headers` mode every
 * request carries `X-NITRO-USER`/`X-NITRO-PASS` instead. Bulk writes send an array with
 * `X-NITRO-ONERROR: continue` and return one result per item (207 answers are unpacked), so the caller knows
 * exactly which items failed. Constructing does no I/O; `close()` logs out and closes connections.
 */
import { abortReason } from '@nitrox/core';
import { NitroError } from './errors.js';
import {
  type NitroClientOptions,
  type ResolvedNitroClientOptions,
  resolveNitroClientOptions,
} from './nitro-client-options.js';
import { configPath, type NitroParams } from './nitro-query.js';
import { type NitroResult, NitroResultCounter, nitroFailureOf, nitroResultOf } from './nitro-results.js';
import { NitroTransport, type NitroHttpRequest, type NitroHttpResponse, resourceOf } from './nitro-transport.js';
import { NitroErrorCode, type NitroItemResult, type NitroRecord } from './nitro-types.js';

/** Options of a read. */
export interface NitroGetOptions {
  /** Object name (appended to the path, encoded as NITRO expects). */
  readonly name?: string;
  /** `args=` pairs. */
  readonly args?: NitroParams;
  /** `filter=` pairs (exact match). */
  readonly filter?: NitroParams;
  /** Attributes to return. */
  readonly attrs?: readonly string[];
  readonly signal?: AbortSignal;
}

/** Options of a bulk write. */
export interface NitroBulkOptions {
  /** `X-NITRO-ONERROR`. @defaultValue `'continue'` */
  readonly onError?: 'continue' | 'exit';
  /**
   * Run an action on every record (`POST …/<type>?action=<action>`) instead of adding them, e.g. `unbind`
   * to unbind many bindings in one request (what the official NITRO SDKs do for a bulk delete of a
   * binding type; `rm` for other types). Only with `POST`.
   */
  readonly action?: string;
  readonly signal?: AbortSignal;
}

/** Counters of a client, for metrics and benchmarks. */
export interface NitroClientStats {
  /** Requests sent, logins included. */
  readonly requests: number;
  /** POST/PUT/DELETE requests other than login/logout. */
  readonly writes: number;
  /** Successful logins. */
  readonly logins: number;
  /** Requests retried after a re-login. */
  readonly relogins: number;
  /** Most requests in flight at once. */
  readonly maxInFlight: number;
  /**
   * Requests by result, logins, logouts and retries included (the counts add up to `requests`): `ok`;
   * `errorcode:<n>` when the appliance named a NITRO error (`errorcode:258` is a read of a missing object,
   * `errorcode:1243` a bulk request with failed items, `errorcode:444` an expired session); `http:<n>xx` for
   * an error answer without an errorcode; `timeout`, `network` or `aborted` when no answer came.
   * Labels never seen are absent.
   */
  readonly results: Readonly<Partial<Record<NitroResult, number>>>;
}

const sessionCodes = new Set<number>([NitroErrorCode.sessionExpired, NitroErrorCode.authTimeout]);

/** A typed NITRO client for one appliance. */
export class NitroClient {
  readonly #options: ResolvedNitroClientOptions;
  readonly #transport: NitroTransport;
  #token: string | undefined;
  #login: Promise<string> | undefined;
  #closed = false;
  #requests = 0;
  #writes = 0;
  #logins = 0;
  #relogins = 0;
  readonly #results = new NitroResultCounter();

  /** @throws ConfigError when an option is invalid. */
  constructor(options: NitroClientOptions) {
    this.#options = resolveNitroClientOptions(options);
    this.#transport = new NitroTransport(this.#options);
  }

  /** The appliance's origin (scheme, host and port). */
  get origin(): string {
    return this.#options.origin;
  }

  /** Whether a login session is currently held. */
  get hasSession(): boolean {
    return this.#token !== undefined;
  }

  /** Counters since creation. */
  get stats(): NitroClientStats {
    return {
      requests: this.#requests,
      writes: this.#writes,
      logins: this.#logins,
      relogins: this.#relogins,
      maxInFlight: this.#transport.maxInFlight,
      results: this.#results.snapshot(),
    };
  }

  /**
   * Log in now (in `session` mode; a no-op in `headers` mode), to fail fast on bad credentials.
   * @throws NitroError when the appliance refuses the login (354: invalid credentials, not retryable).
   */
  async login(signal?: AbortSignal): Promise<void> {
    if (this.#options.auth === 'session') await this.#ensureToken(signal);
  }

  /**
   * Read objects of `type` (all, or the one named): the array under the `type` key, `[]` when absent
   * (a binding with no members).
   * @throws NitroError — errorcode 258 when the named object does not exist.
   */
  async get<T extends NitroRecord = NitroRecord>(type: string, options: NitroGetOptions = {}): Promise<T[]> {
    const body = await this.#call({ method: 'GET', path: configPath(type, options), signal: options.signal });
    const items = body[type];
    return Array.isArray(items) ? (items as T[]) : [];
  }

  /** Like {@link NitroClient.get}, but `undefined` when the named object does not exist (258). */
  async tryGet<T extends NitroRecord = NitroRecord>(type: string, options: NitroGetOptions = {}): Promise<T[] | undefined> {
    try {
      return await this.get<T>(type, options);
    } catch (error) {
      if (error instanceof NitroError && error.errorcode === NitroErrorCode.noSuchResource) return undefined;
      throw error;
    }
  }

  /** Count objects of `type` (`?count=yes`), optionally filtered. */
  async count(type: string, options: Omit<NitroGetOptions, 'attrs'> = {}): Promise<number> {
    const path = configPath(type, options);
    const body = await this.#call({
      method: 'GET',
      path: `${path}${path.includes('?') ? '&' : '?'}count=yes`,
      signal: options.signal,
    });
    const first = (body[type] as Array<{ __count?: unknown }> | undefined)?.[0];
    return Number(first?.__count ?? 0);
  }

  /** Create one object (`POST`). @throws NitroError on failure (273 when it exists). */
  async add(type: string, record: NitroRecord, signal?: AbortSignal): Promise<void> {
    await this.#call({ method: 'POST', path: configPath(type), body: { [type]: record }, signal });
  }

  /** Change one object in place (`PUT`). */
  async update(type: string, record: NitroRecord, signal?: AbortSignal): Promise<void> {
    await this.#call({ method: 'PUT', path: configPath(type), body: { [type]: record }, signal });
  }

  /** Delete (or unbind) an object: `DELETE /config/<type>/<name>?args=…`. @throws NitroError (258 when absent). */
  async remove(type: string, name: string, args?: NitroParams, signal?: AbortSignal): Promise<void> {
    await this.#call({ method: 'DELETE', path: configPath(type, { name, args }), signal });
  }

  /** Run an action (`POST ?action=<action>`), e.g. `enable`. */
  async action(type: string, action: string, record: NitroRecord, signal?: AbortSignal): Promise<void> {
    await this.#call({ method: 'POST', path: configPath(type, { action }), body: { [type]: record }, signal });
  }

  /**
   * Create (`POST`; `PUT` for a binding type, the documented bulk bind) or change (`PUT`) many objects in one
   * request, or run `options.action` on each of them
   * (`POST ?action=`, e.g. `unbind`). Resolves with one result per record, in order: a 207 answer is
   * unpacked; a 4xx refusal of the whole request marks every item with its code and `wholeRequest`.
   * @throws NitroError when the request itself failed (network, timeout, 5xx, session that cannot be renewed).
   */
  async bulk(
    method: 'POST' | 'PUT',
    type: string,
    records: readonly NitroRecord[],
    options: NitroBulkOptions = {},
  ): Promise<NitroItemResult[]> {
    if (records.length === 0) return [];
    if (options.action !== undefined && method !== 'POST') {
      throw new TypeError(`a bulk action must use POST, got ${method}`);
    }
    const request: NitroHttpRequest = {
      method,
      path: configPath(type, options.action === undefined ? {} : { action: options.action }),
      body: { [type]: records },
      headers: { 'x-nitro-onerror': options.onError ?? 'continue' },
      signal: options.signal,
    };
    const res = await this.#send(request);
    if (res.status === 207) {
      const items = res.body.response ?? [];
      return records.map(
        (_, i) =>
          items[i] ?? {
            errorcode: res.body.errorcode ?? NitroErrorCode.bulkFailed,
            message: 'not executed (bulk operation stopped)',
            severity: 'ERROR',
          },
      );
    }
    if (res.status >= 200 && res.status < 300) {
      return records.map(() => ({ errorcode: 0, message: 'Done', severity: 'NONE' }));
    }
    const error = this.#error(request, res);
    if (res.status >= 400 && res.status < 500 && res.status !== 401 && !error.retryable) {
      return records.map(() => ({
        errorcode: error.errorcode ?? -1,
        message: error.nitroMessage ?? `HTTP ${res.status}`,
        severity: 'ERROR',
        wholeRequest: true,
      }));
    }
    throw error;
  }

  /** Log out (in `session` mode) and close the connections. Idempotent; logout failures are ignored. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const token = this.#token;
    this.#token = undefined;
    if (token !== undefined) {
      try {
        await this.#exchange({
          method: 'POST',
          path: configPath('logout'),
          body: { logout: {} },
          headers: { cookie: `NITRO_AUTH_TOKEN=${token}` },
        });
      } catch (error) {
        this.#options.logger.debug({ err: (error as Error).message }, 'NITRO logout failed');
      }
    }
    await this.#transport.close();
  }

  async #call(request: NitroHttpRequest): Promise<NitroHttpResponse['body']> {
    const res = await this.#send(request);
    if (res.status >= 200 && res.status < 300 && res.status !== 207 && !(res.body.errorcode ?? 0)) return res.body;
    throw this.#error(request, res);
  }

  /** Send with authentication; on a session failure, log in again and retry exactly once. */
  async #send(request: NitroHttpRequest): Promise<NitroHttpResponse> {
    if (this.#closed) throw new NitroError('NITRO client is closed', { method: request.method, resource: resourceOf(request.path), retryable: false });
    if (request.method !== 'GET') this.#writes++;
    if (this.#options.auth === 'headers') {
      return this.#sendOnce(request, {
        'x-nitro-user': this.#options.username,
        'x-nitro-pass': this.#options.password,
      });
    }
    const token = await this.#ensureToken(request.signal);
    const res = await this.#sendOnce(request, { cookie: `NITRO_AUTH_TOKEN=${token}` });
    if (!this.#isSessionFailure(res)) return res;
    this.#options.logger.info({ resource: resourceOf(request.path), errorcode: res.body.errorcode }, 'NITRO session expired; logging in again');
    if (this.#token === token) this.#token = undefined;
    this.#relogins++;
    const fresh = await this.#ensureToken(request.signal);
    return this.#sendOnce(request, { cookie: `NITRO_AUTH_TOKEN=${fresh}` });
  }

  async #sendOnce(request: NitroHttpRequest, auth: Record<string, string>): Promise<NitroHttpResponse> {
    const res = await this.#exchange({ ...request, headers: { ...request.headers, ...auth } });
    this.#options.logger.debug(
      { method: request.method, resource: resourceOf(request.path), status: res.status, errorcode: res.body.errorcode },
      'NITRO request',
    );
    return res;
  }

  /** One HTTP exchange, counted in `requests` and by result. */
  async #exchange(request: NitroHttpRequest): Promise<NitroHttpResponse> {
    this.#requests++;
    let res: NitroHttpResponse;
    try {
      res = await this.#transport.send(request);
    } catch (error) {
      this.#results.add(nitroFailureOf(error));
      throw error;
    }
    this.#results.add(nitroResultOf(res.status, res.body.errorcode));
    return res;
  }

  #isSessionFailure(res: NitroHttpResponse): boolean {
    return res.status === 401 || (res.body.errorcode !== undefined && sessionCodes.has(res.body.errorcode));
  }

  #ensureToken(signal?: AbortSignal): Promise<string> {
    if (this.#token !== undefined) return Promise.resolve(this.#token);
    // One login at a time: concurrent requests after an expiry share it. The shared login ignores the
    // caller's signal so that one caller aborting does not fail the others.
    this.#login ??= this.#doLogin().finally(() => {
      this.#login = undefined;
    });
    if (signal === undefined) return this.#login;
    const login = this.#login;
    return new Promise<string>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => reject(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      login.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async #doLogin(): Promise<string> {
    const { username, password, sessionTimeoutSeconds } = this.#options;
    const request: NitroHttpRequest = {
      method: 'POST',
      path: configPath('login'),
      body: { login: { username, password, timeout: sessionTimeoutSeconds } },
    };
    const res = await this.#exchange(request);
    const token = res.authToken ?? res.body.sessionid;
    if (res.status < 200 || res.status >= 300 || (res.body.errorcode ?? 0) !== 0 || !token) {
      const error = this.#error(request, res, 'NITRO login failed');
      this.#options.logger.warn({ status: res.status, errorcode: error.errorcode, username }, 'NITRO login failed');
      throw error;
    }
    this.#logins++;
    this.#token = token;
    this.#options.logger.info({ username, origin: this.#options.origin }, 'NITRO login');
    return token;
  }

  #error(request: NitroHttpRequest, res: NitroHttpResponse, message = 'NITRO request failed'): NitroError {
    const code = res.body.errorcode;
    const invalidCredentials =
      code === NitroErrorCode.invalidCredentials || code === NitroErrorCode.invalidCredentials2;
    return new NitroError(message, {
      method: request.method,
      resource: resourceOf(request.path),
      status: res.status,
      errorcode: code,
      nitroMessage: typeof res.body.message === 'string' ? res.body.message : undefined,
      ...(invalidCredentials ? { retryable: false } : {}),
    });
  }
}
