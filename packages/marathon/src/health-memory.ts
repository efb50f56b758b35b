/**
 * The last known health of each task. A newly elected Marathon leader comes up without any health check
 * results until its checks run again, so every task of an app with health checks looks "not yet checked"; left
 * alone, every healthy member would vanish from its pool for a check interval. marathon-lb added a cache of each
 * task's last result after such an outage; this is the same idea, bounded (least recently used first out):
 * "no results yet" on a task known to be healthy keeps it healthy. A task never seen healthy gains nothing.
 */

/** Last known health per task id, bounded. */
export class HealthMemory {
  readonly #max: number;
  readonly #verdicts = new Map<string, boolean>();

  /** @param maxEntries - tasks remembered; `0` remembers nothing (results are then taken at face value). */
  constructor(maxEntries: number) {
    this.#max = maxEntries;
  }

  /** Number of tasks remembered. */
  get size(): number {
    return this.#verdicts.size;
  }

  /** Record the health a task's results showed. */
  remember(taskId: string, healthy: boolean): void {
    if (this.#max === 0) return;
    this.#verdicts.delete(taskId);
    this.#verdicts.set(taskId, healthy);
    if (this.#verdicts.size > this.#max) this.#verdicts.delete(this.#verdicts.keys().next().value as string);
  }

  /** The last recorded health of a task, `undefined` when unknown. */
  recall(taskId: string): boolean | undefined {
    return this.#verdicts.get(taskId);
  }

  /** Forget a task (it is gone). */
  forget(taskId: string): void {
    this.#verdicts.delete(taskId);
  }
}
