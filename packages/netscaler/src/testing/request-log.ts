/**
 * The simulator's record of every request it answered, for assertions: method, object type and name, the
 * `args`/`filter` it was given, the status and errorcode it answered, and how many records a write carried.
 * Login bodies and authentication headers are never recorded.
 */
import type { NitroRecord } from '../nitro-types.js';
import type { TokenSource } from './request-decode.js';

/** One answered request. */
export interface RequestLogEntry {
  /** Order of arrival, from 1. */
  readonly seq: number;
  readonly method: string;
  /** Object type (`servicegroup`, `login`, …). */
  readonly type: string;
  /** Object name from the path, decoded. */
  readonly name: string | undefined;
  /** Query parameters; `args` and `filter` are kept as their raw text. */
  readonly query: Readonly<Record<string, string>>;
  /** HTTP status answered. */
  readonly status: number;
  /** NITRO errorcode answered. */
  readonly errorcode: number;
  /** Records in the body of a write (0 for reads and deletes). */
  readonly items: number;
  /** The records of a write (absent for login/logout). */
  readonly records: readonly NitroRecord[] | undefined;
  /** `X-NITRO-ONERROR` header, when sent. */
  readonly onError: string | undefined;
  /** How the request authenticated. */
  readonly auth: 'session' | 'headers' | 'none';
  /**
   * Where its credentials were: `headers` (`X-NITRO-USER`/`X-NITRO-PASS`), or the session token's place —
   * `cookie` (`Cookie: NITRO_AUTH_TOKEN=`), `set-cookie` (a `Set-Cookie:` request header, as adc-nitro-go and
   * the NITRO Python SDK send it), `sessionid-cookie` (`Cookie: sessionid=`, NITRO Java SDK), `body`
   * (`sessionid` in the payload). Absent when none was given.
   */
  readonly credentials: TokenSource | 'headers' | undefined;
  /** Whether the write carried an array (a bulk request). */
  readonly bulk: boolean;
  /** True for POST/PUT/DELETE other than login/logout. */
  readonly write: boolean;
}

/** Filter for {@link RequestLog.count}. */
export type RequestLogFilter = Partial<Pick<RequestLogEntry, 'method' | 'type' | 'name' | 'status' | 'errorcode' | 'write'>>;

/** The request log. */
export class RequestLog {
  readonly #entries: RequestLogEntry[] = [];
  #seq = 0;

  /** Every entry since the last {@link RequestLog.clear}, oldest first. */
  get entries(): readonly RequestLogEntry[] {
    return this.#entries;
  }

  /** Entries that changed (or tried to change) configuration. */
  writes(): RequestLogEntry[] {
    return this.#entries.filter((e) => e.write);
  }

  /** Number of entries matching every given field. */
  count(filter: RequestLogFilter = {}): number {
    return this.#entries.filter((e) =>
      Object.entries(filter).every(([k, v]) => e[k as keyof RequestLogEntry] === v),
    ).length;
  }

  /** Forget every entry. */
  clear(): void {
    this.#entries.length = 0;
  }

  /** @internal Record an entry. */
  record(entry: Omit<RequestLogEntry, 'seq'>): void {
    this.#entries.push({ seq: ++this.#seq, ...entry });
  }
}
