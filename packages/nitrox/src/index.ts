/**
 * nitrox: the controller application, a host of adapter plugins — the configuration (the host's schema, the
 * plugin stage, secrets), the plugin registry (built-in plugins and packages a configuration names), the runtime
 * that runs one core `Controller` per mapping between plugin sources and sinks, metrics, the ops HTTP server and
 * the command line (`nitrox run | plan | validate | plugins | demo`). Import it to embed the controller in your own
 * process; write adapters against `@nitrox/plugin`.
 */
export { main } from './cli.js';
export { type CliIo, checkLogLevel, exitCodes, reportError } from './commands/cli-io.js';
export { type ConfigIssue, configErrorFromIssues, configErrorOf, formatPath, issuesOf } from './config/config-issues.js';
export {
  loadConfig,
  mappingDefaults,
  parseConfigText,
  type ResolveOptions,
  type ResolvedConfig,
  type ResolvedMapping,
  resolveConfig,
} from './config/load-config.js';
export type { ResolvedEntry } from './config/resolve-entries.js';
export {
  defaultMappingName,
  defaultPoolName,
  type LeaderElectionConfig,
  type MappingConfig,
  type NitroxConfigInput,
  type NitroxConfigParsed,
  nitroxConfig,
  readinessConfig,
  readinessDefaults,
} from './config/schema.js';
export { resolveSecret, Secret, type SecretEnvironment } from './config/secret.js';
export {
  type DashboardChange,
  type DashboardListener,
  type DashboardSnapshot,
  DashboardState,
  type DashboardStateOptions,
  type MappingStatus,
  type SourceStatus,
} from './ops/dashboard-state.js';
export { OpsServer, type OpsServerOptions, parseListen, type Readiness } from './ops/http-server.js';
export { createLogger, errorFields, type LoggerOptions, redactPaths } from './ops/logger.js';
export { NitroxMetrics, type ReconcileOutcome, type SourceCounters } from './ops/metrics.js';
export { redacted, Redactor, redactingStream, secretsRedactor } from './ops/redactor.js';
export { type BuiltinPlugin, builtinPlugins } from './plugins/builtin-plugins.js';
export { PluginRegistry } from './plugins/plugin-registry.js';
export { type AdapterFactories, createFactories, createLeaseLock, type FactoryOptions, pluginContext } from './runtime/factories.js';
export { LeaseHealth, type LeaseHealthOptions } from './runtime/lease-health.js';
export { type PoolAction, poolAction } from './runtime/pool-action.js';
export { isEmptyDiff, type PoolDiff, poolDiff } from './runtime/pool-diff.js';
export { type PoolPlan, planPool } from './runtime/pool-plan.js';
export { SourceContact, sourceContactDefaults, type SourceContactOptions } from './runtime/source-contact.js';
export {
  type ConvergedEvent,
  defaultIdentity,
  NitroxRuntime,
  type RuntimeEvents,
  type RuntimeOptions,
} from './runtime/runtime.js';
export { sourceMapping } from './runtime/mapping-view.js';
export { version } from './version.js';
