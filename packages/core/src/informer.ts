/**
 * The informer: list, then watch from the listed revision, keeping a local indexed {@link Cache} and telling
 * listeners what changed. It follows client-go's reflector and the lessons of its anchors' issue trackers:
 * every error is retried with jittered exponential backoff forever; a watch that goes silent is detected by an
 * idle timeout and re-opened from the last revision; bookmarks advance the revision; a watch that simply ends
 * is re-opened without relisting; an expired revision forces a relist that emits only the real difference
 * (mark-and-sweep over the cache, never a second full copy); malformed events are reported and skipped.
 */
import { EventEmitter } from 'eventemitter3';
import deepEqual from 'fast-deep-equal';
import type { Observable } from 'rxjs';
import { Cache } from './cache.js';
import { ContactState } from './contact-state.js';
import { abortReason, type Clock, sleep, systemClock, type TimerHandle, untilAborted } from './clock.js';
import {
  ConfigError,
  isNitroxError,
  MalformedEventError,
  ShutdownError,
  SourceError,
  TimeoutError,
} from './errors.js';
import type { ListWatch, Versioned, WatchStream } from './list-watch.js';
import {
  changesOf,
  checkWatchEvent,
  type InformerChange,
  type InformerEvents,
  type InformerOptions,
  type InformerStats,
  informerDefaults,
  isVersionedItem,
  nonNegativeOption,
} from './informer-options.js';
import { RetryBackoff, type RetryBackoffOptions } from './retry-backoff.js';
import { SyncLatch } from './sync-latch.js';

export {
  type InformerChange,
  type InformerEvents,
  type InformerOptions,
  type InformerStats,
  informerDefaults,
} from './informer-options.js';

const idleErrors = new WeakSet<Error>();
const noop = (): void => {};
/** A watch open this long counts as healthy even without an event (client-go's "very short watch" bound). */
const shortWatchMs = 1_000;

/**
 * Keeps a local cache of a {@link ListWatch} and emits its changes. Listeners run synchronously on the ingest
 * path: keep them short (enqueue a key, as a Controller does) and do not throw — an exception aborts the list or
 * watch in progress, which is then reported on `error` and retried.
 *
 * @example
 * ```ts
 * const informer = new Informer(store, { resyncMs: 60_000 });
 * informer.on('added', (item) => queue.add(item.key));
 * informer.start();
 * await informer.waitForSync();
 * ```
 */
export class Informer<T> extends EventEmitter<InformerEvents<T>> {
  /** The local copy of the collection. Read it; do not mutate it. */
  readonly cache: Cache<T>;
  /** Every change as an rxjs Observable (each subscription attaches its own listeners). */
  readonly changes$: Observable<InformerChange<T>>;
  readonly #source: ListWatch<T>;
  readonly #name: string;
  readonly #clock: Clock;
  readonly #resyncMs: number;
  readonly #idleTimeoutMs: number;
  readonly #backoff: RetryBackoff;
  readonly #transform: ((item: Versioned<T>) => Versioned<T>) | undefined;
  readonly #equals: (a: T, b: T) => boolean;
  readonly #stats = { lists: 0, relists: 0, watchRestarts: 0, errors: 0, malformed: 0, events: 0 };
  #revision: string | undefined;
  #epoch: string | undefined;
  #running: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #resyncTimer: TimerHandle | undefined;
  #lastEventAt = 0;
  #delivered = 0;
  /** When the current watch was established (see `WatchStream.established`); `undefined` until then. */
  #watchOpenedAt: number | undefined;
  readonly #contact: ContactState;
  readonly #sync = new SyncLatch();

