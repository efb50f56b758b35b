/**
 * @nitrox/netscaler: the NetScaler (Citrix ADC) sink over the NITRO REST API — a small typed NITRO client
 * and `NetScalerSink`, which keeps one servicegroup per application equal to its desired `BackendSet`.
 * The NITRO simulator is in `@nitrox/netscaler/testing`.
 */
export {
  isRetryableNitro,
  type MemberFailure,
  type MemberRejection,
  NetScalerApplyError,
  NitroError,
  type NitroErrorDetails,
} from './errors.js';
export { type NitroLogger, silentLogger } from './logger.js';
export { boundByIp, canonicalAddress, type MemberPlan, type MemberPlanOptions, type ObservedMember, planMembers } from './member-plan.js';
export { rejectionOf, weightRange } from './member-validation.js';
export type { BindMethod } from './member-writer.js';
export {
  NitroClient,
  type NitroBulkOptions,
  type NitroClientStats,
  type NitroGetOptions,
} from './nitro-client.js';
export {
  type NitroAuthMode,
  type NitroClientOptions,
  nitroClientDefaults,
  type ResolvedNitroClientOptions,
  resolveNitroClientOptions,
} from './nitro-client-options.js';
export { configPath, encodeName, formatParams, type NitroParams, parseParams } from './nitro-query.js';
export { type NitroResult, NitroResultCounter, nitroFailureOf, nitroResultOf } from './nitro-results.js';
export {
  type LbvserverRecord,
  type LbvserverServicegroupRecord,
  type NitroEnvelope,
  NitroErrorCode,
  type NitroItemResult,
  type NitroRecord,
  type ServerRecord,
  type ServicegroupMemberRecord,
  type ServicegroupRecord,
} from './nitro-types.js';
export { NetScalerSink, type NetScalerSinkStats } from './netscaler-sink.js';
export {
  defaultServicegroupName,
  type NetScalerSinkOptions,
  netScalerSinkDefaults,
  type ResolvedSinkOptions,
  resolveSinkOptions,
  type StartupGuard,
} from './sink-options.js';
export { netscalerPlugin, netscalerRuntime } from './plugin.js';
export { type NetscalerEntry, netscalerEntrySchema, type NetscalerMappingOptions, netscalerMappingSchema } from './plugin-schema.js';
