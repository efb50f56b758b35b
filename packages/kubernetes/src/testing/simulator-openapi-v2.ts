/**
 * `/openapi/v2` of the API-server simulator, as older kubectl (and client-go's `OpenAPISchema()`) reads it:
 * protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), encoded with the field numbers of
 * gnostic's `openapiv2/OpenAPIv2.proto`. The document has no definitions (so client-side schema validation finds
 * no schema and validates nothing) and, per served resource, a PATCH operation carrying the
 * `x-kubernetes-group-version-kind` extension and the `fieldValidation` query parameter — so kubectl 1.27/1.28,
 * which check server-side field validation there, trust the server as kubectl 1.29+ does with OpenAPI v3.
 */
import { servedResources } from './simulator-resources.js';

/** The media type kubectl asks `/openapi/v2` for. */
export const openApiV2ProtobufType = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

type Value = string | Uint8Array | boolean;

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Encode a protobuf message from (field number, value) pairs: strings and nested messages, booleans as varints. */
function message(...fields: [number, Value][]): Uint8Array {
  const bytes: number[] = [];
  for (const [field, value] of fields) {
    if (typeof value === 'boolean') {
      bytes.push(...varint(field * 8), value ? 1 : 0);
      continue;
    }
    const data = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    bytes.push(...varint(field * 8 + 2), ...varint(data.length), ...data);
  }
  return new Uint8Array(bytes);
}

function patchOperation(group: string, version: string, kind: string): Uint8Array {
  const query = (name: string, type: string): [number, Value] => [
    8, // Operation.parameters
    message([1, message([2, message([3, message([2, 'query'], [4, name], [6, type])])])]), // ParametersItem.parameter.non_body_parameter.query_parameter_sub_schema
  ];
  const gvk = `group: "${group}"\nkind: ${kind}\nversion: ${version}\n`;
  return message(
    [5, `patch${kind}`], // operation_id
    [7, 'application/strategic-merge-patch+json'], // consumes
    [7, 'application/merge-patch+json'],
    [7, 'application/json-patch+json'],
    [7, 'application/apply-patch+yaml'],
    query('dryRun', 'string'),
    query('fieldManager', 'string'),
    query('fieldValidation', 'string'),
    [9, message([1, message([1, '200'], [2, message([1, message([1, 'OK'])])])])], // responses: 200 OK
    [13, message([1, 'x-kubernetes-action'], [2, message([2, 'patch\n'])])],
    [13, message([1, 'x-kubernetes-group-version-kind'], [2, message([2, gvk])])],
  );
}

/** The protobuf OpenAPI v2 document. */
export function openApiV2Document(version: string): Uint8Array {
  const paths: [number, Value][] = Object.values(servedResources).map((r) => {
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const path = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}/{name}` : `${base}/${r.plural}/{name}`;
    return [2, message([1, path], [2, message([8, patchOperation(r.group, r.version, r.kind)])])];
  });
  return message([1, '2.0'], [2, message([1, 'Kubernetes'], [2, version])], [8, message(...paths)]);
}
