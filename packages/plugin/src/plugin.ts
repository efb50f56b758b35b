/**
 * The adapter plugin contract, version {@link pluginApiVersion}. A plugin is a plain object exported by an adapter
 * package: its `kind` (source or sink), its `type` (the `type:` string of a configuration entry), a zod schema of
 * the entry (the adapter library's own option names, with defaults and descriptions), an optional schema of the
 * per-mapping options it reads, and a factory that builds the run-time object from a parsed entry and a
 * {@link PluginContext}. The host (the `nitrox` command, or any program) validates, resolves secrets and wires;
 * the plugin owns everything about its peer. A host refuses a plugin whose `apiVersion` it does not implement.
 */
import { type Clock, ConfigError, type LeaseLock } from '@nitrox/core';
import type { z } from 'zod';
import type { SinkRuntime, SourceRuntime } from './runtime.js';

/**
 * The major version of this contract. A host implements exactly one; a plugin records the one it was built
 * against (the `define…Plugin` helpers fill it in), so a plugin built for another major is refused with a
 * clear error instead of failing somewhere at run time.
 */
export const pluginApiVersion = 1;

/** A structured logger (a pino instance fits), already scoped to the entry by the host. */
export interface PluginLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * The secrets of one entry. The host reads every `…From: { env } | { file }` reference of the entry when it
 * loads the configuration (so that `validate` checks them), and hands the values over only through this.
 */
export interface SecretResolver {
  /**
   * The value of the secret referenced at `path` within the entry (e.g. `passwordFrom`, `auth.tokenFrom`), or
   * `undefined` when the entry references none there.
   */
  get(path: string): string | undefined;
}

/** What the host gives a factory besides the parsed entry. */
export interface PluginContext {
  /** Entry name (the key under `sources:` or `sinks:`). */
  readonly name: string;
  /** Configuration path of the entry, e.g. `sources.cluster`; prefix it to a {@link ConfigError}'s path. */
  readonly path: string;
  /** Logger scoped to the entry. */
  readonly logger: PluginLogger;
  /** Secrets the entry references. */
  readonly secrets: SecretResolver;
  /** Directory relative file paths in the entry resolve against (the configuration file's folder). */
  readonly baseDir: string;
  /** Time source. */
  readonly clock: Clock;
  /** Aborted when the host shuts down. */
  readonly signal: AbortSignal;
}

/** What {@link SourcePlugin.checkEntry} receives: the parts of a {@link PluginContext} that need no running host. */
export type EntryCheckContext = Pick<PluginContext, 'name' | 'path' | 'logger' | 'secrets' | 'baseDir'>;

/** A problem a plugin finds in a mapping that its schemas cannot see (it involves the entry too). */
export interface MappingIssue {
  /** Key of the mapping the problem is about (`app`, `port`, …). */
  readonly key: string;
  /** What was expected. */
  readonly message: string;
}

/** A lease lock a source plugin offers for leader election, and how to release its connection. */
export interface OwnedLeaseLock {
  /** The lock to elect over. */
  readonly lock: LeaseLock;
  /** Close the connection the lock uses; called after the host stopped. */
  close(): Promise<void>;
}

/** An entry or mapping schema: a zod object (use {@link entrySchema} so unknown keys are errors). */
// biome-ignore lint/suspicious/noExplicitAny: any zod object schema, whatever its shape
export type ObjectSchema = z.ZodObject<any, any>;

interface PluginBase<Kind extends 'source' | 'sink', Entry extends ObjectSchema, Mapping extends ObjectSchema> {
  /** The contract version the plugin was built against. */
  readonly apiVersion: number;
  /** Source or sink. */
  readonly kind: Kind;
  /** The `type:` of the configuration entries it serves. */
  readonly type: string;
  /** One line for `nitrox plugins` and the docs. */
  readonly description: string;
  /** Schema of an entry, without its `type` key. */
  readonly schema: Entry;
  /** Schema of the options a mapping may set for this plugin (also accepted under `defaults`). */
  readonly mapping: Mapping;
}

