import { VirtualClock } from '@nitrox/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type NitroSimulator, startNitroSimulator } from '../src/testing/index.js';
import { PASSWORD, USERNAME } from './helpers.js';

const sims: NitroSimulator[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close();
});

async function start(options: { clock?: VirtualClock; maxSessions?: number } = {}): Promise<NitroSimulator> {
  const sim = await startNitroSimulator({ username: USERNAME, password: PASSWORD, ...options });
  sims.push(sim);
  return sim;
}

/** Raw NITRO call with fetch, so the simulator is checked independently of NitroClient. */
async function call(
  sim: NitroSimulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; cookie: string | null }> {
  const res = await fetch(`${sim.url}/nitro/v1/config/${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, cookie: res.headers.get('set-cookie') };
}

async function login(sim: NitroSimulator, timeout?: number): Promise<Record<string, string>> {
  const res = await call(sim, 'POST', 'login', { login: { username: USERNAME, password: PASSWORD, ...(timeout ? { timeout } : {}) } });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ errorcode: 0, message: 'Done', severity: 'NONE' });
  const token = /NITRO_AUTH_TOKEN=([^;]+)/.exec(res.cookie ?? '')?.[1];
  return { cookie: `NITRO_AUTH_TOKEN=${token}` };
}

describe('NITRO simulator', () => {
  it('authenticates by session cookie or by headers, and refuses everything else', async () => {
    const sim = await start();
    expect((await call(sim, 'GET', 'lbvserver')).status).toBe(401);
    expect((await call(sim, 'POST', 'login', { login: { username: USERNAME, password: 'x' } })).body).toMatchObject({ errorcode: 354 });
    const auth = await login(sim);
    expect(await call(sim, 'GET', 'lbvserver', undefined, auth)).toMatchObject({ status: 200, body: { errorcode: 0 } });
    expect((await call(sim, 'GET', 'lbvserver', undefined, { 'x-nitro-user': USERNAME, 'x-nitro-pass': PASSWORD })).status).toBe(200);
    expect((await call(sim, 'POST', 'logout', { logout: {} }, auth)).status).toBe(201);
    expect(await call(sim, 'GET', 'lbvserver', undefined, auth)).toMatchObject({ status: 401, body: { errorcode: 444 } });
    expect(JSON.stringify(sim.requestLog.entries)).not.toContain(PASSWORD);
  });

  it('expires idle sessions on its clock and limits sessions (445)', async () => {
    const clock = new VirtualClock();
    const sim = await start({ clock, maxSessions: 1 });
    const auth = await login(sim, 30);
    expect((await call(sim, 'POST', 'login', { login: { username: USERNAME, password: PASSWORD } })).body).toMatchObject({ errorcode: 445 });
    await clock.advance(31_000);
    expect((await call(sim, 'GET', 'lbvserver', undefined, auth)).body).toMatchObject({ errorcode: 444 });
    expect(sim.activeSessions).toBe(0);
  });

  it('answers the documented codes: 201/200, 273/409, 258/404, 278/400', async () => {
    const sim = await start();
    const auth = await login(sim);
    const sg = { servicegroup: { servicegroupname: 'sg a', servicetype: 'HTTP' } };
    expect((await call(sim, 'POST', 'servicegroup', sg, auth)).status).toBe(201);
    expect(await call(sim, 'POST', 'servicegroup', sg, auth)).toMatchObject({ status: 409, body: { errorcode: 273 } });
    expect(await call(sim, 'GET', 'servicegroup/nope', undefined, auth)).toMatchObject({ status: 404, body: { errorcode: 258 } });
    const bad = { servicegroup_servicegroupmember_binding: { servicegroupname: 'sg a', ip: '10.0.0.1', port: 0 } };
    expect(await call(sim, 'POST', 'servicegroup_servicegroupmember_binding', bad, auth)).toMatchObject({ status: 400, body: { errorcode: 278 } });
    // Names arrive encoded twice.
    const member = { servicegroup_servicegroupmember_binding: { servicegroupname: 'sg a', ip: '10.0.0.1', port: 80 } };
    expect((await call(sim, 'POST', 'servicegroup_servicegroupmember_binding', member, auth)).status).toBe(201);
    const read = await call(sim, 'GET', 'servicegroup_servicegroupmember_binding/sg%2520a', undefined, auth);
    expect(read.body.servicegroup_servicegroupmember_binding).toEqual([
      { servicegroupname: 'sg a', ip: '10.0.0.1', port: 80, weight: '1', servername: '10.0.0.1', state: 'ENABLED' },
    ]);
    expect(sim.state.servers.get('10.0.0.1')).toEqual({ name: '10.0.0.1', ipaddress: '10.0.0.1' });
    const del = await call(sim, 'DELETE', 'servicegroup_servicegroupmember_binding/sg%2520a?args=ip:10.0.0.1,port:80', undefined, auth);
    expect(del.status).toBe(200);
    expect((await call(sim, 'GET', 'servicegroup_servicegroupmember_binding/sg%2520a', undefined, auth)).body).toEqual({
      errorcode: 0,
      message: 'Done',
      severity: 'NONE',
    });
  });

  it('bulk: exit (the default) stops at the first failure, continue tries every record; both answer 207/1243', async () => {
    const sim = await start();
    const auth = await login(sim);
    await call(sim, 'POST', 'servicegroup', { servicegroup: { servicegroupname: 'sg', servicetype: 'TCP' } }, auth);
    const records = (ports: number[]) => ({
      servicegroup_servicegroupmember_binding: ports.map((port) => ({ servicegroupname: 'sg', ip: '10.0.0.1', port })),
    });
    const exit = await call(sim, 'POST', 'servicegroup_servicegroupmember_binding', records([1, 0, 3]), auth);
    expect(exit).toMatchObject({ status: 207, body: { errorcode: 1243, message: 'Bulk operation failed' } });
    expect((exit.body.response as unknown[]).length).toBe(2);
    expect(sim.state.members('sg')).toEqual(['10.0.0.1:1']);
    const cont = await call(sim, 'POST', 'servicegroup_servicegroupmember_binding', records([4, 0, 5]), {
      ...auth,
      'x-nitro-onerror': 'continue',
    });
    expect((cont.body.response as Array<{ errorcode: number }>).map((r) => r.errorcode)).toEqual([0, 278, 0]);
    expect(sim.state.members('sg')).toEqual(['10.0.0.1:1', '10.0.0.1:4', '10.0.0.1:5']);
  });

  it('unbinds by POST ?action=unbind (one record or many) and keeps graceful-unbind settings of a servicegroup', async () => {
    const sim = await start();
    const auth = await login(sim);
    const sg = { servicegroupname: 'sg', servicetype: 'HTTP', autodisablegraceful: 'YES', autodisabledelay: 30 };
    expect((await call(sim, 'POST', 'servicegroup', { servicegroup: sg }, auth)).status).toBe(201);
    const member = (ip: string) => ({ servicegroupname: 'sg', ip, port: 80 });
    await call(sim, 'POST', 'servicegroup_servicegroupmember_binding', { servicegroup_servicegroupmember_binding: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map(member) }, auth);
    const one = await call(sim, 'POST', 'servicegroup_servicegroupmember_binding?action=unbind', { servicegroup_servicegroupmember_binding: member('10.0.0.1') }, auth);
    expect(one).toMatchObject({ status: 200, body: { errorcode: 0 } });
    const many = await call(
      sim,
      'POST',
      'servicegroup_servicegroupmember_binding?action=unbind',
      { servicegroup_servicegroupmember_binding: [{ servicegroupname: 'sg', servername: '10.0.0.2', port: 80 }, member('10.0.0.3')] },
      auth,
    );
    expect(many).toMatchObject({ status: 200, body: { errorcode: 0 } });
    expect(sim.state.members('sg')).toEqual([]);
    expect((await call(sim, 'POST', 'servicegroup_servicegroupmember_binding?action=unbind', { servicegroup_servicegroupmember_binding: member('10.0.0.1') }, auth)).status).toBe(404);
    expect((await call(sim, 'POST', 'servicegroup?action=unbind', { servicegroup: { servicegroupname: 'sg' } }, auth)).status).toBe(400);
    const read = await call(sim, 'GET', 'servicegroup/sg?attrs=autodisablegraceful,autodisabledelay', undefined, auth);
    expect(read.body.servicegroup).toEqual([{ autodisablegraceful: 'YES', autodisabledelay: 30 }]);
  });

  it('injects faults: 5xx, 446, session kill and item failures', async () => {
    const sim = await start();
    const auth = await login(sim);
    sim.faults.serverError(1, 502);
    expect((await call(sim, 'GET', 'lbvserver', undefined, auth)).status).toBe(502);
    sim.faults.connectionLimit(1);
    expect(await call(sim, 'GET', 'lbvserver', undefined, auth)).toMatchObject({ status: 599, body: { errorcode: 446 } });
    sim.faults.killSessions();
    expect((await call(sim, 'GET', 'lbvserver', undefined, auth)).body).toMatchObject({ errorcode: 444 });
    const auth2 = await login(sim);
    sim.faults.failItems({ match: (r) => r.name === 'vs1', errorcode: 278, times: 1 });
    expect((await call(sim, 'POST', 'lbvserver', { lbvserver: { name: 'vs1', servicetype: 'HTTP' } }, auth2)).status).toBe(400);
    expect((await call(sim, 'POST', 'lbvserver', { lbvserver: { name: 'vs1', servicetype: 'HTTP' } }, auth2)).status).toBe(201);
    expect(sim.requestLog.count({ type: 'lbvserver', status: 400 })).toBe(1);
  });

  it('filters, projects, counts and reads bindings of an lbvserver', async () => {
    const sim = await start();
    const auth = await login(sim);
    sim.state.addLbvserver({ name: 'vs', servicetype: 'HTTP' });
    sim.state.addServicegroup({ servicegroupname: 'a', servicetype: 'HTTP' });
    sim.state.addServicegroup({ servicegroupname: 'b', servicetype: 'HTTP' });
    sim.state.bindServicegroup({ name: 'vs', servicegroupname: 'a' });
    const bound = await call(sim, 'GET', 'lbvserver_servicegroup_binding/vs?filter=servicegroupname:a', undefined, auth);
    expect(bound.body.lbvserver_servicegroup_binding).toEqual([{ name: 'vs', servicegroupname: 'a' }]);
    const none = await call(sim, 'GET', 'lbvserver_servicegroup_binding/vs?filter=servicegroupname:b', undefined, auth);
    expect(none.body.lbvserver_servicegroup_binding).toBeUndefined();
    const count = await call(sim, 'GET', 'servicegroup?count=yes', undefined, auth);
    expect(count.body.servicegroup).toEqual([{ __count: 2 }]);
    const attrs = await call(sim, 'GET', 'servicegroup?attrs=servicegroupname', undefined, auth);
    expect(attrs.body.servicegroup).toEqual([{ servicegroupname: 'a' }, { servicegroupname: 'b' }]);
    expect((await call(sim, 'DELETE', 'lbvserver_servicegroup_binding/vs?args=servicegroupname:a', undefined, auth)).status).toBe(200);
    expect(sim.state.vserverBindings.get('vs')?.size).toBe(0);
  });
});
