/**
 * A small Marathon REST client over undici: the full snapshot (`/v2/apps?embed=apps.tasks`), one app with its
 * tasks, one app's tasks, and the raw event stream response. Every failure becomes a {@link SourceError} with the
 * HTTP status and a message that names the request path but never a credential; a 404 for one app means the
 * app is gone and is returned as `undefined`, not thrown.
 */
import { SourceError } from '@nitrox/core';
import { Agent, type Dispatcher, request } from 'undici';
import { type MarathonConnectionOptions, type ResolvedConnection, resolveConnection } from './marathon-options.js';
import type { MarathonApp, MarathonTask } from './marathon-types.js';

/** An open event stream: the body chunks, to read until they end or the signal aborts. */
export interface EventStreamResponse {
  /** Response body chunks. */
  readonly body: AsyncIterable<Buffer | string>;
  /** Close the stream (idempotent). */
  close(): void;
}

const maxMessage = 200;

/** The path of an app id (`/prod/web` → `/prod/web`), each segment URL-encoded. */
export function appPath(appId: string): string {
  return `/${appId.split('/').filter((s) => s !== '').map(encodeURIComponent).join('/')}`;
}

function isAppWithTasks(app: unknown): boolean {
  return typeof app === 'object' && app !== null && typeof (app as MarathonApp).id === 'string' && Array.isArray((app as MarathonApp).tasks);
}

function peerMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof message === 'string') return message.slice(0, maxMessage);
  } catch {
    // not JSON: use the raw text
  }
  return text.slice(0, maxMessage);
}

