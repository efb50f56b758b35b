/**
 * The plugins a host knows: the built-in ones (loaded on first use) and those a configuration's `plugins:`
 * list names, each checked against the contract version of this host. A type registered twice is an error
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

  /** Load the package or file `spec` (relative to `baseDir`) and register every plugin it exports. */
  async load(spec: string, baseDir: string, where: string): Promise<readonly Plugin[]> {
    const exported = await loadPluginModule(spec, baseDir, where);
    return exported.map((value) => this.register(value, spec, where));
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
