/**
 * How values travel as etcd bytes. JSON by default; any codec that round-trips its own encoding will do (a
 * schema-checked JSON, MessagePack, protobuf). A value that does not decode is an input error of one key, never a
 * crash: the store counts it and skips it.
 */

/** Encodes values to the bytes stored in etcd and decodes them back. */
export interface Codec<T> {
  /** The bytes (or UTF-8 text) to store for `value`. */
  encode(value: T): Uint8Array | string;
  /** The value stored as `bytes`. @throws any error when the bytes are not a valid encoding. */
  decode(bytes: Uint8Array): T;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON text in UTF-8: what `etcdctl get` shows and any tool can read. */
export function jsonCodec<T>(): Codec<T> {
  return {
    encode: (value) => JSON.stringify(value),
    decode: (bytes) => JSON.parse(decoder.decode(bytes)) as T,
  };
}
