/**
 * @nitrox/swarm: a Docker Swarm source for Nitrox. `SwarmSource` is a core `ListWatch<BackendSet>` (one set
 * per selected service) fed by a manager's Engine API: `/events` as interrupts, polling as the fallback.
 */
export { SwarmSource } from './swarm-source.js';
export {
  type ResolvedSwarmSourceOptions,
  resolveSwarmSourceOptions,
  type ServiceSelector,
  selects,
  type SwarmPass,
  type SwarmSourceEvents,
  type SwarmSourceOptions,
  type SwarmSourceStats,
  swarmSourceDefaults,
} from './swarm-source-options.js';
export {
  EngineClient,
  type EngineConnectionOptions,
  engineConnectionDefaults,
  undefinedIfNotFound,
} from './engine-client.js';
export { type Interrupt, interruptOf, parseEngineEvent, readEngineEvents } from './engine-events.js';
export { followEvents, type EventFollowerOptions } from './event-follower.js';
export {
  ambiguousPorts,
  currentPorts,
  type ProjectionOptions,
  projectionDefaults,
  projectService,
  type PublishModeChoice,
  sameBackendSet,
  taskIsRunning,
} from './backend-projection.js';
export { nodeAddress, nodeServesIngress, nodeServesTasks } from './node-address.js';
export { type StateChange, SwarmState } from './swarm-state.js';
export { isSettled, type SettleTiming, SettleTracker } from './settle-tracker.js';
export { NodeGrace } from './node-grace.js';
export { Reachability, type SwarmOutage } from './reachability.js';
export { applyTaskPoll, maxDuty, type TaskPollOutcome, TaskPollPacer, type TaskPollPacing, TaskPollSchedule, taskPollTargets } from './task-poll.js';
export { BackendSetWriter } from './backend-set-writer.js';
export { readFull, readTargeted, type RequestCounter, type SwarmReader, type TargetedAnswer, type TargetedRead } from './swarm-reads.js';
export { fullPoller } from './full-poll.js';
export type {
  EngineEvent,
  ObjectVersion,
  PortConfig,
  SwarmNode,
  SwarmService,
  SwarmTask,
} from './engine-types.js';
export { swarmPlugin, swarmRuntime } from './plugin.js';
export { swarmConnectionSchema, type SwarmEntry, swarmEntrySchema, swarmMappingSchema } from './plugin-schema.js';
