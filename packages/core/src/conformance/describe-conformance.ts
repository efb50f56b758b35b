/**
 * The conformance suites as vitest tests: one call in an adapter's test file registers one test per check
 * (`describe('<name> ListWatch conformance')`), so a plugin author sees which property of the contract their
 * adapter breaks.
 *
 * @example
 * ```ts
 * import { describeSinkConformance } from '@nitrox/core/conformance';
 * describeSinkConformance('my sink', { setup: async ({ allowEmpty }) => ({ sink, key: 'pool', ... }) });
 * ```
 */
import { describe, it } from 'vitest';
import { type ListWatchHarness, listWatchChecks } from './list-watch-checks.js';
import { type SinkHarness, sinkChecks } from './sink-checks.js';

/** Options of the describe helpers. */
export interface ConformanceSuiteOptions {
  /** Timeout of one check. @defaultValue 60_000 */
  readonly testTimeoutMs?: number;
}

/** Register the ListWatch conformance suite for an adapter. */
export function describeListWatchConformance<T>(name: string, harness: ListWatchHarness<T>, options: ConformanceSuiteOptions = {}): void {
  describe(`${name} ListWatch conformance`, () => {
    for (const check of listWatchChecks(harness)) it(check.name, () => check.run(), options.testTimeoutMs ?? 60_000);
  });
}

/** Register the Sink conformance suite for a sink. */
export function describeSinkConformance(name: string, harness: SinkHarness, options: ConformanceSuiteOptions = {}): void {
  describe(`${name} Sink conformance`, () => {
    for (const check of sinkChecks(harness)) it(check.name, () => check.run(), options.testTimeoutMs ?? 60_000);
  });
}
