import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@nitrox/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ServerStateFile } from './server-state-file.js';
import { resolveHaproxySinkOptions } from './sink-options.js';

// A `show servers state` reply as HAProxy 2.6.12 prints it (slots declared `nitrox-slot.invalid:1 init-addr last,0.0.0.0 disabled`).
const header =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
const line = (be: string, id: number, addr: string, op: number, admin: number, weight: number, port: number, since = 4, fqdn = 'nitrox-slot.invalid') =>
  `3 ${be} ${id} nx${id} ${addr} ${op} ${admin} ${weight} 1 ${since} 1 0 4 8 0 0 0 ${fqdn} ${port} - 0 0 - - 0`;
const reply = (...lines: string[]) => ['1', header, ...lines, ''].join('\n');

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nitrox-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('writes the backends it was given in HAProxy format, sorted by backend, through a temporary file', async () => {
  const file = new ServerStateFile(join(dir, 'server.state'));
  file.update('be_web', reply(line('be_web', 1, '10.0.0.1', 2, 4, 1, 8080), line('be_web', 2, '0.0.0.0', 0, 5, 1, 1)));
  await file.flush();
  file.update('be_api', reply(line('be_api', 1, '10.0.0.9', 2, 4, 3, 9000)));
  await file.flush();
  const text = await readFile(join(dir, 'server.state'), 'utf8');
  expect(text.split('\n')).toEqual(['1', header, line('be_api', 1, '10.0.0.9', 2, 4, 3, 9000), line('be_web', 1, '10.0.0.1', 2, 4, 1, 8080), line('be_web', 2, '0.0.0.0', 0, 5, 1, 1), '']);
  expect(await readdir(dir)).toEqual(['server.state']);
  expect(file.stats).toEqual({ writes: 2, errors: 0 });
});

it('rewrites only when what a reload restores changed, not for a clock or check column', async () => {
  const file = new ServerStateFile(join(dir, 'server.state'));
  file.update('be', reply(line('be', 1, '10.0.0.1', 2, 4, 1, 8080, 4)));
  await file.flush();
  file.update('be', reply(line('be', 1, '10.0.0.1', 2, 4, 1, 8080, 9)));
  await file.flush();
  expect(file.stats.writes).toBe(1);
  for (const changed of [line('be', 1, '10.0.0.2', 2, 4, 1, 8080), line('be', 1, '10.0.0.2', 2, 12, 1, 8080), line('be', 1, '10.0.0.2', 2, 12, 7, 8080), line('be', 1, '10.0.0.2', 2, 12, 7, 8081)]) {
    file.update('be', reply(changed));
    await file.flush();
  }
  expect(file.stats.writes).toBe(5);
  expect(await readFile(join(dir, 'server.state'), 'utf8')).toContain(line('be', 1, '10.0.0.2', 2, 12, 7, 8081));
});

it('coalesces updates that arrive while a write is in flight, and ends with the latest state', async () => {
  const file = new ServerStateFile(join(dir, 'server.state'));
  for (let port = 1; port <= 20; port++) file.update('be', reply(line('be', 1, '10.0.0.1', 2, 4, 1, port)));
  await file.flush();
  expect(file.stats.writes).toBeLessThanOrEqual(2);
  expect(await readFile(join(dir, 'server.state'), 'utf8')).toContain(line('be', 1, '10.0.0.1', 2, 4, 1, 20));
});

it('counts and logs a failed write and a reply that is not a state dump, without throwing', async () => {
  const warnings: string[] = [];
  const file = new ServerStateFile(join(dir, 'missing', 'server.state'), { info: () => {}, warn: (_f, m) => warnings.push(m) });
  file.update('be', reply(line('be', 1, '10.0.0.1', 2, 4, 1, 8080)));
  await file.flush();
  expect(file.stats).toEqual({ writes: 0, errors: 1 });
  file.update('be', "Can't find backend.\n");
  expect(file.stats).toEqual({ writes: 0, errors: 2 });
  expect(warnings).toEqual(['could not write the haproxy server-state file', 'haproxy server-state file not updated: unexpected servers state reply']);
});

it('warns once per backend about servers declared by IP, whose address a reload does not take from the file', async () => {
  const warnings: Record<string, unknown>[] = [];
  const file = new ServerStateFile(join(dir, 'server.state'), { info: () => {}, warn: (f) => warnings.push(f) });
  file.update('be', reply(line('be', 1, '10.0.0.1', 2, 4, 1, 8080, 4, '-')));
  file.update('be', reply(line('be', 1, '10.0.0.2', 2, 4, 1, 8080, 4, '-')));
  file.update('ok', reply(line('ok', 1, '10.0.0.1', 2, 4, 1, 8080)));
  await file.flush();
  expect(warnings).toEqual([{ backend: 'be', servers: ['nx1'] }]);
});

it('takes a state file in slot mode only', () => {
  const client = { socket: '/nonexistent.sock' };
  expect(() => resolveHaproxySinkOptions({ client, stateFile: join(dir, 's') })).toThrow(ConfigError);
  expect(() => resolveHaproxySinkOptions({ client, mode: 'slots', stateFile: '' })).toThrow(ConfigError);
  expect(resolveHaproxySinkOptions({ client, mode: 'slots', stateFile: join(dir, 's') }).stateFile?.path).toBe(join(dir, 's'));
});
