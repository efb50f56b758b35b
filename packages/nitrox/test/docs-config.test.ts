/**
 * Every Nitrox configuration the documentation shows is valid: the YAML and JSON blocks of docs/*.md and the
 * READMEs that hold `sources`, `sinks`, `mappings` or `leaderElection` (and the `nitrox.yaml` of a Kubernetes
 * ConfigMap), run through `resolveConfig` — the schema, every plugin's own schema and checks, and the host's
 * cross-mapping checks. A fragment (a block without all of `sources`, `sinks` and `mappings`) is checked as its
 * page's first complete example with the fragment's top-level keys in place. Two things a test machine cannot
 * have are supplied: a `kubernetes` entry without `server` gets one (it would search for a kubeconfig), and a
 * secret read from a file is read from the environment instead (the files are the reader's, e.g. /etc/nitrox).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resolveConfig } from '../src/config/load-config.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const pages = [
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  'README.md',
  ...readdirSync(join(root, 'packages')).map((p) => `packages/${p}/README.md`),
].filter((p) => existsSync(join(root, p)));

type Doc = Record<string, unknown>;
const configKeys = ['sources', 'sinks', 'mappings', 'leaderElection'];
const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const complete = (d: Doc) => 'sources' in d && 'sinks' in d && 'mappings' in d;

/** The configurations a page shows, in order: each fenced yaml/json block's documents, ConfigMaps' nitrox.yaml. */
function configsOf(markdown: string): Doc[] {
  const found: Doc[] = [];
  for (const [, , body] of markdown.matchAll(/^```(ya?ml|json)\n([\s\S]*?)^```/gm)) {
    for (const document of parseAllDocuments(body as string)) {
      const value: unknown = document.toJS();
      if (!isObject(value)) continue;
      const embedded = value.kind === 'ConfigMap' && isObject(value.data) ? value.data['nitrox.yaml'] : undefined;
      const config: unknown = typeof embedded === 'string' ? parseAllDocuments(embedded)[0]?.toJS() : value;
      if (isObject(config) && configKeys.some((k) => k in config)) found.push(config);
    }
  }
  return found;
}

/** Supply what a test machine lacks (see the header); everything else is checked as written. */
function runnableHere(config: Doc): Doc {
  const copy = structuredClone(config);
  for (const source of Object.values(isObject(copy.sources) ? copy.sources : {})) {
    if (isObject(source) && source.type === 'kubernetes' && source.server === undefined && source.kubeconfig === undefined) source.server = 'https://127.0.0.1:6443';
  }
  for (const sink of Object.values(isObject(copy.sinks) ? copy.sinks : {})) {
    if (!isObject(sink)) continue;
    for (const [key, value] of Object.entries(sink)) if (key.endsWith('From') && isObject(value) && 'file' in value) sink[key] = { env: 'DOCS_SECRET' };
    if (typeof sink.caFile === 'string' && sink.caFile.startsWith('/etc/')) delete sink.caFile;
  }
  return copy;
}

const cases = pages.flatMap((page) => {
  const configs = configsOf(readFileSync(join(root, page), 'utf8'));
  const base = configs.find(complete);
  return configs.map((config, i) => ({ name: `${page} #${i + 1}`, config: complete(config) || !base ? config : { ...base, ...config } }));
});

/** Every environment variable a configuration's secrets name (`…From: { env: NAME }`), set to a stand-in value. */
function secretEnv(config: Doc): Record<string, string> {
  const names = JSON.stringify(config).matchAll(/From":\{"env":"([^"]+)"/g);
  return Object.fromEntries([...names].map(([, name]) => [name as string, 'docs-secret']));
}

const check = (config: Doc) => {
  const runnable = runnableHere(config);
  return resolveConfig(runnable, { env: secretEnv(runnable), baseDir: root });
};

it('finds the configurations the docs show (the getting-started one, the reference, the plugin page, the Deployment)', () => {
  const names = cases.map((c) => c.name);
  expect(cases.length).toBeGreaterThanOrEqual(7);
  for (const page of ['docs/getting-started.md', 'docs/configuration.md', 'docs/plugins.md', 'docs/operations.md', 'packages/nitrox/README.md']) {
    expect(names.some((n) => n.startsWith(`${page} `)), page).toBe(true);
  }
});

it.each(cases)('$name is a valid configuration', async ({ config }) => {
  const resolved = await check(config);
  expect(resolved.mappings.length).toBeGreaterThan(0);
});

it('would catch a wrong snippet: a misspelt option of a plugin is refused with its path', async () => {
  const [first] = cases;
  const config = structuredClone(first?.config) as Doc;
  const sinks = config.sinks as Record<string, Doc>;
  const [name] = Object.keys(sinks);
  (sinks[name as string] as Doc).usrename = 'nitrox';
  await expect(check(config)).rejects.toThrow(`sinks.${name}`);
});
