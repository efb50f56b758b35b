/**
 * @nitrox/plugin: the contract between the Nitrox host (the `nitrox` command) and adapter plugins. A plugin
 * declares its `type`, a zod schema of its configuration entry and a factory; this package also holds the
 * schema building blocks every adapter shares (durations, secret references, URLs without credentials, TLS),
 * the option table that documentation and `nitrox plugins` are generated from, and helpers for building a
 * source runtime over adapter sources.
 */
export { ContactTracker } from './contact-tracker.js';
export { formatDuration, parseDuration } from './duration.js';
export { type AdapterSource, type BackendSource, backendSourceOf, type GroupingAdapter, groupedSourceRuntime } from './grouped-source.js';
export { keyView, type KeyViewOptions } from './key-view.js';
export { type OptionRow, optionRows, optionsMarkdown } from './option-table.js';
export { readPemFile } from './pem-file.js';
export {
  checkPlugin,
  defineSinkPlugin,
  defineSourcePlugin,
  type EntryCheckContext,
  type MappingIssue,
  type ObjectSchema,
  type OwnedLeaseLock,
  type Plugin,
  pluginApiVersion,
  type PluginContext,
  type PluginLogger,
  type SecretResolver,
  type SinkPlugin,
  type SourcePlugin,
} from './plugin.js';
export type { PoolSettings, SinkCounters, SinkRuntime, SourceCounters, SourceMapping, SourceRuntime } from './runtime.js';
export { backoffSchema, duration, entrySchema, httpUrl, inlineSecret, type SecretRef, secretRef, tlsOptions } from './schema.js';
export { secretRefsOf } from './secret-refs.js';
