/**
 * One open watch of the API-server simulator: replays the stored history after the requested revision (or
 * the current state as synthetic ADDED events), then streams live changes as NDJSON, sends periodic
 * bookmarks, ends after `timeoutSeconds`, and obeys the fault switches (stall silently, drop the socket,
 * end with the in-stream 410, corrupt a line).
 */
import type { ServerResponse } from 'node:http';
import type { KubeResource } from '../resources.js';
import { apiVersionOf } from '../resources.js';
import type { SelectorPredicate } from '../selectors.js';
import type { FieldSelector } from './simulator-fields.js';
import { type KubeObject, type SimulatorStore, type StoredEvent, statusObject, watchLine } from './simulator-store.js';

/** What a watch selects. */
export interface WatchFilter {
  readonly resource: KubeResource;
  readonly namespace: string | undefined;
  readonly labels: SelectorPredicate;
  readonly fields: FieldSelector;
}

/** How a watch was asked for. */
export interface WatchRequest {
  /** `undefined` = start with the current state as ADDED events. */
  readonly fromRevision: number | undefined;
  readonly bookmarks: boolean;
  readonly bookmarkIntervalMs: number;
  readonly timeoutSeconds: number;
  readonly sendInitialEvents: boolean;
  /** Re-encode each event's object (server-side Table output); `undefined` sends the stored JSON as is. */
  readonly render?: ((json: string) => string) | undefined;
}

const chunkBytes = 256 * 1024;

/** An open simulated watch. */
export class SimulatorWatch {
  /** When true the watch sends nothing more and never ends by itself (a half-open connection). */
  stalled = false;
  #replaying = true;
  #pending: StoredEvent[] = [];
  #closed = false;
  #corruptNext = false;
  /** The revision this watch has reached (what a client would resume from). */
  #revision: number;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #unsubscribe: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly store: SimulatorStore,
    private readonly filter: WatchFilter,
    private readonly request: WatchRequest,
    private readonly onClose: (watch: SimulatorWatch) => void,
  ) {
    this.#unsubscribe = store.subscribe((event) => {
      if (this.#closed || this.stalled) return;
      if (this.#replaying) this.#pending.push(event);
      else this.#send(event, true);
    });
    res.on('close', () => this.#finish());
    this.#revision = request.fromRevision ?? Number(store.revision);
  }

  /** Start streaming. */
  async run(): Promise<void> {
    this.res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    this.res.flushHeaders();
    let buffer = '';
    const flush = async (): Promise<void> => {
      if (buffer === '' || this.#closed) return;
      const ok = this.res.write(buffer);
      buffer = '';
      if (!ok) {
        await new Promise<void>((resolve) => {
          // Remove both listeners whichever fires: a long replay waits for 'drain' many times.
          const done = (): void => {
            this.res.off('drain', done);
            this.res.off('close', done);
            resolve();
          };
          this.res.once('drain', done);
          this.res.once('close', done);
        });
      }
    };
    if (this.request.fromRevision === undefined) {
      for (const { object, json } of this.store.list(this.filter.resource.plural, this.filter.namespace)) {
        if (!this.#matches(object.metadata.labels, object.metadata.namespace, object.metadata.name, () => object)) continue;
        buffer += this.#line('ADDED', json);
        if (buffer.length > chunkBytes) await flush();
      }
      if (this.request.sendInitialEvents && this.request.bookmarks) {
        buffer += this.#bookmarkLine({ 'k8s.io/initial-events-end': 'true' });
      }
    } else {
      for (const event of this.store.eventsAfter(this.request.fromRevision)) {
        const line = this.#lineFor(event);
        if (line === undefined) continue;
        buffer += line;
        if (buffer.length > chunkBytes) await flush();
      }
    }
    await flush();
    this.#replaying = false;
    const pending = this.#pending;
    this.#pending = [];
    for (const event of pending) this.#send(event, true);
    if (this.#closed) return;
    if (this.request.bookmarks && this.request.bookmarkIntervalMs > 0) {
      const timer = setInterval(() => {
        if (!this.stalled && !this.#closed) this.res.write(this.#bookmarkLine());
      }, this.request.bookmarkIntervalMs);
      this.#timers.push(timer);
    }
    this.#timers.push(
      setTimeout(() => {
        if (!this.stalled) this.end();
      }, this.request.timeoutSeconds * 1000),
    );
  }

  /** Write a raw line (fault injection: malformed data). */
  writeRaw(line: string): void {
    if (!this.#closed && !this.stalled) this.res.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  /** Garble the next live event sent on this watch. */
  corruptNextEvent(): void {
    this.#corruptNext = true;
  }

  /** Send an immediate bookmark at the current revision. */
  bookmark(): void {
    if (!this.#closed && !this.stalled && !this.#replaying && this.request.bookmarks) {
      this.res.write(this.#bookmarkLine());
    }
  }

  /**
   * End with the in-stream ERROR 410, as the API server does when the revision fell out of history:
   * `too old resource version: <this watch's revision> (<floor>)`.
   */
  expire(reason: 'Expired' | 'Gone', floor: number): void {
    if (this.#closed) return;
    const message = `too old resource version: ${this.#revision} (${floor})`;
    this.res.write(`${JSON.stringify({ type: 'ERROR', object: statusObject(410, reason, message) })}\n`);
    this.end();
  }

  /** End the stream cleanly (the server-side timeout). */
  end(): void {
    if (this.#closed) return;
    this.res.end();
    this.#finish();
  }

  /** Destroy the socket without a clean end (a dropped connection). */
  drop(): void {
    this.res.socket?.destroy();
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#unsubscribe();
    this.onClose(this);
  }

  #send(event: StoredEvent, live: boolean): void {
    const line = this.#lineFor(event);
    if (line === undefined) return;
    if (live && this.#corruptNext) {
      this.#corruptNext = false;
      this.res.write(`${line.slice(0, Math.floor(line.length / 2))}\n`);
      return;
    }
    this.res.write(line);
  }

  #matches(
    labels: Readonly<Record<string, string>> | undefined,
    namespace: string | undefined,
    name: string,
    object: () => KubeObject,
  ): boolean {
    if (this.filter.namespace && namespace !== this.filter.namespace) return false;
    if (!this.filter.labels(labels)) return false;
    const fields = this.filter.fields;
    if (fields.metadataOnly) return fields.matches({ metadata: namespace === undefined ? { name } : { name, namespace } });
    return fields.matches(object());
  }

  #lineFor(event: StoredEvent): string | undefined {
    if (event.plural !== this.filter.resource.plural) return undefined;
    this.#revision = event.rv;
    const now = this.#matches(event.labels, event.namespace, event.name, () => JSON.parse(event.json) as KubeObject);
    if (event.type !== 'MODIFIED') return now ? this.#line(event.type, event.json) : undefined;
    const before = this.#matches(event.previousLabels, event.namespace, event.name, () => JSON.parse(event.previousJson ?? event.json) as KubeObject);
    if (now && before) return this.#line('MODIFIED', event.json);
    if (now) return this.#line('ADDED', event.json);
    if (before) return this.#line('DELETED', event.json);
    return undefined;
  }

  #line(type: string, json: string): string {
    const render = this.request.render;
    return watchLine(type, render ? render(json) : json);
  }

  #bookmarkLine(annotations?: Record<string, string>): string {
    const metadata: Record<string, unknown> = { resourceVersion: this.store.revision };
    if (annotations) metadata.annotations = annotations;
    const object = { kind: this.filter.resource.kind, apiVersion: apiVersionOf(this.filter.resource), metadata };
    return `${JSON.stringify({ type: 'BOOKMARK', object })}\n`;
  }
}
