import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from './simulator-protobuf.js';
import { QueryError } from './simulator-request.js';

const bytes = (field: number, value: Uint8Array): number[] => [(field << 3) | 2, value.length, ...value];
const str = (field: number, text: string): number[] => bytes(field, new TextEncoder().encode(text));
const envelope = (kind: string, raw: number[]): Uint8Array =>
  new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...bytes(1, new Uint8Array([...str(1, 'v1'), ...str(2, kind)])), ...bytes(2, new Uint8Array(raw))]);

describe('simulator protobuf bodies', () => {
  it('decodes a Namespace and a Service, dropping Go zero values', () => {
    const meta = bytes(1, new Uint8Array([...str(1, 'shop'), ...str(2, ''), ...bytes(11, new Uint8Array([...str(1, 'team'), ...str(2, 'a')]))]));
    expect(decodeProtobufObject(envelope('Namespace', meta))).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'a' } } });
    const port = new Uint8Array([...str(1, 'http'), 3 << 3, 80, ...bytes(4, new Uint8Array([1 << 3, 1, ...str(3, 'web')])), 5 << 3, 0]);
    const spec = bytes(2, new Uint8Array([...bytes(1, port), ...str(4, 'NodePort')]));
    expect(decodeProtobufObject(envelope('Service', [...str(1, ''), ...spec]))).toMatchObject({
      kind: 'Service',
      spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 'web' }] },
    });
  });

  it('refuses a body without the magic prefix and returns undefined for kinds it does not know', () => {
    expect(() => decodeProtobufObject(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(QueryError);
    expect(decodeProtobufObject(envelope('Pod', []))).toBeUndefined();
  });
});
