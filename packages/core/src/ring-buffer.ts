/**
 * A growable FIFO ring buffer: O(1) push and shift without `Array.prototype.shift`'s copying, and without
 * holding references to items already taken. Internal to the work queue and other hot paths.
 */

/** FIFO queue over a power-of-two circular array. */
export class RingBuffer<T> {
  #items: (T | undefined)[];
  #mask: number;
  #head = 0;
  #size = 0;

  /** @param capacity - initial slots, rounded up to a power of two. @defaultValue 16 */
  constructor(capacity = 16) {
    let slots = 4;
    while (slots < capacity) slots *= 2;
    this.#items = new Array<T | undefined>(slots);
    this.#mask = slots - 1;
  }

  /** Number of items held. */
  get length(): number {
    return this.#size;
  }

  /** Append `item` at the tail. */
  push(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  /** Remove and return the head, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const head = this.#head;
    const item = this.#items[head];
    this.#items[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    this.#size--;
    return item;
  }

  /** Drop every item. */
  clear(): void {
    this.#items.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }

  #grow(): void {
    const old = this.#items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#size; i++) next[i] = old[(this.#head + i) & this.#mask];
    this.#items = next;
    this.#mask = next.length - 1;
    this.#head = 0;
  }
}
