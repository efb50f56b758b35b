/**
 * Finding the secret references of a parsed entry: every key ending in `From` whose value is `{ env }` or
 * `{ file }`, at any depth. The host reads them all when it loads the configuration and serves them to the
 * plugin by path through the {@link SecretResolver}.
 */
import type { SecretRef } from './schema.js';

function isRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'env' || keys[0] === 'file') && typeof (value as Record<string, unknown>)[keys[0]] === 'string';
}

/** Every secret reference in `entry`, as `[path within the entry, reference]` (paths like `auth.tokenFrom`). */
export function secretRefsOf(entry: unknown, prefix = ''): [string, SecretRef][] {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [];
  const found: [string, SecretRef][] = [];
  for (const [key, value] of Object.entries(entry)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (key.endsWith('From') && isRef(value)) found.push([path, value]);
    else found.push(...secretRefsOf(value, path));
  }
  return found;
}
