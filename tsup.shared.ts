/**
 * The build every package shares: ESM + CJS + type declarations, source maps, Node 20 syntax. Plain tsup
 * options only, so that a move to tsdown stays one commit.
 */
import type { Options } from 'tsup';

/** tsup options for a library package with the given entry points (name → source file). */
export function libraryBuild(entry: Record<string, string>): Options {
  return { entry, format: ['esm', 'cjs'], dts: true, clean: true, sourcemap: true, target: 'node20' };
}
