/**
 * Staleness of the sources, from each runtime's optional `disconnectedSince()`: how long each has been out of
 * contact with its peer (the `nitrox_source_disconnected_seconds` gauge), which have been out longer than
 * `readiness.sourceGrace` (`/readyz` turns false), and a log line when a source has lost contact for more than a
 * moment and when it resumes, saying how long it was down. Checked on a timer of the runtime's clock (the same
 * clock the plugins were given), so a flap shorter than the check interval is never logged.
 */
import type { Clock, TimerHandle } from '@nitrox/core';
import type { SourceRuntime } from '@nitrox/plugin';
import type { Logger } from 'pino';

/** Defaults of {@link SourceContact}. */
export const sourceContactDefaults = {
  /** A watch restart or a single failed read is normal; past this a loss of contact is logged. */
  noticeMs: 5_000,
  /** How often contact is checked for the log lines (the gauge and readiness read it when asked). */
  checkEveryMs: 1_000,
} as const;

/** Options of {@link SourceContact}. */
export interface SourceContactOptions {
  readonly sources: Iterable<SourceRuntime>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Out of contact longer than this: not ready. */
  readonly graceMs: number;
  /** Out of contact longer than this: logged. @defaultValue 5 s */
  readonly noticeMs?: number;
  /** Check interval of the log lines. @defaultValue 1 s */
  readonly checkEveryMs?: number;
}

/** Watches the contact of every source with its peer. */
export class SourceContact {
  readonly #sources: SourceRuntime[];
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #graceMs: number;
  readonly #noticeMs: number;
  readonly #checkEveryMs: number;
  /** Sources whose loss of contact was logged, with the time it started. */
  readonly #reported = new Map<string, number>();
  #timer: TimerHandle | undefined;

  /** Takes the sources to watch; does nothing until {@link SourceContact.start}. */
  constructor(options: SourceContactOptions) {
    this.#sources = [...options.sources];
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#graceMs = options.graceMs;
    this.#noticeMs = options.noticeMs ?? sourceContactDefaults.noticeMs;
    this.#checkEveryMs = options.checkEveryMs ?? sourceContactDefaults.checkEveryMs;
  }

  /** Milliseconds `source` has been out of contact: 0 while in contact, `undefined` when it cannot tell. */
  downMs(source: SourceRuntime): number | undefined {
    if (!source.disconnectedSince) return undefined;
    const since = source.disconnectedSince();
    return since === undefined ? 0 : Math.max(0, this.#clock.now() - since);
  }

  /** Sources out of contact longer than the grace, as `/readyz` lists them. */
  stale(): string[] {
    const out: string[] = [];
    for (const source of this.#sources) {
      const down = this.downMs(source) ?? 0;
      if (down > this.#graceMs) out.push(`source ${source.name} (no contact for ${Math.round(down / 1000)} s)`);
    }
    return out;
  }

  /** Start the periodic check. */
  start(): void {
    if (this.#timer !== undefined) return;
    const tick = () => {
      this.check();
      this.#timer = this.#clock.setTimeout(tick, this.#checkEveryMs);
    };
    this.#timer = this.#clock.setTimeout(tick, this.#checkEveryMs);
  }

  /** Stop the periodic check. */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Log the sources that lost contact for more than a moment, and those that resumed after a logged loss. */
  check(): void {
    const now = this.#clock.now();
    for (const source of this.#sources) {
      const since = source.disconnectedSince?.();
      const reported = this.#reported.get(source.name);
      if (reported !== undefined && since !== reported) {
        this.#reported.delete(source.name);
        const downMs = now - reported;
        this.#logger.info({ source: source.name, downSeconds: Math.round(downMs / 100) / 10 }, `source ${source.name} resumed contact after ${formatSeconds(downMs)}`);
      }
      if (since !== undefined && since !== this.#reported.get(source.name) && now - since >= this.#noticeMs) {
        this.#reported.set(source.name, since);
        this.#logger.warn(
          { source: source.name, downSeconds: Math.round((now - since) / 100) / 10, graceSeconds: this.#graceMs / 1000 },
          `source ${source.name} has had no contact with its peer for ${formatSeconds(now - since)}; not ready past ${formatSeconds(this.#graceMs)}`,
        );
      }
    }
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
