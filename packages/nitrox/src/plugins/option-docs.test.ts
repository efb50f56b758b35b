import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { blockKeys, fillBlocks, optionBlocks } from './option-docs.js';
import { PluginRegistry } from './plugin-registry.js';

const page = new URL('../../../../docs/configuration.md', import.meta.url);

describe('docs/configuration.md', () => {
  it('holds the option table of every built-in plugin and host section, equal to the schemas', async () => {
    const blocks = await optionBlocks(new PluginRegistry());
    let text = await readFile(page, 'utf8');
    // NITROX_UPDATE_DOCS=1 regenerates the tables instead of checking them.
    if (process.env.NITROX_UPDATE_DOCS === '1') {
      text = fillBlocks(text, blocks);
      await writeFile(page, text);
    }
    expect(blockKeys(text).sort()).toEqual([...blocks.keys()].sort());
    expect(text, 'docs/configuration.md differs from the schemas: run NITROX_UPDATE_DOCS=1 npx vitest run packages/nitrox/src/plugins/option-docs.test.ts').toBe(fillBlocks(text, blocks));
  });

  it('keeps only generated tables: a changed default would fail the check', () => {
    const text = '<!-- options: mappings -->\n| stale |\n<!-- /options -->';
    expect(fillBlocks(text, new Map([['mappings', '| fresh |']]))).toBe('<!-- options: mappings -->\n| fresh |\n<!-- /options -->');
    expect(blockKeys(text)).toEqual(['mappings']);
  });
});
