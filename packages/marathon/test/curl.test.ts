/**
 * curl (Debian curl, installed by scripts/setup.mjs) against the simulator: the calls an operator types, and the
 * event stream followed through a standby master with `-L` (curl keeps the method and headers on a 302 to the
 * same scheme).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type MarathonSimulator, startMarathonSimulator, waitFor } from '../src/testing/index.js';

const curlPath = '/usr/bin/curl';

let sim: MarathonSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function curl(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(curlPath, ['-sS', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('curl against the simulator', () => {
  it('is installed (scripts/setup.mjs installs curl)', () => {
    expect(existsSync(curlPath), `${curlPath} missing: run node scripts/setup.mjs as root`).toBe(true);
  });

  it('scales with PUT, lists with a label selector, and follows the event stream through a standby', async () => {
    sim = await startMarathonSimulator({ heartbeatMs: 0, apps: [{ id: '/web', instances: 1, labels: { tier: 'front' } }] });
    const put = await curl(['-X', 'PUT', '-H', 'Content-Type: application/json', '-d', '{"instances":3}', `${sim.url}/v2/apps/web`]);
    expect(JSON.parse(put.stdout)).toMatchObject({ deploymentId: expect.any(String), version: expect.any(String) });
    const listed = await curl(['-G', '--data-urlencode', 'label=tier==front', '--data-urlencode', 'embed=apps.counts', `${sim.url}/v2/apps`]);
    expect(JSON.parse(listed.stdout).apps).toMatchObject([{ id: '/web', instances: 3, tasksRunning: 3 }]);

    const standby = await sim.startStandby();
    const s = sim;
    const stream = curl(['-N', '-L', '--max-time', '2', '-H', 'Accept: text/event-stream', `${standby.url}/v2/events?event_type=event_stream_attached&event_type=app_terminated_event`]);
    await waitFor(() => s.events.open === 1, { what: 'curl on the leader stream' });
    s.apps.destroy('/web');
    const { code, stdout } = await stream;
    expect(code).toBe(28); // --max-time ended the endless stream
    expect(stdout).toMatch(/^event: event_stream_attached\r\ndata: \{.*\}\r\n\r\n/);
    expect(stdout).toContain('event: app_terminated_event\r\ndata: {"eventType":"app_terminated_event"');
    expect(standby.requests.redirects).toBe(1);
  });
});
