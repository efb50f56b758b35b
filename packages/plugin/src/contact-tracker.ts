/**
 * Contact with a peer, for {@link SourceRuntime.disconnectedSince}: an adapter whose source reports connects,
 * disconnects, failed and successful reads as events (rather than a getter) feeds them to a tracker, and the
 * runtime answers from it. Out of contact from `start()` until the first answered read, again from the first
 * failure after that, back in contact on the next answered read.
 */
import type { Clock } from '@nitrox/core';

/** Since when (clock time) a source has been out of contact with its peer. */
export class ContactTracker {
  readonly #clock: Clock;
  #since: number | undefined;

  /** @param clock - the clock of the plugin context (the host compares against the same clock). */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Clock time since which the peer has not answered; `undefined` while in contact or stopped. */
  get since(): number | undefined {
    return this.#since;
  }

  /** The source starts: out of contact until its first answered read. */
  start(): void {
    this.#since = this.#clock.now();
  }

  /** A read failed or a stream dropped: out of contact from now, unless already. */
  lost(): void {
    this.#since ??= this.#clock.now();
  }

  /** A read was answered (or a stream opened): in contact. */
  regained(): void {
    this.#since = undefined;
  }

  /** The source stopped: nothing to report. */
  stop(): void {
    this.#since = undefined;
  }
}
