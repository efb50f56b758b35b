import { describe, expect, it } from 'vitest';
import { jsonCodec } from './codec.js';

describe('jsonCodec', () => {
  it('round-trips values as UTF-8 JSON and throws on bytes that are not', () => {
    const codec = jsonCodec<{ name: string; n: number }>();
    const text = codec.encode({ name: 'wéb', n: 1 });
    expect(codec.decode(Buffer.from(text))).toEqual({ name: 'wéb', n: 1 });
    expect(() => codec.decode(Buffer.from('{not json'))).toThrow();
    expect(() => codec.decode(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow();
  });
});