  /** @throws {@link ConfigError} when an option is invalid. No I/O happens before {@link start}. */
  constructor(source: ListWatch<T>, options: InformerOptions<T> = {}) {
    super();
    if (source === null || typeof source !== 'object' || typeof source.list !== 'function' || typeof source.watch !== 'function') {
      throw new ConfigError('source', 'must implement ListWatch (list and watch)');
    }
    this.#source = source;
    this.#name = options.name ?? informerDefaults.name;
    this.#clock = options.clock ?? systemClock;
    this.#resyncMs = nonNegativeOption('resyncMs', options.resyncMs ?? informerDefaults.resyncMs);
    this.#idleTimeoutMs = nonNegativeOption('idleTimeoutMs', options.idleTimeoutMs ?? informerDefaults.idleTimeoutMs);
    if (options.transform !== undefined && typeof options.transform !== 'function') {
      throw new ConfigError('transform', 'must be a function');
    }
    this.#transform = options.transform;
    this.#equals = options.equals ?? deepEqual;
    const backoff: RetryBackoffOptions = { ...options.backoff, clock: this.#clock };
    if (options.random !== undefined) backoff.random = options.random;
    this.#backoff = new RetryBackoff(backoff);
    this.#contact = new ContactState(this.#clock, {
      lost: (reason) => this.emit('disconnected', reason),
      regained: (downMs) => this.emit('reconnected', downMs),
    });
    this.cache = new Cache<T>(options.indexes === undefined ? {} : { indexes: options.indexes });
    this.changes$ = changesOf<T>(this);
  }

  /** The revision of the last list, event or bookmark applied; `undefined` before the first list. */
  get revision(): string | undefined {
    return this.#revision;
  }

  /**
   * Since when (clock time) the informer has had no answered list and no healthy watch — a watch that delivered an
   * event or stayed open for a second; `undefined` while in contact. Set from {@link start} until the first list.
   */
  get disconnectedSince(): number | undefined {
    return this.#contact.disconnectedSince;
  }

  /** The epoch of the last list (see `ListResult.epoch`); `undefined` before the first list or when the source has none. */
  get epoch(): string | undefined {
    return this.#epoch;
  }

  /** A snapshot of the counters. */
  get stats(): InformerStats {
    return { ...this.#stats };
  }

  /** Whether the first list has been applied (stays true across relists). */
  hasSynced(): boolean {
    return this.#sync.isOpen;
  }

  /**
   * Resolve once the first list has been applied.
   *
   * @throws the signal's reason when `signal` aborts, {@link ShutdownError} when the informer stops first.
   */
  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.#sync.wait(signal);
  }


  /** Start listing and watching in the background. Calling it while running does nothing. */
  start(): void {
    if (this.#running !== undefined) return;
    const running = new AbortController();
    this.#running = running;
    this.#contact.start();
    this.#loop = this.#run(running.signal);
  }

  /** Stop watching and wait for the loop to end. Pending {@link waitForSync} calls reject with ShutdownError. */
  async stop(): Promise<void> {
    const running = this.#running;
    if (running === undefined) return;
    this.#contact.stop();
    running.abort(new ShutdownError(`${this.#name} stopped`));
    if (this.#resyncTimer !== undefined) this.#clock.clearTimeout(this.#resyncTimer);
    this.#resyncTimer = undefined;
    await this.#loop;
    this.#running = undefined;
    this.#loop = undefined;
    this.#sync.rejectWaiters(new ShutdownError(`${this.#name} stopped before sync`));
  }

  async #run(signal: AbortSignal): Promise<void> {
    let needList = true;
    let expiredInARow = 0;
    while (!signal.aborted) {
      let delay = 0;
      try {
        if (needList) {
          // A list alone does not end the failure streak (a watch that expires right after each relist must
          // back off); a healthy watch does.
          await this.#list(signal);
          needList = false;
        }
        await this.#watch(signal);
        if (this.#delivered > 0) expiredInARow = 0;
        this.#restarted(new SourceError(`${this.#name}: watch ended; re-watching from revision ${this.#revision}`));
        // A watch that ends at once without delivering anything must not spin; a healthy one re-watches at once.
        if (!this.#watchHealthy()) delay = this.#backoff.next();
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof Error && idleErrors.has(err)) {
          this.#restarted(err);
        } else if (isNitroxError(err) && err.code === 'NITROX_EXPIRED') {
          needList = true;
          if (this.#delivered > 0) expiredInARow = 0;
          // The first expiry relists at once; expiring again right after a relist backs off.
          if (expiredInARow++ > 0) delay = this.#backoff.next();
          this.#restarted(err);
        } else {
          const phase = needList ? 'list' : 'watch';
          const error = isNitroxError(err)
            ? err
            : new SourceError(`${this.#name}: ${phase} failed: ${err instanceof Error ? err.message : String(err)}`, {
                cause: err,
              });
          this.#stats.errors++;
          this.#contact.lost(error);
          this.emit('error', error);
          if (!needList) this.#restarted(error);
          // A stream cut after it was healthy re-watches at once from its revision (client-go's reflector); only
          // failing connects and lists back off.
          if (needList || !this.#watchHealthy()) delay = this.#backoff.next();
        }
      }
      if (delay > 0) await sleep(this.#clock, delay, signal).catch(noop);
    }
  }

  /**
   * Whether the last watch was healthy: it delivered an event or stayed open for {@link shortWatchMs} once
   * established (client-go calls anything shorter with no event a "very short watch" and backs off).
   */
  #watchHealthy(): boolean {
    const opened = this.#watchOpenedAt;
    return this.#delivered > 0 || (opened !== undefined && this.#clock.now() - opened >= shortWatchMs);
  }

  #restarted(reason: Error): void {
    this.#stats.watchRestarts++;
    this.#contact.lost(reason);
    this.emit('restarted', reason);
  }

  /** The open watch delivered an event or stayed open a second: the failure streak is over. */
  #healthy(): void {
    this.#backoff.succeeded();
    this.#contact.regained();
  }

  async #list(signal: AbortSignal): Promise<void> {
    const result: unknown = await untilAborted(this.#source.list(signal), signal);
    const { revision, items, epoch } = (result ?? {}) as { revision?: unknown; items?: unknown; epoch?: unknown };
    if (typeof revision !== 'string' || !Array.isArray(items)) {
      throw new SourceError(`${this.#name}: list returned no revision string or no items array`);
    }
    const cache = this.cache;
    const transform = this.#transform;
    const equals = this.#equals;
    // A new epoch renumbered every version: an equal number no longer means an equal item.
    const renumbered = this.#sync.isOpen && (typeof epoch === 'string' ? epoch : undefined) !== this.#epoch;
    cache.beginMark();
    for (let i = 0; i < items.length; i++) {
      const raw: unknown = items[i];
      if (!isVersionedItem(raw)) {
        // Keep what we had for that key rather than deleting it over bad data.
        const key = (raw as { key?: unknown } | null)?.key;
        if (typeof key === 'string') cache.mark(key);
        this.#malformed(`list item ${i} has no string key or numeric version`);
        continue;
      }
      const source = raw as Versioned<T>;
      const previous = cache.mark(source.key);
      if (previous === undefined) {
        const item = transform === undefined ? source : transform(source);
        cache.set(item);
        this.emit('added', item);
      } else if (renumbered || previous.version !== source.version) {
        const item = transform === undefined ? source : transform(source);
        cache.set(item);
        if (!equals(previous.value, item.value)) this.emit('updated', item, previous);
      }
    }
    cache.sweep((item) => this.emit('deleted', item));
    this.#revision = revision;
    this.#epoch = typeof epoch === 'string' ? epoch : undefined;
    this.#stats.lists++;
    this.#contact.regained();
    if (this.#resyncTimer === undefined) this.#armResync();
    if (!this.#sync.isOpen) {
      this.#sync.open();
      this.emit('synced');
    } else {
      this.#stats.relists++;
      this.emit('relisted');
    }
  }

  /** Watch from the last revision until the watch ends (returns the number of events) or fails (throws). */
  async #watch(signal: AbortSignal): Promise<number> {
    // A list can settle after stop(): an 'abort' listener added now would never fire.
    if (signal.aborted) throw abortReason(signal);
    const clock = this.#clock;
    const idle = this.#idleTimeoutMs;
    const watchAbort = new AbortController();
    const ws = watchAbort.signal;
    const onStop = (): void => watchAbort.abort(abortReason(signal));
    signal.addEventListener('abort', onStop, { once: true });
    let timer: TimerHandle | undefined;
    this.#lastEventAt = clock.now();
    this.#watchOpenedAt = undefined;
    this.#delivered = 0;
    const stream: WatchStream<T> = this.#source.watch(this.#revision as string, ws);
    let established: TimerHandle | undefined;
    const opened = (): void => {
      if (ws.aborted) return;
      this.#watchOpenedAt = clock.now();
      established = clock.setTimeout(() => this.#healthy(), shortWatchMs);
    };
    if (stream.established === undefined) opened();
    else stream.established.then(opened, noop);
    const check = (): void => {
      const silent = clock.now() - this.#lastEventAt;
      if (silent < idle) {
        timer = clock.setTimeout(check, idle - silent);
        return;
      }
      timer = undefined;
      const error = new TimeoutError(`${this.#name}: watch silent for ${silent} ms; re-watching`);
      idleErrors.add(error);
      watchAbort.abort(error);
    };
    if (idle > 0) timer = clock.setTimeout(check, idle);
    // One race per watch, not per event: a source that ignores the signal is abandoned, not awaited.
    const aborted = new Promise<never>((_, reject) => {
      ws.addEventListener('abort', () => reject(abortReason(ws)), { once: true });
    });
    aborted.catch(noop);
    try {
      const pump = this.#pump(stream, ws);
      pump.catch(noop);
      return await Promise.race([pump, aborted]);
    } finally {
      if (established !== undefined) clock.clearTimeout(established);
      if (timer !== undefined) clock.clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
      if (!ws.aborted) watchAbort.abort(new ShutdownError('watch closed'));
    }
  }

  async #pump(stream: AsyncIterable<unknown>, ws: AbortSignal): Promise<number> {
    const clock = this.#clock;
    for await (const raw of stream) {
      if (ws.aborted) break;
      if (this.#delivered++ === 0) this.#healthy();
      this.#lastEventAt = clock.now();
      const malformed = this.#ingest(raw);
      if (malformed !== undefined) this.#malformed(malformed);
    }
    return this.#delivered;
  }

  /** Apply one watch event. @returns why it is malformed, or `undefined` when it was applied. */
  #ingest(raw: unknown): string | undefined {
    const event = checkWatchEvent(raw);
    if (typeof event === 'string') return event;
    this.#stats.events++;
    this.#revision = event.revision;
    if (event.type === 'bookmark') return undefined;
    const source = event.item as Versioned<T>;
    const transform = this.#transform;
    if (event.type === 'deleted') {
      if (this.cache.delete(source.key) !== undefined) {
        this.emit('deleted', transform === undefined ? source : transform(source));
      }
      return undefined;
    }
    const item = transform === undefined ? source : transform(source);
    // One lookup: store first, then decide. A redelivered copy (same version) replaces its twin silently.
    const previous = this.cache.set(item);
    if (previous === undefined) this.emit('added', item);
    else if (previous.version !== item.version) this.emit('updated', item, previous);
    return undefined;
  }

  #malformed(message: string): void {
    this.#stats.malformed++;
    this.emit('error', new MalformedEventError(`${this.#name}: ${message}; skipped`));
  }

  #armResync(): void {
    if (this.#resyncMs <= 0 || this.#running === undefined || this.#running.signal.aborted) return;
    this.#resyncTimer = this.#clock.setTimeout(() => {
      this.#resyncTimer = undefined;
      for (const item of this.cache.values()) this.emit('resync', item);
      this.#armResync();
    }, this.#resyncMs);
  }
}
