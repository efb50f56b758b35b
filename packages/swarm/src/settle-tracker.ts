/**
 * Which services the swarm source is following because their tasks are still converging. The moment a task
 * becomes `running` produces no swarm event, so such a service is read again on a schedule: steady at
 * `settlePollMs` for about 1.5 s (containers start in 0.3–1.5 s), then growing by half each read up to
 * `fallbackPollMs`, so a long rollout costs a dozen reads, not one per task or per event. A followed service
 * is released after two settled reads in a row (a paced rollout looks settled between two tasks), when it
 * is gone, or after `settleTimeoutMs`.
 */
import { taskIsRunning } from './backend-projection.js';
import type { SwarmService, SwarmTask } from './engine-types.js';

/** No task on its way to `running`, and as many running as the service wants. */
export function isSettled(service: SwarmService, tasks: readonly SwarmTask[]): boolean {
  const running = tasks.filter(taskIsRunning).length;
  const starting = tasks.some((t) => t.DesiredState === 'running' && t.Status?.State !== 'running');
  const desired = service.ServiceStatus?.DesiredTasks;
  return !starting && (desired === undefined || running >= desired);
}

/** Timing of a {@link SettleTracker}. */
export interface SettleTiming {
  readonly settlePollMs: number;
  readonly fallbackPollMs: number;
  readonly settleTimeoutMs: number;
}

/** The set of followed services and the delay of their next read. */
export class SettleTracker {
  readonly #timing: SettleTiming;
  readonly #followed = new Map<string, { since: number; reads: number; calm: number }>();

  constructor(timing: SettleTiming) {
    this.#timing = timing;
  }

  /** Number of followed services. */
  get size(): number {
    return this.#followed.size;
  }

  /** True while `id` is followed (its container events then add no reads). */
  has(id: string): boolean {
    return this.#followed.has(id);
  }

  /** IDs of the followed services. */
  ids(): IterableIterator<string> {
    return this.#followed.keys();
  }

  /** Record a read of service `id` at `now`: `settled` as {@link isSettled} says, `exists` false when it is gone. */
  observe(id: string, exists: boolean, settled: boolean, now: number): void {
    const entry = this.#followed.get(id);
    if (entry === undefined) {
      if (exists && !settled) this.#followed.set(id, { since: now, reads: 0, calm: 0 });
      return;
    }
    entry.reads++;
    entry.calm = settled ? entry.calm + 1 : 0;
    if (!exists || entry.calm >= 2 || now - entry.since > this.#timing.settleTimeoutMs) this.#followed.delete(id);
  }

  /** Delay until the next follow-up read, or `undefined` when nothing is followed. */
  nextDelay(): number | undefined {
    if (this.#followed.size === 0) return undefined;
    const reads = Math.min(...[...this.#followed.values()].map((e) => e.reads));
    const { settlePollMs, fallbackPollMs } = this.#timing;
    return Math.min(settlePollMs * 1.5 ** Math.max(0, reads - 5), fallbackPollMs);
  }
}
