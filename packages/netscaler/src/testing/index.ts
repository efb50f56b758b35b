/**
 * @nitrox/netscaler/testing: a NITRO simulator over HTTP on loopback, to test anything that drives a
 * NetScaler (the sink, the CLI, your own controller) without an appliance.
 */
export { NitroSimulator, type NitroSimulatorOptions, startNitroSimulator } from './nitro-simulator.js';
export { NitroFault, nitroFaults } from './nitro-fault.js';
export { RequestLog, type RequestLogEntry, type RequestLogFilter } from './request-log.js';
export type { TokenSource } from './request-decode.js';
export { type FaultMatch, type ItemFault, type RequestFault, SimulatorFaults } from './simulator-faults.js';
export { type SimMember, type SimServicegroup, SimulatorState } from './simulator-state.js';
