/**
 * Kubernetes label and field selectors (`app=web,tier!=db,env in (a,b),!legacy`), parsed once into a
 * predicate. Used to select services client-side and by the simulator to filter lists and watches as the
 * API server does.
 */
import { ConfigError } from '@nitrox/core';

/** A parsed selector: true when the given labels (or fields) match. */
export type SelectorPredicate = (labels: Readonly<Record<string, string>> | undefined) => boolean;

type Requirement = (labels: Readonly<Record<string, string>>) => boolean;

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseRequirement(term: string, option: string): Requirement {
  const setMatch = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const [, key = '', op, list = ''] = setMatch;
    const values = new Set(list.split(',').map((v) => v.trim()));
    return op === 'in'
      ? (l) => l[key] !== undefined && values.has(l[key] as string)
      : (l) => l[key] === undefined || !values.has(l[key] as string);
  }
  const opMatch = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(term);
  if (opMatch) {
    const [, key = '', op, value = ''] = opMatch;
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  if (/^![^\s!=]+$/.test(term)) {
    const key = term.slice(1);
    return (l) => l[key] === undefined;
  }
  if (/^[^\s!=(),]+$/.test(term)) return (l) => l[term] !== undefined;
  throw new ConfigError(option, `cannot parse selector term "${term}"`);
}

/**
 * Parse a label (or field) selector. An empty or undefined selector matches everything.
 *
 * @param option - name of the setting, used in the error message.
 * @throws {@link ConfigError} when a term cannot be parsed.
 */
export function parseSelector(selector: string | undefined, option = 'labelSelector'): SelectorPredicate {
  if (selector === undefined || selector.trim() === '') return () => true;
  const requirements = splitTopLevel(selector).map((term) => parseRequirement(term, option));
  return (labels) => {
    const l = labels ?? {};
    for (const r of requirements) if (!r(l)) return false;
    return true;
  };
}
