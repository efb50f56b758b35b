/**
 * The live dashboard over real HTTP: `/` is one self-contained page (no external URL: works offline), `/events`
 * sends a snapshot at once, then a change when the pool scales (added members counted), a held empty pool and a
 * heartbeat comment; a client that disconnects leaves no subscription behind.
 */
import { afterEach, expect, it } from 'vitest';
import { dashboardWorld } from './dashboard-world.js';
import { waitFor } from './helpers.js';

interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/** Read an SSE stream with fetch, collecting events and comment lines. */
async function openStream(url: string) {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line);
          else if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) events.push({ event, data: data.join('\n') });
        end = buffer.indexOf('\n\n');
      }
    }
  })().catch(() => undefined);
  return { res, events, comments, close: () => abort.abort(), reading };
}

let world: Awaited<ReturnType<typeof dashboardWorld>> | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

it('serves one self-contained page at /', async () => {
  world = await dashboardWorld();
  const res = await fetch(`${world.url}/`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const html = await res.text();
  expect(html).toContain('new EventSource("events")');
  expect(html).toContain('<html lang="en">');
  // No CDN, no remote font or script: nothing but relative URLs.
  expect(html).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
});

it('streams a snapshot, then the scale events, the held pool and heartbeats; a closed client leaves no listener', async () => {
  world = await dashboardWorld({ heartbeatMs: 100 });
  const w = world;
  w.runtime.start();
  await waitFor('the pool to converge', () => w.nitro.state.members('web').length === 2, 20_000);
  const stream = await openStream(`${w.url}/events`);
  expect(stream.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  await waitFor('the snapshot', () => stream.events.length > 0, 10_000);
  const first = stream.events[0];
  expect(first?.event).toBe('snapshot');
  const snapshot = JSON.parse(first?.data ?? '{}');
  expect(snapshot.mappings).toEqual([
    expect.objectContaining({ name: 'web', source: 'mesos', app: '/web', sink: 'adc', pool: 'web', desired: 2, actual: 2, before: 0, added: 2, held: false }),
  ]);
  expect(snapshot.leader).toBe(true);
  expect(snapshot.sources).toEqual([expect.objectContaining({ name: 'mesos', type: 'marathon', synced: true })]);
  expect(w.dashboard.listenerCount).toBe(1);

  w.marathon.apps.scale('/web', 5);
  const scaled = () =>
    stream.events.map((e) => (e.event === 'change' ? JSON.parse(e.data) : undefined)).find((c) => c?.change.kind === 'converged' && c.snapshot.mappings[0].desired === 5);
  await waitFor('the scale-up event', () => scaled() !== undefined, 20_000);
  expect(scaled().snapshot.mappings[0]).toEqual(expect.objectContaining({ desired: 5, actual: 5, before: 2, added: 3, removed: 0, error: null }));
  expect(scaled().change).toEqual(expect.objectContaining({ mapping: 'web', text: 'web: 2 → 5 members (+3 −0)' }));

  w.marathon.apps.scale('/web', 0);
  await waitFor('the held event', () => stream.events.some((e) => e.event === 'change' && JSON.parse(e.data).change.kind === 'held'), 20_000);
  expect(w.nitro.state.members('web').length).toBe(5);
  const held = stream.events.map((e) => JSON.parse(e.data)).find((c) => c.change?.kind === 'held');
  expect(held.snapshot.mappings[0]).toEqual(expect.objectContaining({ desired: 0, actual: 5, held: true }));
  await waitFor('a heartbeat comment', () => stream.comments.includes(': heartbeat'), 10_000);

  stream.close();
  await stream.reading;
  await waitFor('the closed client to unsubscribe', () => w.dashboard.listenerCount === 0, 10_000);
}, 60_000);

it('names the dashboard in its 404 answer', async () => {
  world = await dashboardWorld();
  const res = await fetch(`${world.url}/nope`);
  expect(res.status).toBe(404);
  expect(await res.text()).toContain('the dashboard at /');
});
