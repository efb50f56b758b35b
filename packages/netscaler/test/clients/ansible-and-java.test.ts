/**
 * Replays the request forms of the NetScaler Ansible collection (netscaler/ansible-collection-netscaleradc:
 * plugins/module_utils/client.py, plugins/module_utils/common.py) — the body `sessionid` as
 * `Cookie: NITRO_AUTH_TOKEN=`, names through `quote` twice (`%2520`), binding members added by `PUT`
 * (`bind_resource`) or `POST` (`create_resource`), binding reads by `filter=`, non-binding reads by `args=`,
 * unbind by `ip` or `servername` (never both), enable/disable actions, logout — and of the NITRO Java SDK
 * (netscaler/nitro: src/main/java/com/citrix/netscaler/nitro/resource/base/base_resource.java, Json.java):
 * a form body `object=<JSON>` posted to `/config/` with `params` and the `sessionid` inside, and reads with
 * `Cookie: sessionid=<url-encoded sessionid>`.
 */
import { describe, expect, it } from 'vitest';
import { PASSWORD, USERNAME } from '../helpers.js';
import { JSON_TYPE, raw, simulators } from './raw-http.js';

const start = simulators();
const BASE = '/nitro/v1/config/';
const TYPE = 'servicegroup_servicegroupmember_binding';
const quoteTwice = (n: string): string => encodeURIComponent(encodeURIComponent(n));

describe('NetScaler Ansible collection', () => {
  it('logs in, binds by PUT and POST, reads by filter and args, unbinds, disables, logs out', async () => {
    const sim = await start();
    const login = await raw(sim, 'POST', `${BASE}login`, JSON_TYPE, JSON.stringify({ login: { username: USERNAME, password: PASSWORD } }));
    const auth = { ...JSON_TYPE, Cookie: `NITRO_AUTH_TOKEN=${String(login.body.sessionid)}` };
    sim.state.addServicegroup({ servicegroupname: 'sg web', servicetype: 'HTTP' });

    // servicegroup module, binding members: bind_resource → update_resource → PUT {type: {...}}.
    const put = { [TYPE]: { servicegroupname: 'sg web', ip: '10.0.0.1', port: 80, weight: 20 } };
    expect((await raw(sim, 'PUT', `${BASE}${TYPE}`, auth, JSON.stringify(put))).statusLine).toBe('200 OK');
    // servicegroup_servicegroupmember_binding module: create_resource → POST {type: {...}}.
    sim.state.addServer({ name: 'backup', ipaddress: '10.0.0.9' });
    const post = { [TYPE]: { servicegroupname: 'sg web', servername: 'backup', port: 80 } };
    expect((await raw(sim, 'POST', `${BASE}${TYPE}`, auth, JSON.stringify(post))).statusLine).toBe('201 Created');

    // get_resource of a binding: filter=; of a non-binding type: args=.
    const byFilter = await raw(sim, 'GET', `${BASE}${TYPE}/${quoteTwice('sg web')}?filter=ip:10.0.0.1,port:80`, auth);
    expect(byFilter.body[TYPE]).toMatchObject([{ ip: '10.0.0.1', port: 80, weight: '20' }]);
    const byArgs = await raw(sim, 'GET', `${BASE}server?args=ipaddress:10.0.0.9`, auth);
    expect(byArgs.body.server).toEqual([{ name: 'backup', ipaddress: '10.0.0.9' }]);

    // disable_resource / enable_resource: POST ?action=disable|enable.
    const group = { servicegroup: { servicegroupname: 'sg web' } };
    expect((await raw(sim, 'POST', `${BASE}servicegroup?action=disable`, auth, JSON.stringify(group))).status).toBe(200);
    expect(sim.state.servicegroups.get('sg web')?.state).toBe('DISABLED');
    expect((await raw(sim, 'POST', `${BASE}servicegroup?action=enable`, auth, JSON.stringify(group))).status).toBe(200);

    // delete_resource: args from delete_arg_keys, `ip` dropped when `servername` is given (1092 otherwise).
    const both = await raw(sim, 'DELETE', `${BASE}${TYPE}/${quoteTwice('sg web')}?args=ip:10.0.0.9,servername:backup,port:80`, auth);
    expect(both).toMatchObject({ statusLine: '599 Netscaler specific error', body: { errorcode: 1092 } });
    expect((await raw(sim, 'DELETE', `${BASE}${TYPE}/${quoteTwice('sg web')}?args=servername:backup,port:80`, auth)).status).toBe(200);
    expect((await raw(sim, 'DELETE', `${BASE}${TYPE}/${quoteTwice('sg web')}?args=ip:10.0.0.1,port:80`, auth)).status).toBe(200);
    expect(sim.state.members('sg web')).toEqual([]);

    expect((await raw(sim, 'POST', `${BASE}logout`, auth, JSON.stringify({ logout: {} }))).status).toBe(201);
    expect((await raw(sim, 'GET', `${BASE}lbvserver`, auth)).body).toMatchObject({ errorcode: 444 });
    expect(sim.requestLog.entries.filter((e) => e.auth === 'session').every((e) => e.credentials === 'cookie')).toBe(true);
  });
});

describe('NITRO Java SDK', () => {
  it('posts object=<JSON> with params and sessionid in the body, and reads with Cookie: sessionid=', async () => {
    const sim = await start();
    const login = await raw(sim, 'POST', `${BASE}login`, JSON_TYPE, JSON.stringify({ login: { username: USERNAME, password: PASSWORD } }));
    const sessionid = String(login.body.sessionid);
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const add = { params: { warning: 'YES', onerror: 'continue' }, sessionid, servicegroup: { servicegroupname: 'sg', servicetype: 'HTTP' } };
    const created = await raw(sim, 'POST', BASE, form, `object=${encodeURIComponent(JSON.stringify(add))}`);
    expect(created.status).toBe(201);
    const bind = {
      params: { onerror: 'continue' },
      sessionid,
      [TYPE]: [
        { servicegroupname: 'sg', ip: '10.0.0.1', port: 80 },
        { servicegroupname: 'sg', ip: '10.0.0.2', port: 80 },
      ],
    };
    expect((await raw(sim, 'PUT', BASE, form, `object=${encodeURIComponent(JSON.stringify(bind))}`)).status).toBe(200);
    const unbind = { params: { action: 'unbind' }, sessionid, [TYPE]: [{ servicegroupname: 'sg', ip: '10.0.0.2', port: 80 }] };
    expect((await raw(sim, 'POST', BASE, form, `object=${encodeURIComponent(JSON.stringify(unbind))}`)).status).toBe(200);
    const read = await raw(sim, 'GET', `${BASE}${TYPE}/sg`, { Cookie: `sessionid=${encodeURIComponent(sessionid)}` });
    expect(read.body[TYPE]).toMatchObject([{ ip: '10.0.0.1', port: 80 }]);
    expect(sim.requestLog.entries.map((e) => e.credentials)).toEqual([undefined, 'body', 'body', 'body', 'sessionid-cookie']);
  });
});
