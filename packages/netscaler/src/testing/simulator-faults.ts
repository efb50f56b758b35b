/**
 * Fault injection for the simulator: fail the next requests with a status and errorcode (5xx, 446
 * connection limit, …), fail individual records inside writes (to provoke a partial bulk failure), kill
 * every session, or add latency to every answer.
 */
import type { NitroRecord } from '../nitro-types.js';
import { NitroFault, nitroFaults } from './nitro-fault.js';

/** Which requests a fault applies to. */
export interface FaultMatch {
  /** HTTP method. */
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Object type; login and logout are matched only when named here. */
  readonly type?: string;
}

/** A request-level fault. */
export interface RequestFault extends FaultMatch {
  /** HTTP status to answer. */
  readonly status: number;
  /** NITRO errorcode in the body. @defaultValue 0 for 5xx */
  readonly errorcode?: number;
  /** NITRO message. */
  readonly message?: string;
  /** How many requests to fail. @defaultValue 1 */
  readonly times?: number;
}

/** An item-level fault: records for which `match` is true fail inside a write. */
export interface ItemFault {
  /** Object type of the write. */
  readonly type?: string;
  /** Which records fail. */
  readonly match: (record: NitroRecord) => boolean;
  /** @defaultValue 278 (Invalid argument) */
  readonly errorcode?: number;
  /** @defaultValue `'Invalid argument'` */
  readonly message?: string;
  /** HTTP status when the write was a single record. @defaultValue 400 */
  readonly status?: number;
  /** How many records to fail. @defaultValue Infinity */
  readonly times?: number;
}

interface Counted<T> {
  rule: T;
  left: number;
}

/** Faults armed on a simulator. */
export class SimulatorFaults {
  /** Delay added before every answer, in milliseconds (real time). */
  latencyMs = 0;
  readonly #requests: Counted<RequestFault>[] = [];
  readonly #items: Counted<ItemFault>[] = [];
  readonly #kills: Counted<FaultMatch>[] = [];
  readonly #killSessions: () => void;

  /** @internal */
  constructor(killSessions: () => void) {
    this.#killSessions = killSessions;
  }

  /** Fail the next matching request(s) with `status`/`errorcode`. */
  failNext(rule: RequestFault): void {
    this.#requests.push({ rule, left: rule.times ?? 1 });
  }

  /** Answer the next `times` requests with 446 "Connection limit to CFE exceeded". */
  connectionLimit(times = 1, match: FaultMatch = {}): void {
    const fault = nitroFaults.connectionLimit();
    this.failNext({ ...match, status: fault.status, errorcode: fault.errorcode, message: fault.message, times });
  }

  /** Answer the next `times` requests with a 5xx. */
  serverError(times = 1, status = 503, match: FaultMatch = {}): void {
    this.failNext({ ...match, status, errorcode: 0, message: 'Service Unavailable', times });
  }

  /** Fail individual records inside writes (single or bulk). */
  failItems(rule: ItemFault): void {
    this.#items.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY });
  }

  /** Kill every session now: the next request with an old token gets 444. */
  killSessions(): void {
    this.#killSessions();
  }

  /**
   * Kill every session when the next matching request arrives (before it is authenticated), so that the
   * request itself meets an expired session — a session dying in the middle of a sequence of calls.
   */
  killSessionsOn(match: FaultMatch, times = 1): void {
    this.#kills.push({ rule: match, left: times });
  }

  /** Disarm every fault and remove latency. */
  clear(): void {
    this.#requests.length = 0;
    this.#items.length = 0;
    this.#kills.length = 0;
    this.latencyMs = 0;
  }

  /** @internal The request fault to answer with, consuming one use. */
  takeRequestFault(method: string, type: string): NitroFault | undefined {
    const auth = type === 'login' || type === 'logout';
    for (const entry of this.#requests) {
      const { rule } = entry;
      if (entry.left <= 0) continue;
      if (rule.method !== undefined && rule.method !== method) continue;
      if (rule.type === undefined ? auth : rule.type !== type) continue;
      entry.left--;
      return new NitroFault(rule.errorcode ?? 0, rule.message ?? `HTTP ${rule.status}`, rule.status);
    }
    return undefined;
  }

  /** @internal Kill sessions if a session-kill rule matches this request. */
  applySessionKill(method: string, type: string): void {
    for (const entry of this.#kills) {
      const { rule } = entry;
      if (entry.left <= 0) continue;
      if (rule.method !== undefined && rule.method !== method) continue;
      if (rule.type !== undefined && rule.type !== type) continue;
      entry.left--;
      this.#killSessions();
      return;
    }
  }

  /** @internal The item fault for `record`, consuming one use. */
  takeItemFault(type: string, record: NitroRecord): NitroFault | undefined {
    for (const entry of this.#items) {
      const { rule } = entry;
      if (entry.left <= 0) continue;
      if (rule.type !== undefined && rule.type !== type) continue;
      if (!rule.match(record)) continue;
      entry.left--;
      return new NitroFault(rule.errorcode ?? 278, rule.message ?? 'Invalid argument', rule.status ?? 400);
    }
    return undefined;
  }
}
