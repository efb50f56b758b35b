/**
 * One HTTP exchange with the appliance over an undici `Pool`: the concurrency cap, the per-request deadline
 * (on the injected clock), TLS settings, JSON in and out. It knows nothing of sessions; failures to reach
 * the appliance become a retryable {@link NitroError} that names the request but never its headers or body.
 */
import { abortReason, TimeoutError } from '@nitrox/core';
import { Pool } from 'undici';
import { NitroError } from './errors.js';
import type { ResolvedNitroClientOptions } from './nitro-client-options.js';
import type { NitroEnvelope } from './nitro-types.js';
import { Semaphore } from './semaphore.js';

/** One request. */
export interface NitroHttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path and query below the base URL, starting with `/nitro/v1/`. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
}

/** One answer, body parsed. */
export interface NitroHttpResponse {
  readonly status: number;
  readonly body: NitroEnvelope & Record<string, unknown>;
  /** `NITRO_AUTH_TOKEN` from `Set-Cookie`, when present. */
  readonly authToken: string | undefined;
}

/** The path without its query, for error messages and logs. */
export function resourceOf(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

function readAuthToken(header: string | string[] | undefined): string | undefined {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const value of values) {
    const match = /(?:^|;\s*)NITRO_AUTH_TOKEN=([^;]*)/.exec(value);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

/** HTTP exchanges with one appliance, at most `maxConcurrent` at once. */
export class NitroTransport {
  readonly #options: ResolvedNitroClientOptions;
  readonly #pool: Pool;
  readonly #semaphore: Semaphore;
  #inFlight = 0;
  #maxInFlight = 0;

  constructor(options: ResolvedNitroClientOptions) {
    this.#options = options;
    this.#semaphore = new Semaphore(options.maxConcurrent);
    this.#pool = new Pool(options.origin, {
      connections: options.maxConcurrent,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      ...(options.https
        ? {
            connect: {
              rejectUnauthorized: !options.insecureSkipVerify,
              ...(options.ca === undefined ? {} : { ca: options.ca as string | Buffer | (string | Buffer)[] }),
            },
          }
        : {}),
    });
  }

  /** Most requests that were in flight at once since creation. */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Send one request, waiting for a free slot first. */
  send(request: NitroHttpRequest): Promise<NitroHttpResponse> {
    return this.#semaphore.run(() => this.#exchange(request), request.signal);
  }

  async #exchange(request: NitroHttpRequest): Promise<NitroHttpResponse> {
    const { clock, timeoutMs } = this.#options;
    const resource = resourceOf(request.path);
    const controller = new AbortController();
    const timer = clock.setTimeout(
      () => controller.abort(new TimeoutError(`NITRO request timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = (): void => controller.abort(abortReason(request.signal as AbortSignal));
    request.signal?.addEventListener('abort', onAbort, { once: true });
    this.#inFlight++;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    try {
      const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
      let payload: string | undefined;
      if (request.body !== undefined) {
        payload = JSON.stringify(request.body);
        headers['content-type'] = 'application/json';
      }
      const res = await this.#pool.request({
        origin: this.#options.origin,
        path: this.#options.basePath + request.path,
        method: request.method,
        headers,
        body: payload ?? null,
        signal: controller.signal,
      });
      const text = await res.body.text();
      let body: NitroEnvelope & Record<string, unknown> = {};
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text) as NitroEnvelope & Record<string, unknown>;
        } catch (error) {
          throw new NitroError('NITRO answered with a body that is not JSON', {
            method: request.method,
            resource,
            status: res.statusCode,
            cause: error,
          });
        }
      }
      return { status: res.statusCode, body, authToken: readAuthToken(res.headers['set-cookie']) };
    } catch (error) {
      if (error instanceof NitroError) throw error;
      const reason = controller.signal.aborted ? controller.signal.reason : error;
      if (request.signal?.aborted) throw abortReason(request.signal);
      const timedOut = reason instanceof TimeoutError;
      throw new NitroError(timedOut ? reason.message : 'NITRO request failed', {
        method: request.method,
        resource,
        cause: timedOut ? reason : sanitizeCause(error),
        retryable: true,
      });
    } finally {
      this.#inFlight--;
      clock.clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Close every connection. */
  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** Keep the class, code and message of a network error, drop anything else it may hold. */
function sanitizeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const clean = new Error(error.message);
  clean.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') (clean as Error & { code?: string }).code = code;
  return clean;
}
