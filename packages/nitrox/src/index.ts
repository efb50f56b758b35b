/**
 * nitrox: the controller application — configuration schema and loader, the runtime that runs one core
 * `Controller` per mapping between adapter sources and sinks, metrics, the ops HTTP server and the command
 * line (`nitrox run | plan | validate | demo`). Import it to embed the controller in your own process.
 */
export type { AdapterFactories, PoolSettings, SinkRuntime, SourceRuntime } from './adapters.js';
export { type CliIo, exitCodes, main, reportError } from './cli.js';
export {
  defaultMappingName,
  defaultPoolName,
  type KubernetesSourceConfig,
  type LeaderElectionConfig,
  type MappingConfig,
  type MarathonSourceConfig,
  type NetScalerSinkConfig,
  type NitroxConfigInput,
  type NitroxConfigParsed,
  nitroxConfig,
  type SecretRef,
  type SinkConfig,
  type SourceConfig,
  type SwarmSourceConfig,
} from './config-schema.js';
export { formatDuration, parseDuration } from './duration.js';
export { createFactories, createLeaseLock, type OwnedLeaseLock } from './factories.js';
export { type BackendSource, type GroupingAdapter, groupedSourceRuntime } from './grouped-source.js';
export { OpsServer, type OpsServerOptions, parseListen, type Readiness } from './http-server.js';
export { keyView, type KeyViewOptions } from './key-view.js';
export {
  configErrorFromIssues,
  formatPath,
  loadConfig,
  mappingDefaults,
  parseConfigText,
  type ResolvedConfig,
  type ResolvedMapping,
  resolveConfig,
} from './load-config.js';
export { createLogger, errorFields, type LoggerOptions, redactPaths } from './logger.js';
export { NitroxMetrics, type ReconcileOutcome, type SourceCounters } from './metrics.js';
export { isEmptyDiff, type PoolDiff, poolDiff } from './pool-diff.js';
export {
  type ConvergedEvent,
  defaultIdentity,
  NitroxRuntime,
  type RuntimeEvents,
  type RuntimeOptions,
} from './runtime.js';
export { resolveSecret, Secret, type SecretEnvironment } from './secret.js';
export { version } from './version.js';
