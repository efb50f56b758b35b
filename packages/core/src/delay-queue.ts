/**
 * Keys waiting for a due time, for {@link WorkQueue.addAfter}: a binary min-heap with a key index, so a key
 * is held once with its earliest due time (client-go's delaying queue), and a single timer on the injected
 * clock armed for the earliest entry, however many keys wait.
 */
import type { Clock, TimerHandle } from './clock.js';

interface Entry<K> {
  readonly key: K;
  at: number;
  lane: number;
  seq: number;
  pos: number;
}

/** A keyed min-heap of due times that calls `onReady(key, lane)` when a key is due. */
export class DelayQueue<K> {
  readonly #clock: Clock;
  readonly #onReady: (key: K, lane: number) => void;
  readonly #heap: Entry<K>[] = [];
  readonly #byKey = new Map<K, Entry<K>>();
  #seq = 0;
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(clock: Clock, onReady: (key: K, lane: number) => void) {
    this.#clock = clock;
    this.#onReady = onReady;
  }

  /** Number of keys waiting. */
  get size(): number {
    return this.#heap.length;
  }

  /** Due time of `key`, or `undefined` when it is not waiting. */
  dueAt(key: K): number | undefined {
    return this.#byKey.get(key)?.at;
  }

  /** Make `key` due at `at`, keeping an earlier due time it already has; the smaller lane number wins. */
  schedule(key: K, at: number, lane: number): void {
    const existing = this.#byKey.get(key);
    if (existing !== undefined) {
      if (lane < existing.lane) existing.lane = lane;
      if (at >= existing.at) return;
      existing.at = at;
      this.#up(existing.pos);
    } else {
      const entry: Entry<K> = { key, at, lane, seq: this.#seq++, pos: this.#heap.length };
      this.#heap.push(entry);
      this.#byKey.set(key, entry);
      this.#up(entry.pos);
    }
    this.#arm();
  }

  /** Forget every waiting key and cancel the timer. */
  clear(): void {
    this.#heap.length = 0;
    this.#byKey.clear();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #arm(): void {
    const top = this.#heap[0];
    if (top === undefined) return;
    if (this.#timer !== undefined) {
      if (this.#timerAt <= top.at) return;
      this.#clock.clearTimeout(this.#timer);
    }
    this.#timerAt = top.at;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), top.at - this.#clock.now());
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    for (let top = this.#heap[0]; top !== undefined && top.at <= now; top = this.#heap[0]) {
      this.#pop();
      this.#byKey.delete(top.key);
      this.#onReady(top.key, top.lane);
    }
    this.#arm();
  }

  #less(a: Entry<K>, b: Entry<K>): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as Entry<K>;
    if (heap.length === 0) return;
    heap[0] = last;
    last.pos = 0;
    this.#down(0);
  }

  #up(pos: number): void {
    const heap = this.#heap;
    const entry = heap[pos] as Entry<K>;
    while (pos > 0) {
      const parentPos = (pos - 1) >> 1;
      const parent = heap[parentPos] as Entry<K>;
      if (!this.#less(entry, parent)) break;
      heap[pos] = parent;
      parent.pos = pos;
      pos = parentPos;
    }
    heap[pos] = entry;
    entry.pos = pos;
  }

  #down(pos: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const entry = heap[pos] as Entry<K>;
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.#less(heap[right] as Entry<K>, heap[left] as Entry<K>)) child = right;
      const c = heap[child] as Entry<K>;
      if (!this.#less(c, entry)) break;
      heap[pos] = c;
      c.pos = pos;
      pos = child;
    }
    heap[pos] = entry;
    entry.pos = pos;
  }
}
