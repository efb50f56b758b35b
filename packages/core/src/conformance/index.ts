/**
 * @nitrox/core/conformance: the conformance kit every adapter runs in its tests — built-in or third-party. The
 * ListWatch suite checks a source, the Sink suite a sink, each over a small harness the author writes against
 * their own peer or simulator. Needs vitest (a peer dependency of this entry only).
 */
export { type Check, ConformanceFailure } from './check-support.js';
export { type ConformanceSuiteOptions, describeListWatchConformance, describeSinkConformance } from './describe-conformance.js';
export { type ListWatchHarness, type ListWatchSubject, listWatchChecks } from './list-watch-checks.js';
export { type SinkHarness, type SinkSubject, sinkChecks } from './sink-checks.js';
