/**
 * `kind: Status` errors of the API-server simulator: the error class its store and handlers throw, the Status
 * document with `details` as the API server fills them, and the API server's wording for missing and conflicting
 * objects (`services "web" not found`, `Operation cannot be fulfilled on …`).
 */
import type { ServedResource } from './simulator-resources.js';

/** The `details` of a `kind: Status` error, as the API server fills them. */
export interface StatusDetails {
  name?: string;
  group?: string;
  /** The resource (plural), e.g. `services`. */
  kind?: string;
  uid?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
  retryAfterSeconds?: number;
}

/**
 * Thrown by the store (and the simulator's handlers) for an answer that is a `kind: Status` error: missing (404),
 * already exists or conflict (409), invalid (422), bad request (400), expired (410), unsupported media type (415).
 */
export class SimulatorStoreError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    /** List metadata of the Status (the inconsistent `continue` token of an expired list). */
    readonly listMeta?: { continue?: string },
  ) {
    super(message);
  }
}

/** `services "web"` or `endpointslices.discovery.k8s.io "web"`, as the API server names an object in messages. */
export function qualifiedName(resource: ServedResource, name: string): string {
  return `${resource.group ? `${resource.plural}.${resource.group}` : resource.plural} "${name}"`;
}

function detailsOf(resource: ServedResource, name: string): StatusDetails {
  return { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.plural };
}

/** A 404/409-style error naming one object, with its Status details. */
export function notFoundLike(status: number, reason: string, resource: ServedResource, name: string, what: string): SimulatorStoreError {
  return new SimulatorStoreError(status, reason, `${qualifiedName(resource, name)} ${what}`, detailsOf(resource, name));
}

/** The 404 of a missing object, with its Status details. */
export function notFoundError(resource: ServedResource, name: string): SimulatorStoreError {
  return notFoundLike(404, 'NotFound', resource, name, 'not found');
}

/** A 409 Conflict on one object. */
export function conflict(resource: ServedResource, name: string, why: string): SimulatorStoreError {
  return new SimulatorStoreError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(resource, name)}: ${why}`, detailsOf(resource, name));
}

/** A `kind: Status` object as the API server returns on errors. */
export function statusObject(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
  metadata: Record<string, unknown> = {},
): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}
