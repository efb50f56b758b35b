/**
 * Protobuf request bodies of the API-server simulator, for what kubectl's typed clients send: `kubectl create
 * namespace` and `kubectl create service …` POST `application/vnd.kubernetes.protobuf` (the `k8s\0` magic, then a
 * `runtime.Unknown` envelope around the object). Decoded here for Namespace and Service with the field numbers of
 * their `generated.proto` (k8s.io/api core/v1, k8s.io/apimachinery meta/v1 and intstr); fields outside that
 * schema are dropped, and so are zero values (which the Go types omit in JSON). Answers stay JSON, which these
 * clients also accept.
 */
import { QueryError } from './simulator-request.js';
import type { KubeObject } from './simulator-store.js';

type Field =
  | { readonly name: string; readonly type: 'string' | 'int' | 'bool'; readonly repeated?: boolean }
  | { readonly name: string; readonly type: 'map' }
  | { readonly name: string; readonly type: 'message'; readonly schema: Schema; readonly repeated?: boolean }
  | { readonly name: string; readonly type: 'intOrString' };
type Schema = Readonly<Record<number, Field>>;

const objectMeta: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  11: { name: 'labels', type: 'map' },
  12: { name: 'annotations', type: 'map' },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const servicePort: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'protocol', type: 'string' },
  3: { name: 'port', type: 'int' },
  4: { name: 'targetPort', type: 'intOrString' },
  5: { name: 'nodePort', type: 'int' },
  6: { name: 'appProtocol', type: 'string' },
};
const serviceSpec: Schema = {
  1: { name: 'ports', type: 'message', schema: servicePort, repeated: true },
  2: { name: 'selector', type: 'map' },
  3: { name: 'clusterIP', type: 'string' },
  4: { name: 'type', type: 'string' },
  5: { name: 'externalIPs', type: 'string', repeated: true },
  7: { name: 'sessionAffinity', type: 'string' },
  10: { name: 'externalName', type: 'string' },
  11: { name: 'externalTrafficPolicy', type: 'string' },
  13: { name: 'publishNotReadyAddresses', type: 'bool' },
  17: { name: 'ipFamilyPolicy', type: 'string' },
  18: { name: 'clusterIPs', type: 'string', repeated: true },
  22: { name: 'internalTrafficPolicy', type: 'string' },
};
const kinds: Readonly<Record<string, Schema>> = {
  Service: { 1: { name: 'metadata', type: 'message', schema: objectMeta }, 2: { name: 'spec', type: 'message', schema: serviceSpec } },
  Namespace: {
    1: { name: 'metadata', type: 'message', schema: objectMeta },
    2: { name: 'spec', type: 'message', schema: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
  },
};
const unknownEnvelope: Schema = {
  1: { name: 'typeMeta', type: 'message', schema: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
  4: { name: 'contentType', type: 'string' },
};

/** Wire fields of one message: field number, wire type and value (a number for varints, bytes otherwise). */
function* wireFields(bytes: Uint8Array): Generator<{ field: number; value: number | Uint8Array }> {
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= bytes.length) throw new QueryError('protobuf: truncated varint');
      const byte = bytes[at++] as number;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new QueryError('protobuf: varint too long');
  };
  while (at < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) yield { field, value: varint() };
    else if (wire === 2) {
      const length = varint();
      if (at + length > bytes.length) throw new QueryError('protobuf: truncated field');
      yield { field, value: bytes.subarray(at, at + length) };
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new QueryError(`protobuf: unsupported wire type ${wire}`);
  }
}

const text = (value: number | Uint8Array): string => (typeof value === 'number' ? String(value) : Buffer.from(value).toString('utf8'));

function decode(bytes: Uint8Array, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { field, value } of wireFields(bytes)) {
    const spec = schema[field];
    if (!spec) continue;
    let decoded: unknown;
    if (spec.type === 'string') decoded = text(value);
    else if (spec.type === 'int') decoded = typeof value === 'number' ? value : Number.NaN;
    else if (spec.type === 'bool') decoded = value === 1;
    else if (spec.type === 'intOrString') {
      const v = typeof value === 'number' ? {} : decode(value, { 1: { name: 'type', type: 'int' }, 2: { name: 'intVal', type: 'int' }, 3: { name: 'strVal', type: 'string' } });
      decoded = v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    } else if (spec.type === 'map') {
      const entry = typeof value === 'number' ? {} : decode(value, { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: 'string' } });
      const map = (out[spec.name] ?? {}) as Record<string, string>;
      map[String(entry.key ?? '')] = String(entry.value ?? '');
      out[spec.name] = map;
      continue;
    } else if (spec.type === 'message') decoded = typeof value === 'number' ? {} : decode(value, spec.schema);
    if ('repeated' in spec && spec.repeated) out[spec.name] = [...((out[spec.name] as unknown[] | undefined) ?? []), decoded];
    else if (decoded !== '' && decoded !== 0 && decoded !== false) out[spec.name] = decoded; // Go zero values: omitted in JSON
  }
  return out;
}

const magic = [0x6b, 0x38, 0x73, 0x00];

/**
 * Decode a protobuf request body into the JSON form of the object.
 *
 * @throws {@link QueryError} when the body is not a Kubernetes protobuf envelope.
 * @returns `undefined` when the kind is not one this decoder knows (the caller answers 415).
 */
export function decodeProtobufObject(body: Uint8Array): KubeObject | undefined {
  if (body.length < 4 || magic.some((b, i) => body[i] !== b)) throw new QueryError('the body does not start with the Kubernetes protobuf prefix');
  const envelope = decode(body.subarray(4), unknownEnvelope) as { typeMeta?: { apiVersion?: string; kind?: string } };
  let raw: Uint8Array | undefined;
  for (const { field, value } of wireFields(body.subarray(4))) if (field === 2 && typeof value !== 'number') raw = value;
  const kind = envelope.typeMeta?.kind ?? '';
  const schema = kinds[kind];
  if (!schema || !raw) return undefined;
  const object = decode(raw, schema) as KubeObject;
  if (!object.metadata) object.metadata = { name: '' };
  return { apiVersion: envelope.typeMeta?.apiVersion ?? 'v1', kind, ...object };
}
