/**
 * An in-memory stand-in for the Marathon REST API and event stream (a {@link MarathonApi}), for unit tests on
 * virtual time: no sockets, state set directly, events pushed by hand (in any order, duplicated or not at
 * all), every call counted, and failures or a gate that holds fetches in flight injectable.
 */
import { SourceError } from '@nitrox/core';
import type { EventStreamResponse, MarathonApi } from '../marathon-client.js';
import type { MarathonApp, MarathonEvent, MarathonTask } from '../marathon-types.js';

/** Calls made so far. */
export interface InMemoryMarathonCalls {
  listApps: number;
  getApp: number;
  getAppTasks: number;
  openEvents: number;
}

/** A Marathon held in memory. */
export class InMemoryMarathon implements MarathonApi {
  /** Apps and their tasks, by app id. */
  readonly apps = new Map<string, { app: MarathonApp; tasks: MarathonTask[] }>();
  /** Calls made so far. */
  readonly calls: InMemoryMarathonCalls = { listApps: 0, getApp: 0, getAppTasks: 0, openEvents: 0 };
  /** Fail this many of the next REST calls with a 503 {@link SourceError}. */
  failNext = 0;
  /** While set, REST calls wait for this promise before answering. */
  gate: Promise<void> | undefined;
  #push: ((chunk: string) => void) | undefined;

  /** Set an app whose running tasks are on `hosts` (port 31000 + index). */
  setApp(id: string, hosts: readonly string[], app: Partial<MarathonApp> = {}): void {
    const tasks = hosts.map((host, i) => ({ id: `${id}.${i}`, appId: id, host, state: 'TASK_RUNNING', ports: [31_000 + i] }));
    this.apps.set(id, { app: { id, ...app }, tasks });
  }

  async #answer(): Promise<void> {
    await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new SourceError('injected failure', { status: 503 });
    }
  }

  async listApps(): Promise<MarathonApp[]> {
    this.calls.listApps++;
    await this.#answer();
    return [...this.apps.values()].map(({ app, tasks }) => ({ ...app, tasks: [...tasks] }));
  }

  async getApp(appId: string): Promise<MarathonApp | undefined> {
    this.calls.getApp++;
    await this.#answer();
    const entry = this.apps.get(appId);
    return entry && { ...entry.app, tasks: [...entry.tasks] };
  }

  async getAppTasks(appId: string): Promise<MarathonTask[] | undefined> {
    this.calls.getAppTasks++;
    await this.#answer();
    const entry = this.apps.get(appId);
    return entry && [...entry.tasks];
  }

  async openEvents(_eventTypes: readonly string[], signal: AbortSignal): Promise<EventStreamResponse> {
    this.calls.openEvents++;
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    this.#push = (chunk) => {
      queue.push(chunk);
      wake?.();
    };
    signal.addEventListener('abort', () => wake?.(), { once: true });
    async function* body(): AsyncGenerator<string> {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const next = queue.shift();
        if (next !== undefined) yield next;
        else
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
      }
    }
    return { body: body(), close: () => undefined };
  }

  /** Deliver an event on the open stream (dropped when none is open). */
  emit(event: MarathonEvent): void {
    this.emitRaw(`event: ${event.eventType}\r\ndata: ${JSON.stringify(event)}\r\n\r\n`);
  }

  /** Deliver raw SSE text on the open stream. */
  emitRaw(text: string): void {
    this.#push?.(text);
  }

  async close(): Promise<void> {}
}
