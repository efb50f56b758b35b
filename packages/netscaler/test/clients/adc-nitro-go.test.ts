/**
 * Replays the request forms of netscaler/adc-nitro-go (service/netscaler_resource.go, service/config.go) and of
 * the Terraform provider built on it (citrix/terraform-provider-citrixadc: citrixadc/resource_citrixadc_servicegroup.go,
 * citrixadc/resource_citrixadc_servicegroup_servicegroupmember_binding.go), as read from their source: the
 * body `sessionid` sent back in a `Set-Cookie:` request header, names through `QueryEscape` twice, `?idempotent=yes`
 * on non-binding adds, single-object `POST` binds, `PUT` of an unnamed binding, `DELETE ?args=` and the
 * `config//<binding>` unbind; status lines matched as whole strings.
 */
import { describe, expect, it } from 'vitest';
import { PASSWORD, USERNAME } from '../helpers.js';
import { JSON_TYPE, queryEscape, raw, simulators } from './raw-http.js';

const start = simulators();
const BASE = '/nitro/v1/config/';
const name = (n: string): string => queryEscape(queryEscape(n));

describe('adc-nitro-go and the Terraform provider', () => {
  it('log in, create and bind a servicegroup, bind members, read, disable, unbind, as the provider does', async () => {
    const sim = await start();
    // Login (config.go: login struct; the token is the body's sessionid, not the cookie).
    const login = await raw(sim, 'POST', `${BASE}login`, JSON_TYPE, JSON.stringify({ login: { username: USERNAME, password: PASSWORD } }));
    expect(login.statusLine).toBe('201 Created');
    const sessionid = String(login.body.sessionid);
    expect(sessionid).toMatch(/^##/);
    const auth = { ...JSON_TYPE, 'Set-Cookie': `NITRO_AUTH_TOKEN=${sessionid}` };

    // createResource of a non-binding type appends ?idempotent=yes.
    const sg = { servicegroup: { servicegroupname: 'sg web', servicetype: 'HTTP' } };
    expect((await raw(sim, 'POST', `${BASE}servicegroup?idempotent=yes`, auth, JSON.stringify(sg))).statusLine).toBe('201 Created');
    // An idempotent add of an existing object succeeds (the Go client accepts 200 and 201 alike).
    expect([200, 201]).toContain((await raw(sim, 'POST', `${BASE}servicegroup?idempotent=yes`, auth, JSON.stringify(sg))).status);

    // BindResource: ResourceExists on both ends (GET with the name QueryEscape'd twice), then a single POST.
    expect((await raw(sim, 'GET', `${BASE}lbvserver/${name('vs web')}`, auth)).statusLine).toBe('200 OK');
    expect((await raw(sim, 'GET', `${BASE}servicegroup/${name('sg web')}`, auth)).statusLine).toBe('200 OK');
    const vsBinding = { lbvserver_servicegroup_binding: { name: 'vs web', servicegroupname: 'sg web' } };
    expect((await raw(sim, 'POST', `${BASE}lbvserver_servicegroup_binding`, auth, JSON.stringify(vsBinding))).statusLine).toBe('201 Created');

    // createServicegroupMemberBindings: AddResource (POST, one object) by ip.
    const byIp = { servicegroup_servicegroupmember_binding: { servicegroupname: 'sg web', ip: '10.0.0.1', port: 80, weight: 10 } };
    expect((await raw(sim, 'POST', `${BASE}servicegroup_servicegroupmember_binding`, auth, JSON.stringify(byIp))).statusLine).toBe('201 Created');
    // The binding resource: UpdateUnnamedResource (PUT, one object).
    const byPut = { servicegroup_servicegroupmember_binding: { servicegroupname: 'sg web', ip: '10.0.0.2', port: 80 } };
    expect((await raw(sim, 'PUT', `${BASE}servicegroup_servicegroupmember_binding`, auth, JSON.stringify(byPut))).statusLine).toBe('200 OK');
    expect(sim.state.members('sg web')).toEqual(['10.0.0.1:80', '10.0.0.2:80']);

    // readServicegroupFunc: members, lbvserver bindings (vservername), monitors (monitor_name).
    const members = await raw(sim, 'GET', `${BASE}servicegroup_servicegroupmember_binding/${name('sg web')}`, auth);
    expect(members.body.servicegroup_servicegroupmember_binding).toMatchObject([
      { ip: '10.0.0.1', servername: '10.0.0.1', port: 80, weight: '10' },
      { ip: '10.0.0.2', servername: '10.0.0.2', port: 80 },
    ]);
    const bindings = await raw(sim, 'GET', `${BASE}servicegroupbindings/${name('sg web')}`, auth);
    expect(bindings.body.servicegroupbindings).toEqual([{ servicegroupname: 'sg web', vservername: 'vs web' }]);
    sim.state.addLbmonitor({ monitorname: 'mon-http', type: 'HTTP' });
    const monitor = { lbmonitor_servicegroup_binding: { monitorname: 'mon-http', servicegroupname: 'sg web' } };
    expect((await raw(sim, 'POST', `${BASE}lbmonitor_servicegroup_binding`, auth, JSON.stringify(monitor))).status).toBe(201);
    const monitors = await raw(sim, 'GET', `${BASE}servicegroup_lbmonitor_binding/${name('sg web')}`, auth);
    expect(monitors.body.servicegroup_lbmonitor_binding).toEqual([{ servicegroupname: 'sg web', monitor_name: 'mon-http' }]);

    // doServicegroupStateChange: ActOnResource(servicegroup, {servicegroupname, servername, port[, delay, graceful]}).
    const disable = { servicegroup: { servicegroupname: 'sg web', servername: '10.0.0.1', port: 80, delay: 30, graceful: 'YES' } };
    expect((await raw(sim, 'POST', `${BASE}servicegroup?action=disable`, auth, JSON.stringify(disable))).statusLine).toBe('200 OK');
    expect(sim.state.servicegroups.get('sg web')?.members.get('10.0.0.1|80')?.state).toBe('DISABLED');
    const enable = { servicegroup: { servicegroupname: 'sg web', servername: '10.0.0.1', port: 80 } };
    expect((await raw(sim, 'POST', `${BASE}servicegroup?action=enable`, auth, JSON.stringify(enable))).status).toBe(200);
    expect(sim.state.servicegroups.get('sg web')?.members.get('10.0.0.1|80')?.state).toBe('ENABLED');

    // deleteServicegroup_servicegroupmember_bindingFunc: DeleteResourceWithArgs, args unencoded.
    const del = await raw(sim, 'DELETE', `${BASE}servicegroup_servicegroupmember_binding/${name('sg web')}?args=servername:10.0.0.2,port:80`, auth);
    expect(del.statusLine).toBe('200 OK');
    // removeServicegroupMemberBindings (servicegroup resource): args ip:…,port:….
    expect((await raw(sim, 'DELETE', `${BASE}servicegroup_servicegroupmember_binding/${name('sg web')}?args=ip:10.0.0.1,port:80`, auth)).status).toBe(200);
    // UnbindResource: c.url ends in `config/`, then "/" + binding → `config//…`.
    // (Go puts the bound name into args unescaped; a space there reaches the appliance as `+` or `%20`.)
    const unbind = await raw(sim, 'DELETE', `${BASE}/lbvserver_servicegroup_binding/${name('vs web')}?args=servicegroupname:sg+web`, auth);
    expect(unbind.statusLine).toBe('200 OK');
    const unmonitor = await raw(sim, 'DELETE', `${BASE}/lbmonitor_servicegroup_binding/mon-http?args=servicegroupname:sg+web`, auth);
    expect(unmonitor.statusLine).toBe('200 OK');
    expect(sim.state.members('sg web')).toEqual([]);
    expect(sim.state.vserverBindings.get('vs web')?.size).toBe(0);
    expect(sim.requestLog.entries.filter((e) => e.type !== 'login').every((e) => e.credentials === 'set-cookie')).toBe(true);
  });

  it('answers errors with the status lines the Go client switches on', async () => {
    const sim = await start();
    const login = await raw(sim, 'POST', `${BASE}login`, JSON_TYPE, JSON.stringify({ login: { username: USERNAME, password: 'wrong' } }));
    expect(login).toMatchObject({ statusLine: '401 Unauthorized', body: { errorcode: 354, message: 'Invalid username or password' } });
    const none = await raw(sim, 'GET', `${BASE}lbvserver`, JSON_TYPE);
    expect(none).toMatchObject({ statusLine: '401 Unauthorized', body: { errorcode: 1026, message: 'Not logged in' } });
    const stale = await raw(sim, 'GET', `${BASE}lbvserver`, { 'Set-Cookie': 'NITRO_AUTH_TOKEN=##deadbeef' });
    expect(stale).toMatchObject({ statusLine: '401 Unauthorized', body: { errorcode: 444 } });
    // X-NITRO-USER/X-NITRO-PASS when not logged in (createHTTPRequest).
    const headers = { ...JSON_TYPE, 'X-NITRO-USER': USERNAME, 'X-NITRO-PASS': PASSWORD };
    sim.state.addServicegroup({ servicegroupname: 'sg', servicetype: 'HTTP' });
    const both = { servicegroup_servicegroupmember_binding: { servicegroupname: 'sg', ip: '10.0.0.1', servername: '10.0.0.1', port: 80 } };
    const refused = await raw(sim, 'POST', `${BASE}servicegroup_servicegroupmember_binding`, headers, JSON.stringify(both));
    expect(refused).toMatchObject({ statusLine: '599 Netscaler specific error', body: { errorcode: 1092, severity: 'ERROR' } });
    expect(String(refused.body.message)).toBe('Arguments cannot both be specified [serverName, IP]');
    const member = { servicegroup_servicegroupmember_binding: { servicegroupname: 'sg', ip: '10.0.0.1', port: 80 } };
    expect((await raw(sim, 'POST', `${BASE}servicegroup_servicegroupmember_binding`, headers, JSON.stringify(member))).status).toBe(201);
    const again = await raw(sim, 'POST', `${BASE}servicegroup_servicegroupmember_binding`, headers, JSON.stringify(member));
    expect(again).toMatchObject({ statusLine: '409 Conflict', body: { errorcode: 273 } });
    const missing = await raw(sim, 'GET', `${BASE}servicegroup/${name('no such')}`, headers);
    expect(missing).toMatchObject({ statusLine: '404 Not Found', body: { errorcode: 258 } });
  });
});
