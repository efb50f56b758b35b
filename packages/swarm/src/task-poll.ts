/**
 * Pacing of the swarm source's task poll. Swarm has no task events and a worker's container events never
 * reach the manager, so a task dying on a worker is visible only in the manager's `/tasks`. The source
 * therefore reads the desired-running tasks of its selected services (one request, `GET /tasks?filters=`)
 * every `taskPollMs`, and derives nothing when the answer's digest per service is unchanged. The period grows
 * with the cost of a read, so a large swarm is never read more than `maxDuty` of the time (one read of 1,000
 * services lasting 60 ms keeps a 1.2 s period), and failed reads back off by doubling up to 10 s (the full poll
 * and the event stream report outages; the task poll must not hammer a restarting manager).
 */
import type { Clock, TimerHandle } from '@nitrox/core';
import type { SwarmTask } from './engine-types.js';
import type { ServiceSelector } from './swarm-source-options.js';
import type { SwarmState } from './swarm-state.js';

/** Settings of a {@link TaskPollPacer}. */
export interface TaskPollPacing {
  /** Period while reads are cheap and succeed. */
  readonly intervalMs: number;
  /** Jitter, as a fraction of the delay (±). */
  readonly jitter: number;
  /** Randomness in [0, 1). */
  readonly random: () => number;
}

/** Largest share of wall time the task poll may spend reading (a read of d ms waits at least d / maxDuty). */
export const maxDuty = 0.05;
/** Longest delay after failed reads. */
const maxFailureDelayMs = 10_000;

/** Delay of the next task poll from the outcome of the last one. */
export class TaskPollPacer {
  readonly #pacing: TaskPollPacing;
  #failures = 0;

  constructor(pacing: TaskPollPacing) {
    this.#pacing = pacing;
  }

  /** The delay before the next read, given the last one's duration and outcome. */
  next(durationMs: number, ok: boolean): number {
    const { intervalMs, jitter, random } = this.#pacing;
    this.#failures = ok ? 0 : this.#failures + 1;
    const base = ok
      ? Math.max(intervalMs, durationMs / maxDuty)
      : Math.min(intervalMs * 2 ** this.#failures, Math.max(intervalMs, maxFailureDelayMs));
    return Math.max(1, Math.round(base * (1 + jitter * (2 * random() - 1))));
  }
}

/** Timer of the task poll: fires `fire` after each delay the pacer chooses; nothing when `intervalMs` is 0. */
export class TaskPollSchedule {
  readonly #clock: Clock;
  readonly #pacer: TaskPollPacer;
  readonly #intervalMs: number;
  readonly #fire: () => void;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, pacing: TaskPollPacing, fire: () => void) {
    this.#clock = clock;
    this.#pacer = new TaskPollPacer(pacing);
    this.#intervalMs = pacing.intervalMs;
    this.#fire = fire;
  }

  /** Fire after one period (again). */
  start(): void {
    this.#set(this.#intervalMs);
  }

  /** A read that included the task poll ended after `durationMs`: schedule the next one. */
  readDone(durationMs: number, ok: boolean): void {
    this.#set(this.#pacer.next(durationMs, ok));
  }

  /** Cancel the pending fire. */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #set(delay: number): void {
    if (this.#intervalMs === 0) return;
    this.stop();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#fire();
    }, delay);
  }
}

/**
 * Services a task poll reads: `all` (no service filter, the smallest request) when no selector is given,
 * else the selected services that have a set, less those the same pass reads anyway.
 */
export function taskPollTargets(select: ServiceSelector | undefined, selected: Iterable<string>, exclude: readonly string[]): readonly string[] | 'all' {
  if (select === undefined) return 'all';
  return [...selected].filter((id) => !exclude.includes(id));
}

/** What a task poll found. */
export interface TaskPollOutcome {
  /** Services whose tasks changed (their sets must be derived again). */
  readonly changed: readonly string[];
  /** Services with tasks but not cached yet (created since the last read): read them. */
  readonly unknown: readonly string[];
  /** A polled service no longer exists (the Engine answered 404): read everything again. */
  readonly vanished: boolean;
}

/** Feed a task poll's answer (`undefined` after a 404) into `state`; `readNow` are read by the same pass. */
export function applyTaskPoll(
  state: SwarmState,
  polled: readonly string[] | 'all' | undefined,
  tasks: readonly SwarmTask[] | undefined,
  readNow: readonly string[],
): TaskPollOutcome {
  if (polled === undefined) return { changed: [], unknown: [], vanished: false };
  if (tasks === undefined) return { changed: [], unknown: [], vanished: true };
  const ids = polled === 'all' ? [...state.services.keys()].filter((id) => !readNow.includes(id)) : polled;
  const change = state.replaceTasks(ids, tasks);
  return { changed: [...change.services], unknown: [...change.unknown].filter((id) => !readNow.includes(id)), vanished: false };
}
