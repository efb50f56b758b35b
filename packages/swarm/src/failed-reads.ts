/**
 * Targeted reads that failed, waiting to be read again after a backoff with jitter: node and service reads
 * pile up while one timer runs, and a successful pass resets the backoff. The polls would repair them too, but
 * later.
 */
import { type Clock, RetryBackoff, type RetryBackoffOptions, type TimerHandle } from '@nitrox/core';

/** What to read again. */
export interface RetryWork {
  readonly nodes: boolean;
  readonly services: Iterable<string>;
}

/** Failed reads and the timer that hands them back. */
export class FailedReads {
  readonly #clock: Clock;
  readonly #backoff: RetryBackoff;
  readonly #due: (work: { nodes: boolean; services: ReadonlySet<string> }) => void;
  #nodes = false;
  readonly #services = new Set<string>();
  #timer: TimerHandle | undefined;

  /** `due` receives the work when its delay has passed. */
  constructor(clock: Clock, backoff: Omit<RetryBackoffOptions, 'clock'>, due: (work: { nodes: boolean; services: ReadonlySet<string> }) => void) {
    this.#clock = clock;
    this.#backoff = new RetryBackoff({ ...backoff, clock });
    this.#due = due;
  }

  /** Read `work` again after the next backoff delay (joining work already waiting). */
  add(work: RetryWork): void {
    this.#nodes ||= work.nodes;
    for (const id of work.services) this.#services.add(id);
    if (this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      const services = new Set(this.#services);
      const nodes = this.#nodes;
      this.#nodes = false;
      this.#services.clear();
      this.#due({ nodes, services });
    }, this.#backoff.next());
  }

  /** A pass succeeded: the next failure waits the initial delay again. */
  reset(): void {
    this.#backoff.reset();
  }

  /** Drop the timer (stop). */
  cancel(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
