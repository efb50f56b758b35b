/**
 * Lists of the API-server simulator: `resourceVersion`/`resourceVersionMatch`, label and field selectors, and
 * `limit`/`continue` paging with tokens shaped as the API server's (`{"v":"meta.k8s.io/v1","rv":…,"start":…}`,
 * base64, plus the simulator's token generation `g`): a page is read at the list's revision, rebuilt from the history. Once that revision fell out of the
 * history (or the tokens were expired by a fault) the next page answers 410 `Expired` with an *inconsistent*
 * continue token in the Status's `metadata.continue` that goes on from the same key at the latest revision.
 */
import { ConfigError } from '@nitrox/core';
import { apiVersionOf, objectKey } from '../resources.js';
import { parseSelector } from '../selectors.js';
import { parseFieldSelector } from './simulator-fields.js';
import { QueryError, queryInt, type Route, readVersion } from './simulator-request.js';
import { type KubeObject, type SimulatorStore, SimulatorStoreError } from './simulator-store.js';

interface ContinueToken {
  readonly v: 'meta.k8s.io/v1';
  /** Revision the list is read at; -1 = the latest (an inconsistent continuation). */
  readonly rv: number;
  /** First key of the next page. */
  readonly start: string;
  /** Generation of the simulator's tokens (bumped by the `expireContinueTokens` fault). */
  readonly g: number;
}

const encodeToken = (token: ContinueToken): string => Buffer.from(JSON.stringify(token)).toString('base64');

function decodeToken(text: string): ContinueToken {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as ContinueToken;
    if (token.v === 'meta.k8s.io/v1' && Number.isInteger(token.rv) && typeof token.start === 'string' && Number.isInteger(token.g)) return token;
  } catch {
    // fall through
  }
  throw new QueryError('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

const inconsistentMessage =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, ' +
  'or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an ' +
  'inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** A parsed label selector; a malformed one is a {@link QueryError} (400), not a 500. */
export function labelSelectorOf(query: URLSearchParams): (labels: Readonly<Record<string, string>> | undefined) => boolean {
  try {
    return parseSelector(query.get('labelSelector') ?? undefined);
  } catch (error) {
    if (error instanceof ConfigError) throw new QueryError(`unable to parse requirement: ${error.message}`);
    throw error;
  }
}

/** Where tokens stand: tokens of an older generation are expired (the fault switch). */
export interface ContinueState {
  generation: number;
}

/**
 * The JSON of one list page for a route and query.
 *
 * @throws {@link QueryError} (400) or {@link SimulatorStoreError} (410 / 504) as the API server answers.
 */
export function listPage(store: SimulatorStore, route: Route, query: URLSearchParams, state: ContinueState): string {
  const limit = queryInt(query, 'limit') ?? 0;
  const continueText = query.get('continue') ?? '';
  const labels = labelSelectorOf(query);
  const fields = parseFieldSelector(query.get('fieldSelector'), route.resource.plural);
  const plural = route.resource.plural;
  let rv: number;
  let start = '';
  let entries: { object: KubeObject; json: string }[];
  if (continueText !== '') {
    if (query.get('resourceVersion')) throw new QueryError('specifying resource version is not allowed when using continue');
    const token = decodeToken(continueText);
    start = token.start;
    if (token.rv === -1) {
      rv = Number(store.revision);
      entries = store.list(plural, route.namespace);
    } else {
      const past = token.g !== state.generation ? undefined : store.listAt(plural, route.namespace, token.rv);
      if (past === undefined) {
        const inconsistent = encodeToken({ v: 'meta.k8s.io/v1', rv: -1, start, g: state.generation });
        throw new SimulatorStoreError(410, 'Expired', inconsistentMessage, undefined, { continue: inconsistent });
      }
      rv = token.rv;
      entries = past;
    }
  } else {
    const read = readVersion(query);
    if ('error' in read) throw new QueryError(read.error);
    rv = Number(store.revision);
    if (read.rv !== undefined && read.rv > rv) {
      throw new SimulatorStoreError(504, 'Timeout', `Too large resource version: ${read.rv}, current: ${rv}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: `Too large resource version: ${read.rv}, current: ${rv}` }],
        retryAfterSeconds: 1,
      });
    }
    entries = store.list(plural, route.namespace);
    if (read.exact && read.rv !== undefined) {
      const past = store.listAt(plural, route.namespace, read.rv);
      if (past === undefined) throw new SimulatorStoreError(410, 'Expired', `too old resource version: ${read.rv} (${store.floor})`);
      entries = past;
      rv = read.rv;
    }
  }
  const items: string[] = [];
  let next: string | undefined;
  let remaining = 0;
  for (const { object, json } of entries) {
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    if (key < start || !labels(object.metadata.labels) || !fields.matches(object)) continue;
    if (limit > 0 && items.length === limit) {
      next ??= key;
      remaining++;
      continue;
    }
    items.push(json);
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (next !== undefined) {
    metadata.continue = encodeToken({ v: 'meta.k8s.io/v1', rv, start: next, g: state.generation });
    metadata.remainingItemCount = remaining;
  }
  const head = JSON.stringify({ kind: `${route.resource.kind}List`, apiVersion: apiVersionOf(route.resource), metadata });
  return `${head.slice(0, -1)},"items":[${items.join(',')}]}`;
}
