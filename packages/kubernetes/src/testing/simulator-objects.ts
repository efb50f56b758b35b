/**
 * Requests on one object (and POST on a collection) of the API-server simulator: create (with `generateName`),
 * get, replace, PATCH in the four content types the API server accepts (JSON patch, merge patch, strategic merge
 * patch, server-side apply) and delete with preconditions. Bodies are JSON, or protobuf for the Namespace and
 * Service bodies that kubectl's typed clients send; anything else (YAML, other protobuf kinds) answers 415.
 */
import type { IncomingMessage } from 'node:http';
import type { ApplyState } from './simulator-apply.js';
import type { ServiceAllocator } from './simulator-defaults.js';
import { apiVersionOf } from '../resources.js';
import { parseFieldSelector } from './simulator-fields.js';
import { labelSelectorOf } from './simulator-list.js';
import { decodeProtobufObject } from './simulator-protobuf.js';
import { servedResources } from './simulator-resources.js';
import { applyJsonPatch, applyMergePatch, PatchError, strategicMerge } from './simulator-patch.js';
import { QueryError, type Route } from './simulator-request.js';
import type { DeletePreconditions, KubeObject, SimulatorStore, WriteOptions } from './simulator-store.js';
import { notFoundError, SimulatorStoreError } from './simulator-status.js';

/** An answer: HTTP status and body. */
export interface ObjectAnswer {
  readonly status: number;
  readonly body: unknown;
}

const patchTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

/** The media type of a request, without parameters. */
function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
}

function unsupported(type: string, accepted: readonly string[]): SimulatorStoreError {
  return new SimulatorStoreError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, {
    causes: [{ reason: 'UnsupportedMediaType', message: `unsupported media type ${type}` }],
  });
}

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const protobufType = 'application/vnd.kubernetes.protobuf';

/** The body of a POST or PUT: JSON, or protobuf for the kinds {@link decodeProtobufObject} knows (else 415). */
async function readObjectBody(req: IncomingMessage, type: string): Promise<unknown> {
  if (type !== protobufType) return readJson(req);
  const object = decodeProtobufObject(await readBytes(req));
  if (!object) throw unsupported(type, ['application/json']);
  return object;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBytes(req)).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new QueryError(`the body could not be decoded as JSON: ${(error as Error).message}`);
  }
}

function asObject(body: unknown): KubeObject {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new QueryError('the body is not a Kubernetes object');
  const object = body as KubeObject;
  if (!object.metadata || typeof object.metadata !== 'object') object.metadata = { name: '' };
  return object;
}

/** What the object handlers work on. */
export interface ObjectContext {
  readonly store: SimulatorStore;
  /** Gives Services written over REST the API server's defaults. */
  readonly services: ServiceAllocator;
  /** What each field manager applied (server-side apply). */
  readonly applies: ApplyState;
}

