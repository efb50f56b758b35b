/**
 * @nitrox/marathon/testing: a Marathon simulator over HTTP on loopback, for testing this package and
 * controllers built on it, and core's `waitFor` helper (re-exported).
 */
export {
  type MarathonSimulator,
  type MarathonSimulatorOptions,
  type SimulatorAgents,
  type SimulatorApps,
  type SimulatorFaults,
  type SimulatorRequestCounts,
  startMarathonSimulator,
} from './marathon-simulator.js';
export { InMemoryMarathon, type InMemoryMarathonCalls } from './in-memory-marathon.js';
export type { SimAgentNaming, SimAppDefinition, SimTiming } from './simulator-types.js';
export { type SimulatorStandby, type StandbyCounts, startStandby } from './simulator-standby.js';
export type { SseFaults, SseStats } from './sse-hub.js';
export { waitFor, type WaitForOptions } from '@nitrox/core/testing';
