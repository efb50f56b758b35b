/**
 * Request parsing of the API-server simulator: the route of an API path (group, version, namespace, resource,
 * name, legacy `/watch/` prefix), query parameters converted as apimachinery does, and the list's
 * `resourceVersion` / `resourceVersionMatch` semantics.
 */
import { type ServedResource, servedResource } from './simulator-resources.js';

/** Where a request goes. */
export interface Route {
  resource: ServedResource;
  namespace: string | undefined;
  name: string | undefined;
  legacyWatch: boolean;
}

/** The route of an API path, or `undefined` for a path the simulator does not serve. */
export function parseRoute(pathname: string): Route | undefined {
  const segments = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  let group = '';
  let version: string | undefined;
  let rest: string[];
  if (segments[0] === 'api') {
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    group = segments[1] ?? '';
    version = segments[2];
    rest = segments.slice(3);
  } else return undefined;
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length < 1 || rest.length > 2) return undefined;
  const resource = servedResource(rest[0] as string);
  if (!resource || resource.group !== group || resource.version !== version) return undefined;
  if (!resource.namespaced && namespace !== undefined) return undefined;
  return { resource, namespace, name: rest[1], legacyWatch };
}

/**
 * The `resourceVersion` / `resourceVersionMatch` of a list, as the API server reads them: unset = most recent,
 * `0` = any (this simulator always serves the most recent), `N` = not older than N (the most recent, or 504 when N
 * is in the future), `N` with `resourceVersionMatch=Exact` = the state at N (410 when N fell out of history).
 */
export function readVersion(query: URLSearchParams): { rv: number | undefined; exact: boolean } | { error: string } {
  const text = query.get('resourceVersion') ?? '';
  const match = query.get('resourceVersionMatch') ?? '';
  if (match !== '' && match !== 'Exact' && match !== 'NotOlderThan') return { error: `unsupported resourceVersionMatch "${match}"` };
  if (text === '') return match === '' ? { rv: undefined, exact: false } : { error: 'resourceVersionMatch is forbidden unless resourceVersion is provided' };
  const rv = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(rv)) return { error: `invalid resourceVersion "${text}"` };
  if (rv === 0) return match === 'Exact' ? { error: 'resourceVersionMatch "Exact" is forbidden for resourceVersion "0"' } : { rv: undefined, exact: false };
  return { rv, exact: match === 'Exact' };
}

/** A query parameter that cannot be converted: the API server answers 400 BadRequest. */
export class QueryError extends Error {}

/**
 * A boolean query parameter as apimachinery converts it: absent → false; `0` or `false` (any case) → false;
 * anything else, the empty string and `True` included, → true.
 */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null) return false;
  return value !== '0' && value.toLowerCase() !== 'false';
}

/** An integer query parameter (int64, as apimachinery parses it), or `undefined` when absent or empty. */
export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^[+-]?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new QueryError(`invalid value for ${name}: strconv.ParseInt: parsing "${value}": invalid syntax`);
  }
  return Number(value);
}
