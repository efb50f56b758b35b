/**
 * Fault injection for the API-server simulator: what a real cluster and network do to a watcher — dropped
 * connections, watches that go silent without closing (half-open TCP), history compaction (410 Expired),
 * 5xx answers, slow answers, malformed stream lines and expired continue tokens.
 */
import type { ContinueState } from './simulator-list.js';
import type { SimulatorStore } from './simulator-store.js';
import type { SimulatorWatch } from './simulator-watch.js';

/** Options of {@link KubeSimulatorFaults.failRequests}. */
export interface FailRequestsOptions {
  /** How many requests fail. @defaultValue 1 */
  count?: number;
  /** HTTP status to answer. @defaultValue 500 */
  status?: number;
  /** Only fail watches (`true`), only non-watch requests (`false`), or any (`undefined`). */
  watch?: boolean;
  /** Only fail requests with this method. */
  method?: string;
  /** Send `Retry-After: <seconds>` with the failure (as the API server does with 429 and 504). */
  retryAfterSeconds?: number;
}

/** A failure to answer with. */
export interface InjectedFailure {
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;
}

/** The fault switches of a running simulator. */
export interface KubeSimulatorFaults {
  /** Delay before every answer, in milliseconds. @defaultValue 0 */
  latencyMs: number;
  /** Answer the next matching requests with an error status. */
  failRequests(options?: FailRequestsOptions): void;
  /** Destroy the socket of every open watch; returns how many. */
  dropWatches(): number;
  /** Make every open watch go silent without closing; returns how many. */
  stallWatches(): number;
  /**
   * Compact the history: every revision before now becomes too old. Open watches end with the in-stream
   * ERROR 410 unless `closeWatches` is false.
   */
  expireHistory(options?: { closeWatches?: boolean }): void;
  /** Write a raw line (e.g. malformed JSON) into every open watch; returns how many. */
  injectWatchLine(line: string): number;
  /** Garble the next live event on every open watch (the stored history keeps the good copy). */
  corruptNextEvent(): void;
  /**
   * Expire every outstanding list `continue` token, so the next page answers 410 (with an inconsistent token
   * that continues at the latest revision, as the API server after a compaction).
   */
  expireContinueTokens(): void;
}

interface PendingFailure {
  remaining: number;
  status: number;
  watch: boolean | undefined;
  method: string | undefined;
  retryAfterSeconds: number | undefined;
}

/** Implementation of {@link KubeSimulatorFaults}. */
export class SimulatorFaults implements KubeSimulatorFaults {
  latencyMs = 0;
  #failures: PendingFailure[] = [];

  constructor(
    private readonly store: SimulatorStore,
    private readonly watches: Set<SimulatorWatch>,
    private readonly continueState: ContinueState,
    private readonly expiredReason: 'Expired' | 'Gone',
  ) {}

  failRequests(options: FailRequestsOptions = {}): void {
    this.#failures.push({
      remaining: options.count ?? 1,
      status: options.status ?? 500,
      watch: options.watch,
      method: options.method,
      retryAfterSeconds: options.retryAfterSeconds,
    });
  }

  /** The failure to answer this request with, if a pending one matches it. */
  takeFailure(method: string, watch: boolean): InjectedFailure | undefined {
    for (const f of this.#failures) {
      if (f.remaining <= 0) continue;
      if (f.watch !== undefined && f.watch !== watch) continue;
      if (f.method !== undefined && f.method !== method) continue;
      f.remaining--;
      this.#failures = this.#failures.filter((x) => x.remaining > 0);
      return { status: f.status, retryAfterSeconds: f.retryAfterSeconds };
    }
    return undefined;
  }

  dropWatches(): number {
    const all = [...this.watches];
    for (const w of all) w.drop();
    return all.length;
  }

  stallWatches(): number {
    let n = 0;
    for (const w of this.watches) {
      if (!w.stalled) n++;
      w.stalled = true;
    }
    return n;
  }

  expireHistory(options: { closeWatches?: boolean } = {}): void {
    this.store.compact();
    if (options.closeWatches === false) return;
    for (const w of [...this.watches]) {
      if (!w.stalled) w.expire(this.expiredReason, this.store.floor);
    }
  }

  injectWatchLine(line: string): number {
    let n = 0;
    for (const w of this.watches) {
      if (w.stalled) continue;
      w.writeRaw(line);
      n++;
    }
    return n;
  }

  corruptNextEvent(): void {
    for (const w of this.watches) w.corruptNextEvent();
  }

  expireContinueTokens(): void {
    this.continueState.generation++;
  }
}
