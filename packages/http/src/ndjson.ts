/**
 * NDJSON framing of a watch body: one JSON document per `\n`-terminated line, decoded as UTF-8 across chunk
 * boundaries. A line that is not JSON ends the stream with a retryable `SourceError` (the Informer re-watches
 * from its last revision, losing nothing) rather than being skipped (which could lose a change). A line that is
 * JSON of the wrong shape is passed on: the Informer skips and counts it as malformed.
 */
import { SourceError } from '@nitrox/core';

/** Parse `body` as NDJSON; `onBytes` counts raw bytes as they arrive. */
export async function* parseNdjson<E>(body: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<E> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of body) {
    onBytes(chunk.byteLength);
    rest += decoder.decode(chunk, { stream: true });
    let start = 0;
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      const line = rest.slice(start, nl);
      start = nl + 1;
      if (line.trim() !== '') {
        let event: E;
        try {
          event = JSON.parse(line) as E;
        } catch (err) {
          throw new SourceError('a watch line is not JSON (a broken stream); re-watch from the last revision', { cause: err });
        }
        yield event;
      }
      nl = rest.indexOf('\n', start);
    }
    rest = rest.slice(start);
  }
}