/** Handle a write or a get of one object (or a deletecollection). */
export async function handleObject(context: ObjectContext, req: IncomingMessage, route: Route, query: URLSearchParams): Promise<ObjectAnswer> {
  const { store, services } = context;
  const { plural } = route.resource;
  const namespace = route.resource.namespaced ? (route.namespace ?? 'default') : undefined;
  const method = req.method ?? 'GET';
  const type = mediaType(req);
  const write = writeOptions(query);
  if ((method === 'POST' || method === 'PUT') && type !== 'application/json' && type !== protobufType) throw unsupported(type, ['application/json', protobufType]);
  const setNamespace = (object: KubeObject): void => {
    if (namespace === undefined) {
      delete object.metadata.namespace;
      return;
    }
    if (object.metadata.namespace && object.metadata.namespace !== namespace) {
      throw new QueryError('the namespace of the provided object does not match the namespace sent on the request');
    }
    object.metadata.namespace = namespace;
  };
  if (method === 'POST' && route.name === undefined) {
    const object = asObject(await readObjectBody(req, type));
    setNamespace(object);
    delete object.metadata.resourceVersion;
    if (plural === 'namespaces') {
      object.spec = { finalizers: ['kubernetes'], ...(object.spec as object | undefined) };
      object.status = { phase: 'Active', ...(object.status as object | undefined) };
    }
    if (plural === 'services') services.prepare(object, undefined);
    return { status: 201, body: store.create(plural, object, write) };
  }
  if (method === 'DELETE' && route.name === undefined) {
    // deletecollection: every object the selectors match, in the path's namespace (or all); answers their list.
    const labels = labelSelectorOf(query);
    const fields = parseFieldSelector(query.get('fieldSelector'), plural);
    const matching = store.list(plural, route.namespace).filter(({ object }) => labels(object.metadata.labels) && fields.matches(object));
    const items = matching.map(({ object }) => store.delete(plural, object.metadata.namespace, object.metadata.name, {}, write));
    return { status: 200, body: { kind: `${route.resource.kind}List`, apiVersion: apiVersionOf(route.resource), metadata: {}, items } };
  }
  if (route.name === undefined) throw new SimulatorStoreError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  const name = route.name;
  const current = (): KubeObject => {
    const object = store.get(plural, namespace, name);
    if (!object) throw notFoundError(route.resource, name);
    return object;
  };
  switch (method) {
    case 'GET':
      return { status: 200, body: current() };
    case 'PUT': {
      const object = asObject(await readObjectBody(req, type));
      if (object.metadata.name !== name) throw new QueryError(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`);
      setNamespace(object);
      if (plural === 'services') services.prepare(object, store.get(plural, namespace, name));
      return { status: 200, body: store.update(plural, object, write) };
    }
    case 'DELETE': {
      const body = (await readJson(req)) as { preconditions?: DeletePreconditions } | undefined;
      const deleted = store.delete(plural, namespace, name, body?.preconditions ?? {}, write);
      if (plural === 'namespaces' && !write.dryRun) {
        // The API server empties a deleted namespace (asynchronously, through its finalizer); here at once.
        for (const r of Object.values(servedResources)) {
          if (r.namespaced) for (const { object } of store.list(r.plural, name)) store.delete(r.plural, name, object.metadata.name);
        }
      }
      return { status: 200, body: deleted };
    }
    case 'PATCH':
      return patch(context, req, route, query, namespace, type);
    default:
      throw new SimulatorStoreError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }
}

async function patch(
  { store, services, applies }: ObjectContext,
  req: IncomingMessage,
  route: Route,
  query: URLSearchParams,
  namespace: string | undefined,
  type: string,
): Promise<ObjectAnswer> {
  const { plural, kind } = route.resource;
  const name = route.name as string;
  if (!(patchTypes as readonly string[]).includes(type)) throw unsupported(type, patchTypes);
  const body = await readJson(req);
  const live = store.get(plural, namespace, name);
  if (type === 'application/apply-patch+yaml') {
    if (!query.get('fieldManager')) throw new QueryError('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const applied = asObject(body);
    if (applied.metadata.name && applied.metadata.name !== name) throw new QueryError(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    applied.metadata.name = name;
    if (namespace !== undefined) applied.metadata.namespace = namespace;
    const manager = query.get('fieldManager') as string;
    const merged = applies.merge(kind, live, structuredClone(applied), manager);
    if (plural === 'services') services.prepare(merged, live);
    const write = writeOptions(query);
    const stored = live ? store.update(plural, merged, write) : store.create(plural, merged, write);
    if (!write.dryRun) applies.remember(stored, applied, manager);
    return { status: live ? 200 : 201, body: stored };
  }
  if (!live) throw notFoundError(route.resource, name);
  const base = live;
  let patched: unknown;
  try {
    if (type === 'application/json-patch+json') patched = applyJsonPatch(base, body);
    else if (type === 'application/merge-patch+json') patched = applyMergePatch(base, body);
    else patched = strategicMerge(kind, '', base, body);
  } catch (error) {
    if (error instanceof PatchError) throw new SimulatorStoreError(422, 'Invalid', error.message);
    throw error;
  }
  const object = asObject(patched);
  if (object.metadata.name !== name) throw new QueryError(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`);
  if (namespace !== undefined) object.metadata.namespace = namespace;
  if (plural === 'services') services.prepare(object, base);
  return { status: 200, body: store.update(plural, object, writeOptions(query)) };
}

/** `?dryRun=All` (the only value the API server accepts). */
function writeOptions(query: URLSearchParams): WriteOptions {
  const values = query.getAll('dryRun');
  if (values.some((v) => v !== 'All')) throw new QueryError(`Unsupported value: "${values.find((v) => v !== 'All')}": supported values: "All"`);
  return values.length > 0 ? { dryRun: true } : {};
}
