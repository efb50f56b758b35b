/**
 * @nitrox/marathon: a Marathon source for Nitrox. Marathon's event bus (`/v2/events`, SSE) is followed as a
 * stream of interrupts; the affected apps are refetched, coalesced, and backed by periodic full snapshots; each
 * selected app becomes one `BackendSet`, served as a core `ListWatch` that a `Controller` can consume.
 */
export { type AppSelector, type AppSelectorCriteria, compileSelector } from './app-selector.js';
export {
  type AddressMode,
  type HealthPolicy,
  isIpPerTask,
  isRunning,
  type ProjectionContext,
  type ProjectionOptions,
  projectApp,
  projectionDefaults,
  type ResolvedProjectionOptions,
  resolveProjectionOptions,
  type UnreachablePolicy,
} from './backend-projection.js';
export {
  type EventSourceClient,
  type EventStreamEvents,
  type EventStreamOptions,
  type EventStreamStats,
  eventStreamDefaults,
  MarathonEventStream,
} from './event-stream.js';
export { HealthMemory } from './health-memory.js';
export {
  CachedHostResolver,
  HostResolutionError,
  type HostLookup,
  type HostResolverOptions,
  type HostResolverStats,
  hostResolverDefaults,
  systemHostLookup,
} from './host-resolver.js';
export {
  appPath,
  type EventStreamResponse,
  type MarathonApi,
  MarathonClient,
  type OpenEventsOptions,
} from './marathon-client.js';
export {
  appIdOfInstance,
  type DecodedData,
  decodeEventData,
  type EventImpact,
  eventImpact,
  relevantEventTypes,
} from './marathon-events.js';
export {
  type BasicAuth,
  connectionDefaults,
  type MarathonConnectionOptions,
  type MarathonTlsOptions,
  type ResolvedConnection,
  resolveConnection,
  type TokenAuth,
} from './marathon-options.js';
export { MarathonSource } from './marathon-source.js';
export type { MarathonSourceEvents, MarathonSourceStats } from './source-events.js';
export type {
  MarathonApp,
  MarathonEvent,
  MarathonHealthCheckResult,
  MarathonIpAddress,
  MarathonPort,
  MarathonTask,
  MarathonTaskState,
} from './marathon-types.js';
export type { Backoff, BackoffOptions } from './reconnect-backoff.js';
export { type MarathonSourceOptions, marathonSourceDefaults } from './source-options.js';
export { marathonAppId, marathonPlugin, marathonRuntime } from './plugin.js';
export { type MarathonEntry, marathonEntrySchema, type MarathonMappingOptions, marathonMappingSchema, marathonSelectSchema } from './plugin-schema.js';
