/**
 * Importing a plugin package named in `plugins:` (or as an entry's `type:`): a package name is imported as Node resolves it from the
 * `nitrox` installation (install plugins next to nitrox), a path (`./`, `../`, `/`) relative to the configuration
 * file. A module provides its plugins as its default export (one plugin or a list), or as named exports.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '@nitrox/core';

function looksLikePlugin(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'kind' in value && 'type' in value && 'create' in value;
}

/**
 * The plugin objects a module exports (not yet checked against the contract).
 *
 * @param optional - return `undefined` instead of throwing when no such module is installed.
 * @throws {@link ConfigError} at `where` when the module is missing (unless optional), fails to load, or exports no plugin.
 */
export async function loadPluginModule(spec: string, baseDir: string, where: string, optional = false): Promise<unknown[] | undefined> {
  const isPath = spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('/');
  const target = isPath ? pathToFileURL(resolve(baseDir, spec)).href : spec;
  let module: Record<string, unknown>;
  try {
    module = (await import(target)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Failed to load url/.test(String((err as Error).message));
    if (notFound && optional) return undefined;
    throw new ConfigError(
      where,
      notFound
        ? `expected an installed plugin package "${spec}" (install it next to nitrox: npm install ${spec})`
        : `expected a loadable plugin module "${spec}": ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const candidates = module.default !== undefined ? [module.default].flat() : Object.values(module).filter(looksLikePlugin);
  if (candidates.length === 0) throw new ConfigError(where, `expected "${spec}" to export a plugin (default export, or named exports made with defineSourcePlugin/defineSinkPlugin)`);
  return candidates;
}