/** A source plugin. */
export interface SourcePlugin<Entry extends ObjectSchema = ObjectSchema, Mapping extends ObjectSchema = ObjectSchema>
  extends PluginBase<'source', Entry, Mapping> {
  /** Checks of a mapping against its entry (e.g. the app lies in the entry's namespace). */
  checkMapping?(entry: z.output<Entry>, mapping: { readonly app: string; readonly options: z.output<Mapping> }): readonly MappingIssue[];
  /**
   * Checks of an entry against the local machine that its schema cannot make (the files it names or would
   * search for exist and parse). No network I/O. The host runs it when it loads a configuration (`validate`,
   * `plan`, `run`), after the secrets are read. Optional (added to apiVersion 1 without a bump).
   *
   * @throws {@link ConfigError} whose path starts with `context.path`.
   */
  checkEntry?(entry: z.output<Entry>, context: EntryCheckContext): void;
  /** Build the runtime of an entry. Does no network I/O; may read local files the entry names. */
  create(entry: z.output<Entry>, context: PluginContext): SourceRuntime<z.output<Mapping>> | Promise<SourceRuntime<z.output<Mapping>>>;
  /** A lease lock on the entry's peer, for leader election; absent when the peer offers none. */
  leaseLock?(entry: z.output<Entry>, context: PluginContext, lease: { readonly namespace: string; readonly name: string }): Promise<OwnedLeaseLock>;
}

/** A sink plugin. */
export interface SinkPlugin<Entry extends ObjectSchema = ObjectSchema, Mapping extends ObjectSchema = ObjectSchema>
  extends PluginBase<'sink', Entry, Mapping> {
  /** Build the runtime of an entry. Does no network I/O; may read local files the entry names. */
  create(entry: z.output<Entry>, context: PluginContext): SinkRuntime<z.output<Mapping>> | Promise<SinkRuntime<z.output<Mapping>>>;
}

/** Any plugin. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds plugins of every entry type
export type Plugin = SourcePlugin<any, any> | SinkPlugin<any, any>;

/**
 * Declare a source plugin; fills in `kind` and the {@link pluginApiVersion} it is built against.
 *
 * @example
 * ```ts
 * export const acmePlugin = defineSourcePlugin({ type: 'acme', description: '…', schema, mapping, create });
 * ```
 */
export function defineSourcePlugin<Entry extends ObjectSchema, Mapping extends ObjectSchema>(
  plugin: Omit<SourcePlugin<Entry, Mapping>, 'apiVersion' | 'kind'>,
): SourcePlugin<Entry, Mapping> {
  return { ...plugin, apiVersion: pluginApiVersion, kind: 'source' };
}

/** Declare a sink plugin; fills in `kind` and the {@link pluginApiVersion} it is built against. */
export function defineSinkPlugin<Entry extends ObjectSchema, Mapping extends ObjectSchema>(
  plugin: Omit<SinkPlugin<Entry, Mapping>, 'apiVersion' | 'kind'>,
): SinkPlugin<Entry, Mapping> {
  return { ...plugin, apiVersion: pluginApiVersion, kind: 'sink' };
}

function isSchema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

/**
 * Check that `value` is a plugin this host can run: the shape of the contract and the same `apiVersion`.
 *
 * @param where - configuration path or package name, for the error.
 * @throws {@link ConfigError} naming `where` and what is wrong.
 */
export function checkPlugin(value: unknown, where: string): Plugin {
  if (typeof value !== 'object' || value === null) throw new ConfigError(where, 'expected a plugin object');
  const p = value as Record<string, unknown>;
  if (p.apiVersion !== pluginApiVersion) {
    throw new ConfigError(where, `expected a plugin for apiVersion ${pluginApiVersion}, got apiVersion ${String(p.apiVersion)} (rebuild it against @nitrox/plugin ${pluginApiVersion}.x)`);
  }
  if (p.kind !== 'source' && p.kind !== 'sink') throw new ConfigError(where, `expected kind "source" or "sink", got ${String(p.kind)}`);
  if (typeof p.type !== 'string' || !/^[a-z][a-z0-9-]*$/.test(p.type)) throw new ConfigError(where, 'expected a type of lowercase letters, digits and "-"');
  if (!isSchema(p.schema) || !isSchema(p.mapping)) throw new ConfigError(where, 'expected zod object schemas in schema and mapping');
  if (typeof p.create !== 'function') throw new ConfigError(where, 'expected a create(entry, context) function');
  return value as Plugin;
}
