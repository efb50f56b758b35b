/**
 * Whether a component is in contact with its peer, and since when it is not: the staleness an application shows
 * instead of serving an old cache silently. Transitions are reported once each (lost, then regained with how long
 * contact was down); repeated failures while already out of contact change nothing.
 */
import type { Clock } from './clock.js';

/** Callbacks of a {@link ContactState}. */
export interface ContactListeners {
  /** Contact was lost (the first failure after being in contact). */
  readonly lost: (reason: Error) => void;
  /** Contact is back after `downMs`. */
  readonly regained: (downMs: number) => void;
}

/** Contact bookkeeping on an injected clock. */
export class ContactState {
  readonly #clock: Clock;
  readonly #listeners: ContactListeners;
  #since: number | undefined;
  #active = false;

  constructor(clock: Clock, listeners: ContactListeners) {
    this.#clock = clock;
    this.#listeners = listeners;
  }

  /** Clock time since which there has been no contact; `undefined` while in contact or when not started. */
  get disconnectedSince(): number | undefined {
    return this.#since;
  }

  /** Begin: no contact yet, counted from now. */
  start(): void {
    this.#active = true;
    this.#since = this.#clock.now();
  }

  /** End: nothing is reported any more and {@link disconnectedSince} is `undefined`. */
  stop(): void {
    this.#active = false;
    this.#since = undefined;
  }

  /** A failure: contact is lost from now on, unless it already was. */
  lost(reason: Error): void {
    if (!this.#active || this.#since !== undefined) return;
    this.#since = this.#clock.now();
    this.#listeners.lost(reason);
  }

  /** A sign of life from the peer. */
  regained(): void {
    const since = this.#since;
    if (!this.#active || since === undefined) return;
    this.#since = undefined;
    this.#listeners.regained(this.#clock.now() - since);
  }
}
