/**
 * A condition wait for integration tests against a real swarm: poll a probe until it returns a value that
 * is not `undefined`, with a generous deadline, and fail with the last seen value, never a fixed sleep.
 */

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @defaultValue 30_000 */
  readonly timeoutMs?: number;
  /** Pause between probes. @defaultValue 50 */
  readonly intervalMs?: number;
  /** Shown in the timeout error. */
  readonly what?: string;
}

/**
 * Call `probe` until it returns something other than `undefined`, and return that.
 *
 * @throws Error after `timeoutMs`, naming `what` and the last error the probe threw.
 */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, options: WaitForOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
