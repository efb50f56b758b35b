/**
 * The option tables of docs/configuration.md, generated from the schemas: one block per plugin (its entry
 * options, then its mapping options) and one for each host section, between `<!-- options: KEY -->` and
 * `<!-- /options -->` markers. A test checks the page against them (and rewrites it on request), so the
 * documentation of an option cannot drift from the schema that validates it.
 */
import { optionRows, optionsMarkdown } from '@nitrox/plugin';
import { hostMappingKeys, leaderElectionConfig } from '../config/schema.js';
import { z } from 'zod';
import type { PluginRegistry } from './plugin-registry.js';

/** The generated tables by block key (`source kubernetes`, `source kubernetes mapping`, `mappings`, …). */
export async function optionBlocks(registry: PluginRegistry): Promise<Map<string, string>> {
  const blocks = new Map<string, string>();
  blocks.set('mappings', optionsMarkdown(optionRows(z.object(hostMappingKeys))));
  blocks.set('leaderElection', optionsMarkdown(optionRows(leaderElectionConfig)));
  for (const { plugin } of await registry.all()) {
    blocks.set(`${plugin.kind} ${plugin.type}`, optionsMarkdown(optionRows(plugin.schema)));
    const mapping = optionRows(plugin.mapping);
    if (mapping.length > 0) blocks.set(`${plugin.kind} ${plugin.type} mapping`, optionsMarkdown(mapping));
  }
  return blocks;
}

const blockPattern = /<!-- options: ([^>]+?) -->\n[\s\S]*?<!-- \/options -->/g;

/** The block keys a page holds, in order. */
export function blockKeys(text: string): string[] {
  return [...text.matchAll(blockPattern)].map((m) => m[1] as string);
}

/** `text` with every block replaced by its generated table (unknown keys are left as they are). */
export function fillBlocks(text: string, blocks: ReadonlyMap<string, string>): string {
  return text.replace(blockPattern, (whole, key: string) => {
    const table = blocks.get(key);
    return table === undefined ? whole : `<!-- options: ${key} -->\n${table}\n<!-- /options -->`;
  });
}
