import { describe, expect, it } from 'vitest';
import { parseNdjson } from './ndjson.js';

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts;
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const e of parseNdjson(body, () => {})) out.push(e);
  return out;
}

describe('parseNdjson', () => {
  it('frames lines across chunks, multi-byte characters split between chunks included', async () => {
    const bytes = new TextEncoder().encode('{"a":"é"}\n\n{"b":2}\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of é
    expect(await collect(chunks(bytes.slice(0, cut), bytes.slice(cut)))).toEqual([{ a: 'é' }, { b: 2 }]);
  });

  it('ends the stream with a retryable SourceError on a line that is not JSON', async () => {
    const error = await collect(chunks(new TextEncoder().encode('{"a":1}\nnot json\n'))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NITROX_SOURCE', retryable: true });
  });
});
