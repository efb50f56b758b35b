/**
 * What the conformance checks share: a check is a named async function that throws a
 * {@link ConformanceFailure} saying what the contract expected and what the adapter did; a deadline for one
 * step of a stream; and a guard that fails a check when a promise rejection went unhandled while it ran.
 */

/** One conformance check. */
export interface Check {
  /** What the contract requires, as a sentence. */
  readonly name: string;
  /** Throws a {@link ConformanceFailure} when the adapter breaks the contract. */
  run(): Promise<void>;
}

/** The adapter broke the contract. */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

/** A failure saying what was expected. */
export function checkFailure(message: string): ConformanceFailure {
  return new ConformanceFailure(message);
}

/** Throw a failure `expected <what>` unless `ok`. */
export function expectThat(ok: boolean, what: string): void {
  if (!ok) throw checkFailure(`expected ${what}`);
}

/** The next result of `iterator`, or a failure after `timeoutMs` naming what was awaited. */
export async function nextWithin<T>(iterator: AsyncIterator<T>, timeoutMs: number, what: string): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(checkFailure(`expected ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([iterator.next(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Run `body`, failing when a promise rejection goes unhandled meanwhile (checked after one more macrotask). */
export async function withUnhandledRejections(body: () => Promise<void>): Promise<void> {
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await body();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', listener);
  }
  expectThat(unhandled.length === 0, `no unhandled promise rejection, got ${unhandled.map(String).join('; ')}`);
}
