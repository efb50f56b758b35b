/**
 * Wait for a condition on real time with a generous deadline: the way integration tests over real HTTP or a
 * real daemon wait for convergence without fixed sleeps. (Tests on virtual time use `VirtualClock.advanceUntil`.)
 */

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @defaultValue 30_000 */
  readonly timeoutMs?: number;
  /** Pause between probes. @defaultValue 10 */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout error. @defaultValue 'condition' */
  readonly what?: string;
}

/**
 * Call `probe` until it returns something other than `undefined` or `false`, and return that. A probe that
 * throws counts as "not yet"; its last error is named in the timeout error.
 *
 * @throws Error after `timeoutMs`, naming `what` and the probe's last error.
 * @example
 * ```ts
 * const set = await waitFor(() => source.get('web')?.value.members.length === 6 || undefined, { what: '6 members' });
 * ```
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : lastError === undefined ? '' : `: ${String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'condition'}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 10));
  }
}
