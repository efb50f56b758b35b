/**
 * @nitrox/haproxy: the HAProxy sink over the Runtime API — a small client of the admin socket and
 * `HaproxySink`, which keeps one backend per application equal to its desired `BackendSet` with dynamic
 * servers or `server-template` slots. A real-HAProxy starter for tests is in `@nitrox/haproxy/testing`.
 */
export { checkWriteReply, failureOf, HaproxyError, type HaproxyFailure } from './errors.js';
export { HaproxySink, type HaproxySinkStats } from './haproxy-sink.js';
export { ServerStateFile, type ServerStateFileStats } from './server-state-file.js';
export { type InPlaceChange, type MemberMode, type MemberPlan, owned, type PlanOptions, planMembers, serverName } from './member-plan.js';
export { MemberWriter, type WriteCounts } from './member-writer.js';
export { RuntimeApiClient, type RuntimeApiClientOptions, type RuntimeApiStats, type SessionMode } from './runtime-api-client.js';
export {
  adminFlags,
  draining,
  inMaintenance,
  parseInfo,
  parseServersState,
  parseSessions,
  type ProcessIdentity,
  type ServerState,
} from './server-state.js';
export {
  type HaproxyLogger,
  type HaproxySinkOptions,
  haproxySinkDefaults,
  type ResolvedHaproxySinkOptions,
  resolveHaproxySinkOptions,
} from './sink-options.js';
export { checkAddress, checkCommand, checkName, checkPort, checkWeight, formatEndpoint, isSafeName } from './validation.js';
export { haproxyPlugin, haproxyRuntime } from './plugin.js';
export { type HaproxyEntry, haproxyEntrySchema, type HaproxyMappingOptions, haproxyMappingSchema } from './plugin-schema.js';
