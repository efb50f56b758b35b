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
export { parseEngineEvent, readEngineEvents } from './engine-events.js';
export { followEvents, type EventFollowerOptions } from './event-follower.js';
export {
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
