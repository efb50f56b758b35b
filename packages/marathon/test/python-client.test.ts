/**
 * The real Python client of Marathon (Debian python3-marathon, installed by scripts/setup.mjs) drives the
 * simulator through a standby master: REST calls are proxied, the event stream is redirected to the leader.
 * The script (test/python/marathon_client_check.py) checks every call; this test runs it and checks what the
 * simulator saw.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type MarathonSimulator, startMarathonSimulator, waitFor } from '../src/testing/index.js';

const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('./python/marathon_client_check.py', import.meta.url));

let sim: MarathonSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('python3-marathon against the simulator', () => {
  it('has the client installed (scripts/setup.mjs installs python3-marathon)', () => {
    expect(existsSync(python), `${python} missing: run node scripts/setup.mjs as root`).toBe(true);
    expect(existsSync('/usr/lib/python3/dist-packages/marathon/client.py'), 'python3-marathon missing: run node scripts/setup.mjs as root').toBe(true);
  });

  it('works for every call, through a standby master, parsing every event into its class', { timeout: 90_000 }, async () => {
    sim = await startMarathonSimulator({ heartbeatMs: 1_000, timing: { startMs: 20, healthMs: 40, killGraceMs: 30 } });
    const s = sim;
    const standby = await s.startStandby();
    const result = run([script, standby.url]);
    // Make the app /py/sick fail its checks once it runs, so that failed_health_check_event flows too.
    await waitFor(() => s.apps.ids().includes('/py/sick') && s.apps.taskIds('/py/sick').length === 1, { timeoutMs: 30_000 });
    s.apps.setHealth(s.apps.taskIds('/py/sick')[0] as string, false);
    const { code, stdout, stderr } = await result;
    expect(stderr.includes('Traceback') ? stderr : '').toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      ok: boolean;
      counts: number[];
      listed: string[];
      eventClasses: string[];
      deployments: unknown[];
    };
    expect(summary.ok).toBe(true);
    expect(summary.counts).toEqual([2, 2, 0, 0]);
    expect(summary.listed).toEqual(['/py/api', '/py/sick', '/py/web']);
    expect(summary.deployments.length).toBeGreaterThanOrEqual(1);
    expect(summary.eventClasses).toEqual(
      expect.arrayContaining(['MarathonDeploymentInfo', 'MarathonFailedHealthCheckEvent', 'MarathonAppTerminatedEvent', 'MarathonGroupChangeSuccess']),
    );
    expect(standby.requests.redirects).toBe(1);
    expect(standby.requests.proxied).toBeGreaterThan(20);
    expect(s.apps.ids().sort()).toEqual(['/py/sick', '/py/web']);
  });
});
