/**
 * Wait for a condition with a generous deadline, polling on real time: the way integration tests over real
 * HTTP wait for convergence without fixed sleeps.
 */

/**
 * Resolve once `predicate` holds (it may be async); reject with `message` after `timeoutMs`.
 *
 * @defaultValue timeoutMs `10_000`, intervalMs `10`
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(options.message ?? `condition not met within ${options.timeoutMs ?? 10_000} ms`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 10));
  }
}
