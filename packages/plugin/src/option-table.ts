/**
 * The options of a plugin, read from its schema: one row per option (nested objects flattened to dotted paths)
 * with its type, default and description. `nitrox plugins` prints these rows and docs/configuration.md is
 * checked against them, so the documentation of an option cannot drift from the schema that validates it.
 */
import { z } from 'zod';
import { duration, httpUrl, secretRef } from './schema.js';

/** One option of a schema. */
export interface OptionRow {
  /** Dotted path within the entry, e.g. `select.labels`. */
  readonly path: string;
  /** Type for people: `string`, `duration`, `"a" | "b"`, `secret ({ env } | { file })`, … */
  readonly type: string;
  /** Whether the entry must set it. */
  readonly required: boolean;
  /** Default, rendered as JSON (`undefined` when none). */
  readonly defaultValue: string | undefined;
  /** Description from the schema. */
  readonly description: string;
}

type Def = { type: string; innerType?: z.ZodType; defaultValue?: unknown; in?: z.ZodType; options?: z.ZodType[]; element?: z.ZodType; valueType?: z.ZodType; entries?: Record<string, unknown>; values?: unknown[]; shape?: Record<string, z.ZodType> };

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

function describe(schema: z.ZodType): string | undefined {
  return z.globalRegistry.get(schema)?.description;
}

/** The shared building blocks, recognized by their definition (`.describe()` clones a schema but keeps its definition). */
function known(schema: z.ZodType): string | undefined {
  const def = defOf(schema);
  const base = defOf(duration) as Def & { in?: unknown; out?: unknown };
  const pipe = def as Def & { in?: unknown; out?: unknown };
  // A refined duration (`duration.refine(…)`) is a new pipe over the same input and transform.
  if (def === base || (pipe.in !== undefined && pipe.in === base.in && pipe.out === base.out)) return 'duration';
  if (def === defOf(httpUrl)) return 'URL';
  if (def === defOf(secretRef)) return 'secret ({ env } | { file })';
  return undefined;
}

function typeName(schema: z.ZodType): string {
  const name = known(schema);
  if (name) return name;
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return typeName(def.innerType as z.ZodType);
    case 'pipe':
      return typeName(def.in as z.ZodType);
    case 'union':
      return [...new Set((def.options ?? []).map(typeName))].join(' | ');
    case 'array':
      return `${typeName(def.element as z.ZodType)}[]`;
    case 'record':
      return `map of ${typeName(def.valueType as z.ZodType)}`;
    case 'enum':
      return Object.values(def.entries ?? {}).map((v) => JSON.stringify(v)).join(' | ');
    case 'literal':
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(' | ');
    case 'object':
      return 'object';
    default:
      return def.type;
  }
}

/** Unwrap optional/default layers: the core schema, whether it is required, its default and description. */
function unwrap(schema: z.ZodType): { core: z.ZodType; required: boolean; defaultValue: unknown; description: string | undefined } {
  let current = schema;
  let required = true;
  let defaultValue: unknown;
  let description = describe(schema);
  for (;;) {
    const def = defOf(current);
    if (def.type === 'optional') required = false;
    else if (def.type === 'default' || def.type === 'prefault') {
      required = false;
      defaultValue ??= def.defaultValue;
    } else break;
    current = def.innerType as z.ZodType;
    description ??= describe(current);
  }
  return { core: current, required, defaultValue, description };
}

/** The options of an object schema, nested objects flattened; inline-secret guards (`never`) are left out. */
export function optionRows(schema: z.ZodType, prefix = ''): OptionRow[] {
  const def = defOf(schema);
  if (def.type !== 'object') return [];
  const rows: OptionRow[] = [];
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const { core, required, defaultValue, description } = unwrap(field);
    if (defOf(core).type === 'never') continue;
    const nested = defOf(core).type === 'object' && known(core) === undefined;
    rows.push({
      path,
      type: typeName(core),
      required,
      defaultValue: defaultValue === undefined ? undefined : JSON.stringify(defaultValue),
      description: description ?? '',
    });
    if (nested) rows.push(...optionRows(core, path));
  }
  return rows;
}

/** Render rows as a Markdown table (the form docs/configuration.md holds). */
export function optionsMarkdown(rows: readonly OptionRow[]): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const lines = ['| option | type | default | description |', '|---|---|---|---|'];
  for (const row of rows) {
    const dflt = row.defaultValue !== undefined ? `\`${row.defaultValue}\`` : row.required ? 'required' : '';
    lines.push(`| \`${row.path}\` | ${cell(row.type)} | ${cell(dflt)} | ${cell(row.description)} |`);
  }
  return lines.join('\n');
}