/** `host:port` of a base URL, with the scheme's default port spelled out (as `/v2/leader` names the leader). */
function hostPort(base: string): string {
  const url = new URL(base);
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * Where a redirect of `/v2/events` leads, or why it is not followed: more than `maxRedirects` hops (marathon-lb
 * follows one), no `Location`, a scheme other than http(s), or a downgrade from https to http (the credentials
 * would travel in clear text). Errors name the request path and the reason, never a URL.
 */
export function redirectTarget(from: string, location: string | undefined, hops: number, maxRedirects: number): string | SourceError {
  const fail = (why: string): SourceError => new SourceError(`marathon GET /v2/events: redirect not followed (${why})`, { retryable: true });
  if (hops >= maxRedirects) return fail(`more than ${maxRedirects} redirect${maxRedirects === 1 ? '' : 's'}`);
  if (location === undefined || location === '') return fail('no Location header');
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return fail('invalid Location');
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') return fail(`scheme ${next.protocol} refused`);
  if (new URL(from).protocol === 'https:' && next.protocol === 'http:') return fail('https to http downgrade refused');
  next.username = '';
  next.password = '';
  return next.href;
}

/** Options of {@link MarathonApi.openEvents}. */
export interface OpenEventsOptions {
  /**
   * `light` asks Marathon (1.6+, `plan-format=light`) to leave the original and target groups out of deployment
   * events, which can be megabytes on a large cluster; older versions ignore it.
   */
  readonly planFormat?: 'light' | 'full';
}

/** The calls a {@link MarathonSource} makes; {@link MarathonClient} implements them over HTTP. */
export interface MarathonApi {
  /** Every app with its tasks (`GET /v2/apps?embed=apps.tasks`). */
  listApps(signal: AbortSignal): Promise<MarathonApp[]>;
  /** One app with its tasks, `undefined` when it does not exist. */
  getApp(appId: string, signal: AbortSignal): Promise<MarathonApp | undefined>;
  /** One app's tasks, `undefined` when the app does not exist. */
  getAppTasks(appId: string, signal: AbortSignal): Promise<MarathonTask[] | undefined>;
  /** Open the event stream. */
  openEvents(eventTypes: readonly string[], signal: AbortSignal, options?: OpenEventsOptions): Promise<EventStreamResponse>;
  /** Release connections. */
  close(): Promise<void>;
}

/** Talks to one Marathon over HTTP. Construction does no I/O; {@link MarathonClient.close} releases sockets. */
export class MarathonClient implements MarathonApi {
  readonly #conn: ResolvedConnection;
  #current = 0;
  #redirects = 0;
  #leaderMoves = 0;
  #agent: Dispatcher | undefined;
  #ownsAgent = false;

  /** @throws {@link ConfigError} for invalid options. */
  constructor(options: MarathonConnectionOptions | ResolvedConnection) {
    this.#conn = 'baseUrls' in options ? options : resolveConnection(options);
  }

  /** The base URL requests go to now, without credentials. */
  get baseUrl(): string {
    return this.#conn.baseUrls[this.#current] as string;
  }

  /** Move to the next base URL (after a transport error or a 5xx), when there are several. */
  #failover(): void {
    this.#current = (this.#current + 1) % this.#conn.baseUrls.length;
  }

  #dispatcher(): Dispatcher {
    if (this.#agent === undefined) {
      if (this.#conn.dispatcher !== undefined) {
        this.#agent = this.#conn.dispatcher;
      } else {
        const tls = this.#conn.tls ?? {};
        this.#agent = new Agent({
          connect: { ...(tls as Record<string, unknown>), timeout: this.#conn.connectTimeoutMs },
          keepAliveTimeout: 10_000,
        });
        this.#ownsAgent = true;
      }
    }
    return this.#agent;
  }

  async #call(
    path: string,
    signal: AbortSignal,
    extra: { accept?: string; stream?: boolean; url?: string } = {},
  ): Promise<Dispatcher.ResponseData> {
    const accept = extra.accept ?? 'application/json';
    let response: Dispatcher.ResponseData;
    try {
      response = await request(extra.url ?? `${this.baseUrl}${path}`, {
        dispatcher: this.#dispatcher(),
        method: 'GET',
        headers: { ...this.#conn.headers, accept },
        signal,
        headersTimeout: this.#conn.requestTimeoutMs,
        bodyTimeout: extra.stream ? 0 : this.#conn.requestTimeoutMs,
      });
    } catch (cause) {
      if (signal.aborted) throw cause;
      this.#failover();
      const reason = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.name) : 'error';
      throw new SourceError(`marathon GET ${path}: request failed (${reason})`, { cause });
    }
    if (response.statusCode >= 500) this.#failover();
    return response;
  }

  async #json<T>(path: string, signal: AbortSignal, notFoundIsUndefined: boolean): Promise<T | undefined> {
    const response = await this.#call(path, signal);
    if (response.statusCode === 404 && notFoundIsUndefined) {
      await response.body.dump();
      return undefined;
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const text = await response.body.text().catch(() => '');
      throw new SourceError(`marathon GET ${path}: HTTP ${response.statusCode} ${peerMessage(text)}`.trim(), {
        status: response.statusCode,
        retryable: response.statusCode >= 500 || response.statusCode === 429,
      });
    }
    try {
      return (await response.body.json()) as T;
    } catch (cause) {
      if (signal.aborted) throw cause;
      throw new SourceError(`marathon GET ${path}: invalid JSON body`, { status: response.statusCode, cause });
    }
  }

  /**
   * Every app with its tasks, in one call.
   *
   * @throws {@link SourceError} on transport errors, non-2xx answers and unusable bodies.
   */
  async listApps(signal: AbortSignal): Promise<MarathonApp[]> {
    const path = '/v2/apps?embed=apps.tasks';
    const body = await this.#json<{ apps?: unknown }>(path, signal, false);
    if (!Array.isArray(body?.apps)) throw new SourceError(`marathon GET ${path}: body has no "apps" array`);
    // A snapshot without embedded tasks would read as "every pool is empty": refuse it rather than wipe pools.
    if (!body.apps.every(isAppWithTasks)) throw new SourceError(`marathon GET ${path}: an app lacks "id" or embedded "tasks"`);
    return body.apps as MarathonApp[];
  }

  /** One app with its tasks, or `undefined` when Marathon answers 404 (the app does not exist). */
  async getApp(appId: string, signal: AbortSignal): Promise<MarathonApp | undefined> {
    const path = `/v2/apps${appPath(appId)}?embed=app.tasks`;
    const body = await this.#json<{ app?: unknown }>(path, signal, true);
    if (body === undefined) return undefined;
    if (!isAppWithTasks(body.app)) throw new SourceError(`marathon GET ${path}: body has no "app" with embedded "tasks"`);
    return body.app as MarathonApp;
  }

  /** The tasks of one app, or `undefined` when Marathon answers 404 (the app does not exist). */
  async getAppTasks(appId: string, signal: AbortSignal): Promise<MarathonTask[] | undefined> {
    const path = `/v2/apps${appPath(appId)}/tasks`;
    const body = await this.#json<{ tasks?: unknown }>(path, signal, true);
    if (body === undefined) return undefined;
    if (!Array.isArray(body.tasks)) throw new SourceError(`marathon GET ${path}: body has no "tasks" array`);
    return body.tasks as MarathonTask[];
  }

  /**
   * Open `GET /v2/events` with `Accept: text/event-stream`, filtered to `eventTypes` (all when empty).
   *
   * @throws {@link SourceError} when Marathon refuses the stream (e.g. 405 without the Accept header, 401).
   */
  async openEvents(
    eventTypes: readonly string[],
    signal: AbortSignal,
    options: OpenEventsOptions = {},
  ): Promise<EventStreamResponse> {
    const params = eventTypes.map((t) => `event_type=${encodeURIComponent(t)}`);
    if (options.planFormat === 'light') params.push('plan-format=light');
    const query = params.join('&');
    const path = `/v2/events${query ? `?${query}` : ''}`;
    const shortPath = '/v2/events';
    if (this.#conn.baseUrls.length > 1) await this.#moveToLeader(signal);
    let url = `${this.baseUrl}${path}`;
    let response = await this.#call(shortPath, signal, { accept: 'text/event-stream', stream: true, url });
    // A standby master redirects the stream to the leader (REST calls it proxies instead).
    for (let hops = 0; isRedirect(response.statusCode); hops++) {
      const location = response.headers.location;
      await response.body.dump().catch(() => undefined);
      const next = redirectTarget(url, typeof location === 'string' ? location : undefined, hops, this.#conn.maxRedirects);
      if (next instanceof SourceError) {
        this.#failover();
        throw next;
      }
      this.#redirects++;
      url = next;
      response = await this.#call(shortPath, signal, { accept: 'text/event-stream', stream: true, url });
    }
    if (response.statusCode !== 200) {
      const text = await response.body.text().catch(() => '');
      throw new SourceError(`marathon GET ${shortPath}: HTTP ${response.statusCode} ${peerMessage(text)}`.trim(), {
        status: response.statusCode,
      });
    }
    const type = String(response.headers['content-type'] ?? '');
    if (!type.startsWith('text/event-stream')) {
      await response.body.dump().catch(() => undefined);
      throw new SourceError(`marathon GET ${shortPath}: unexpected content-type ${type.slice(0, 60)}`, {
        status: response.statusCode,
      });
    }
    const body = response.body;
    // Closing an unread body makes undici emit UND_ERR_ABORTED: expected here, so keep it from going unhandled.
    body.on('error', () => undefined);
    return { body, close: () => body.destroy() };
  }

  /**
   * The leader named by `GET /v2/leader` (`host:port`), or `undefined` when Marathon has none or does not say
   * (404, older versions, a proxy in front).
   */
  async leader(signal: AbortSignal): Promise<string | undefined> {
    try {
      const body = await this.#json<{ leader?: unknown }>('/v2/leader', signal, true);
      return typeof body?.leader === 'string' && body.leader !== '' ? body.leader : undefined;
    } catch (error) {
      if (signal.aborted) throw error;
      return undefined;
    }
  }

  /** With several base URLs, ask which master leads and use its URL (re-resolved at every stream (re)connect). */
  async #moveToLeader(signal: AbortSignal): Promise<void> {
    const leader = await this.leader(signal);
    if (leader === undefined) return;
    const index = this.#conn.baseUrls.findIndex((base) => hostPort(base) === leader);
    if (index >= 0 && index !== this.#current) {
      this.#current = index;
      this.#leaderMoves++;
    }
  }

  /** Counters: redirects followed on `/v2/events`, moves to the leader's URL found by `/v2/leader`. */
  get stats(): { readonly redirects: number; readonly leaderMoves: number } {
    return { redirects: this.#redirects, leaderMoves: this.#leaderMoves };
  }

  /** Release the connection pool this client created (a given dispatcher is left open). */
  async close(): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    if (agent !== undefined && this.#ownsAgent) await agent.close().catch(() => undefined);
    this.#ownsAgent = false;
  }
}
