import { afterEach, describe, expect, it } from 'vitest';
import { type MarathonSimulator, startMarathonSimulator, waitFor } from '../src/testing/index.js';

let sim: MarathonSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** Read an SSE response until `until` holds for the text so far. */
async function readStream(res: Response, until: (text: string) => boolean): Promise<string> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

describe('Marathon simulator', () => {
  it('answers 405 on /v2/events without Accept: text/event-stream', async () => {
    sim = await startMarathonSimulator();
    const res = await fetch(`${sim.url}/v2/events`);
    expect(res.status).toBe(405);
    expect(sim.requests.events).toBe(1);
  });

  it('streams with Marathon framing: attached first, CRLF lines, filters by event_type', async () => {
    sim = await startMarathonSimulator({ heartbeatMs: 0 });
    const res = await fetch(`${sim.url}/v2/events?event_type=event_stream_attached&event_type=app_terminated_event`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream;charset=UTF-8');
    const s = sim;
    await waitFor(() => s.events.open === 1);
    s.apps.create({ id: '/web', instances: 1 });
    s.apps.destroy('/web');
    const text = await readStream(res, (t) => t.includes('app_terminated_event"'));
    const frames = text.split('\r\n\r\n').filter((f) => f !== '');
    expect(frames[0]).toMatch(/^event: event_stream_attached\r\ndata: \{"remoteAddress":"[^"]+","eventType":"event_stream_attached","timestamp":"[^"]+"\}$/);
    expect(frames.slice(1).every((f) => f.startsWith('event: app_terminated_event\r\ndata: '))).toBe(true);
    expect(text).not.toContain('status_update_event');
  });

  it('sends bare CRLF heartbeats', async () => {
    sim = await startMarathonSimulator({ heartbeatMs: 20 });
    const res = await fetch(`${sim.url}/v2/events`, { headers: { accept: 'text/event-stream' } });
    const text = await readStream(res, (t) => t.endsWith('\r\n\r\n\r\n\r\n'));
    expect(text.startsWith('event: event_stream_attached')).toBe(true);
  });

  it('emits the events Marathon emits for scale and kill', async () => {
    const seen: string[] = [];
    sim = await startMarathonSimulator({ heartbeatMs: 0, apps: [{ id: '/web', instances: 1 }] });
    const res = await fetch(`${sim.url}/v2/events`, { headers: { accept: 'text/event-stream' } });
    const s = sim;
    await waitFor(() => s.events.open === 1);
    s.apps.scale('/web', 2);
    const [first] = s.apps.taskIds('/web');
    s.apps.killTask(first as string, { scale: true });
    const text = await readStream(res, (t) => (t.match(/deployment_success/g) ?? []).length >= 2 && t.includes('TASK_KILLED'));
    for (const frame of text.split('\r\n\r\n')) {
      const data = /data: (.*)$/m.exec(frame)?.[1];
      if (data === undefined) continue;
      const e = JSON.parse(data) as { eventType: string; taskStatus?: string; condition?: string };
      seen.push(e.taskStatus ?? e.condition ?? e.eventType);
    }
    expect(seen.slice(0, 4)).toEqual(['event_stream_attached', 'api_post_event', 'group_change_success', 'deployment_info']);
    expect(seen).toEqual(expect.arrayContaining(['TASK_STAGING', 'Staging', 'TASK_RUNNING', 'Running', 'TASK_KILLING', 'TASK_KILLED', 'Killed']));
    expect(s.apps.taskIds('/web')).toHaveLength(1);
  });

  it('serves apps with embedded tasks, one app, and 404 for unknown apps', async () => {
    sim = await startMarathonSimulator({ apps: [{ id: '/prod/api', instances: 2, healthChecks: true }] });
    const all = (await (await fetch(`${sim.url}/v2/apps?embed=apps.tasks`)).json()) as { apps: { id: string; tasks: unknown[] }[] };
    expect(all.apps.map((a) => [a.id, a.tasks.length])).toEqual([['/prod/api', 2]]);
    const tasks = (await (await fetch(`${sim.url}/v2/apps/prod/api/tasks`)).json()) as {
      tasks: { state: string; healthCheckResults: { alive: boolean }[] }[];
    };
    expect(tasks.tasks.every((t) => t.state === 'TASK_RUNNING' && t.healthCheckResults[0]?.alive === true)).toBe(true);
    const missing = await fetch(`${sim.url}/v2/apps/nope/tasks`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: "App '/nope' does not exist" });
    expect(sim.requests).toMatchObject({ apps: 1, appTasks: 2 });
  });

  it('scales and kills over REST', async () => {
    sim = await startMarathonSimulator({ apps: [{ id: '/web', instances: 1 }] });
    await fetch(`${sim.url}/v2/apps/web`, { method: 'PUT', body: JSON.stringify({ instances: 3 }) });
    expect(sim.apps.taskIds('/web')).toHaveLength(3);
    const [t] = sim.apps.taskIds('/web');
    await fetch(`${sim.url}/v2/apps/web/tasks/${t}?scale=true`, { method: 'DELETE' });
    expect(sim.apps.taskIds('/web')).toHaveLength(2);
  });

  it('requires the configured credentials', async () => {
    sim = await startMarathonSimulator({ auth: { token: 'secret-token' } });
    expect((await fetch(`${sim.url}/v2/apps`)).status).toBe(401);
    expect((await fetch(`${sim.url}/v2/apps`, { headers: { authorization: 'token=secret-token' } })).status).toBe(200);
  });
});
