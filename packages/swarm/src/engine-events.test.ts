import type { MalformedEventError } from '@nitrox/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEngineEvent, readEngineEvents } from './engine-events.js';
import type { EngineEvent } from './engine-types.js';

const event = (id: string): string =>
  JSON.stringify({ Type: 'service', Action: 'update', Actor: { ID: id, Attributes: { name: 'web', 'replicas.new': '4' } }, scope: 'swarm', timeNano: 1 });

async function collect(chunks: readonly string[]): Promise<{ events: EngineEvent[]; malformed: MalformedEventError[] }> {
  const malformed: MalformedEventError[] = [];
  const events: EngineEvent[] = [];
  async function* body() {
    yield* chunks.map((c) => Buffer.from(c));
  }
  for await (const e of readEngineEvents(body(), (err) => malformed.push(err))) events.push(e);
  return { events, malformed };
}

describe('readEngineEvents', () => {
  it('yields events split across arbitrary chunk boundaries', async () => {
    const text = `${event('a')}\n${event('b')}\n\n${event('c')}`;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 6 }), async (cuts) => {
        const points = [0, ...[...cuts].sort((x, y) => x - y), text.length];
        const chunks = points.slice(1).map((end, i) => text.slice(points[i], end));
        const { events, malformed } = await collect(chunks);
        expect(events.map((e) => e.Actor.ID)).toEqual(['a', 'b', 'c']);
        expect(malformed).toEqual([]);
      }),
    );
  });

  it('reports malformed lines and keeps reading', async () => {
    const { events, malformed } = await collect([`not json\n${event('a')}\n[1,2]\n{"Type":"node"}\n`, `${event('b')}\n`]);
    expect(events.map((e) => e.Actor.ID)).toEqual(['a', 'b']);
    expect(malformed).toHaveLength(3);
    expect(malformed.every((m) => m.code === 'NITROX_MALFORMED_EVENT')).toBe(true);
  });

  it('keeps only string attributes and a numeric timeNano', () => {
    const parsed = parseEngineEvent('{"Type":"container","Action":"start","Actor":{"ID":"x","Attributes":{"a":"1","b":2}},"timeNano":"no"}');
    expect(parsed).toEqual({ Type: 'container', Action: 'start', Actor: { ID: 'x', Attributes: { a: '1' } } });
  });

  it('drops a runaway line without a newline', async () => {
    const huge = 'x'.repeat(1024 * 1024 + 10);
    const { events, malformed } = await collect([huge, `\n${event('a')}\n`]);
    expect(events.map((e) => e.Actor.ID)).toEqual(['a']);
    expect(malformed.length).toBeGreaterThanOrEqual(1);
  });
});
