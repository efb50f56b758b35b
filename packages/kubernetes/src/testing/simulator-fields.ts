/**
 * Field selectors of the API-server simulator, per type as the real server supports them: `metadata.name` and
 * `metadata.namespace` everywhere, plus Services `spec.type`/`spec.clusterIP`, Pods `spec.nodeName`,
 * `status.phase` and friends, Nodes `spec.unschedulable`, Namespaces `status.phase`. Only `=`, `==` and `!=`;
 * an unknown field or a malformed term is a {@link QueryError} (400 BadRequest).
 */
import { QueryError } from './simulator-request.js';
import type { KubeObject } from './simulator-store.js';

type Extract = (object: KubeObject) => string;

const at =
  (...path: string[]): Extract =>
  (object) => {
    let value: unknown = object;
    for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    return value === undefined || value === null ? '' : String(value);
  };
const flag =
  (...path: string[]): Extract =>
  (object) =>
    at(...path)(object) === 'true' ? 'true' : 'false';

/** Selectable fields of each resource, beyond `metadata.name` / `metadata.namespace`. */
const typeFields: Readonly<Record<string, Readonly<Record<string, Extract>>>> = {
  services: { 'spec.type': at('spec', 'type'), 'spec.clusterIP': at('spec', 'clusterIP') },
  pods: {
    'spec.nodeName': at('spec', 'nodeName'),
    'spec.restartPolicy': at('spec', 'restartPolicy'),
    'spec.schedulerName': at('spec', 'schedulerName'),
    'spec.serviceAccountName': at('spec', 'serviceAccountName'),
    'spec.hostNetwork': flag('spec', 'hostNetwork'),
    'status.phase': at('status', 'phase'),
    'status.podIP': at('status', 'podIP'),
    'status.nominatedNodeName': at('status', 'nominatedNodeName'),
  },
  nodes: { 'spec.unschedulable': flag('spec', 'unschedulable') },
  namespaces: { 'status.phase': at('status', 'phase') },
};

/** A parsed field selector. */
export interface FieldSelector {
  /** True when the object matches. */
  matches(object: KubeObject): boolean;
  /** True when only `metadata.name` / `metadata.namespace` are tested (no need to decode stored JSON). */
  readonly metadataOnly: boolean;
}

const everything: FieldSelector = { matches: () => true, metadataOnly: true };

function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + (text[++i] as string);
    } else if (ch === ',') {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms;
}

const unescapeValue = (value: string): string => value.replace(/\\(.)/g, '$1');

/**
 * Parse `fieldSelector` for a resource (plural) as the API server does.
 *
 * @throws {@link QueryError} on a malformed term or a field the resource does not support.
 */
export function parseFieldSelector(selector: string | null | undefined, plural: string): FieldSelector {
  if (selector === null || selector === undefined || selector.trim() === '') return everything;
  const known = typeFields[plural] ?? {};
  const tests: ((object: KubeObject) => boolean)[] = [];
  let metadataOnly = true;
  for (const term of splitTerms(selector)) {
    const match = /^([^=!]+?)\s*(!=|==|=)\s*(.*)$/.exec(term.trim());
    if (!match) throw new QueryError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field = '', op, raw = ''] = match;
    const value = unescapeValue(raw);
    let extract: Extract;
    if (field === 'metadata.name') extract = (o) => o.metadata.name;
    else if (field === 'metadata.namespace') extract = (o) => o.metadata.namespace ?? '';
    else if (Object.hasOwn(known, field)) {
      extract = known[field] as Extract;
      metadataOnly = false;
    } else throw new QueryError(`field label not supported: ${field}`);
    tests.push(op === '!=' ? (o) => extract(o) !== value : (o) => extract(o) === value);
  }
  return {
    metadataOnly,
    matches: (object) => {
      for (const test of tests) if (!test(object)) return false;
      return true;
    },
  };
}
