/**
 * The plugins a host knows: the built-in ones (loaded on first use), those a configuration's `plugins:`
 * list names, and those of a package an entry's `type:` names, each checked against the contract version of
 * this host. A module is loaded once, however often it is named. A type registered twice is an error
 * naming both origins: a third-party package cannot silently replace a built-in adapter.
 */
import { ConfigError } from '@nitrox/core';
import { checkPlugin, type Plugin, type SinkPlugin, type SourcePlugin } from '@nitrox/plugin';
import { type BuiltinPlugin, builtinPlugins } from './builtin-plugins.js';
import { loadPluginModule } from './load-plugin-module.js';

interface Registered {
  readonly from: string;
  plugin: Plugin | undefined;
  readonly load: (() => Promise<Plugin>) | undefined;
}

/** Plugins by kind and type. */
export class PluginRegistry {
  readonly #entries = new Map<string, Registered>();
  readonly #modules = new Map<string, Promise<readonly Plugin[] | undefined>>();

  /** A registry holding the built-in plugins (or `builtins`). */
  constructor(builtins: readonly BuiltinPlugin[] = builtinPlugins) {
    for (const b of builtins) this.#entries.set(`${b.kind}:${b.type}`, { from: b.from, plugin: undefined, load: b.load });
  }

  /**
   * Register a plugin object.
   *
   * @param from - where it came from (package name), for messages.
   * @throws {@link ConfigError} at `where` when it breaks the contract or its type is taken.
   */
  register(value: unknown, from: string, where: string): Plugin {
    const plugin = checkPlugin(value, where);
    const key = `${plugin.kind}:${plugin.type}`;
    const taken = this.#entries.get(key);
    if (taken) throw new ConfigError(where, `expected a new ${plugin.kind} type: "${plugin.type}" is already provided by ${taken.from}`);
    this.#entries.set(key, { from, plugin, load: undefined });
    return plugin;
  }

  /** Load the package or file `spec` (relative to `baseDir`) and register every plugin it exports, once. */
  async load(spec: string, baseDir: string, where: string): Promise<readonly Plugin[]> {
    return (await this.#loadOnce(spec, baseDir, where, false)) ?? [];
  }

  #loadOnce(spec: string, baseDir: string, where: string, optional: boolean): Promise<readonly Plugin[] | undefined> {
    let loading = this.#modules.get(spec);
    if (!loading) {
      loading = loadPluginModule(spec, baseDir, where, optional).then((exported) => exported?.map((value) => this.register(value, spec, where)));
      // A module that is not installed is not remembered: the next attempt may name it where it is required.
      loading.then((plugins) => plugins ?? this.#modules.delete(spec), () => this.#modules.delete(spec));
      this.#modules.set(spec, loading);
    }
    return loading;
  }

  /**
   * The plugin of `kind` that the package (or path) `spec` exports, for an entry whose `type:` names a package;
   * `undefined` when no such package is installed.
   *
   * @throws {@link ConfigError} at `where` when the package exports no plugin of that kind, or several.
   */
  async fromPackage(kind: 'source' | 'sink', spec: string, baseDir: string, where: string): Promise<Plugin | undefined> {
    const plugins = await this.#loadOnce(spec, baseDir, where, true);
    if (!plugins) return undefined;
    const ofKind = plugins.filter((p) => p.kind === kind);
    if (ofKind.length !== 1) {
      throw new ConfigError(where, `expected package "${spec}" to export one ${kind} plugin, it exports ${ofKind.map((p) => p.type).join(', ') || 'none'}`);
    }
    return ofKind[0];
  }

  /** Types registered for `kind`, sorted. */
  types(kind: 'source' | 'sink'): string[] {
    return [...this.#entries.keys()].filter((k) => k.startsWith(`${kind}:`)).map((k) => k.slice(kind.length + 1)).sort();
  }

  /** The plugin of a type, loading a built-in on first use; `undefined` when no plugin provides it. */
  async get(kind: 'source', type: string): Promise<SourcePlugin | undefined>;
  async get(kind: 'sink', type: string): Promise<SinkPlugin | undefined>;
  async get(kind: 'source' | 'sink', type: string): Promise<Plugin | undefined> {
    const entry = this.#entries.get(`${kind}:${type}`);
    if (!entry) return undefined;
    entry.plugin ??= checkPlugin(await (entry.load as () => Promise<Plugin>)(), entry.from);
    return entry.plugin;
  }

  /** Every plugin with its origin (loads the built-ins). */
  async all(): Promise<{ readonly from: string; readonly plugin: Plugin }[]> {
    const out: { from: string; plugin: Plugin }[] = [];
    for (const key of [...this.#entries.keys()].sort()) {
      const [kind, type] = key.split(':') as ['source' | 'sink', string];
      const plugin = kind === 'source' ? await this.get(kind, type) : await this.get(kind, type);
      if (plugin) out.push({ from: (this.#entries.get(key) as Registered).from, plugin });
    }
    return out;
  }
}
