/**
 * Replays the request forms of Citrix's NITRO Python SDK (`nssrc`, read from the atopuzov/nitro-python copy:
 * nssrc/com/citrix/netscaler/nitro/resource/base/base_resource.py, resource/base/Json.py, util/nitro_util.py,
 * resource/config/basic/servicegroup_servicegroupmember_binding.py): the login cookie un-quoted and sent back in a
 * `Set-Cookie:` request header; binding adds by `PUT` (one object) and bulk `PUT` of an array with
 * `?onerror=continue`; names through `quote_plus` twice; deletes with every set field in `args` (values
 * `quote_plus`-encoded); bulk delete of a binding as `POST ?action=unbind`.
 */
import { describe, expect, it } from 'vitest';
import { PASSWORD, USERNAME } from '../helpers.js';
import { queryEscape, raw, simulators } from './raw-http.js';

const start = simulators();
const BASE = '/nitro/v1/config/';
const TYPE = 'servicegroup_servicegroupmember_binding';
const contentType = (type: string, list = false) => ({ 'Content-type': `application/vnd.com.citrix.netscaler.${type}${list ? '_list' : ''}+json` });

async function pythonLogin(sim: Awaited<ReturnType<typeof start>>): Promise<Record<string, string>> {
  const res = await raw(sim, 'POST', `${BASE}login`, contentType('login'), JSON.stringify({ login: { username: USERNAME, password: PASSWORD, timeout: 900 } }));
  expect(res.status).toBe(201);
  // _post: sessionid = unquote(response.cookies['NITRO_AUTH_TOKEN']).
  const cookie = /NITRO_AUTH_TOKEN=([^;]+)/.exec(res.headers['set-cookie'] ?? '')?.[1] ?? '';
  expect(cookie).toMatch(/^%23%23/);
  const sessionid = decodeURIComponent(cookie);
  expect(sessionid).toBe(res.body.sessionid);
  return { 'Set-Cookie': `NITRO_AUTH_TOKEN=${sessionid}` };
}

describe('NITRO Python SDK', () => {
  it('adds bindings by PUT (single and bulk with ?onerror=continue → 207), reads, deletes and bulk-unbinds', async () => {
    const sim = await start();
    const auth = await pythonLogin(sim);
    sim.state.addServicegroup({ servicegroupname: 'sg web', servicetype: 'HTTP' });

    // add(client, resource): update_resource → _put, one object.
    const one = { [TYPE]: { servicegroupname: 'sg web', ip: '10.0.0.1', port: 80, weight: 5 } };
    const single = await raw(sim, 'PUT', `${BASE}${TYPE}?onerror=continue`, { ...auth, ...contentType(TYPE) }, JSON.stringify(one));
    expect(single.statusLine).toBe('200 OK');

    // add(client, [resources]): update_bulk_request → _put with bulk; one item fails (weight 0).
    const many = {
      [TYPE]: [
        { servicegroupname: 'sg web', ip: '10.0.0.2', port: 80 },
        { servicegroupname: 'sg web', ip: '10.0.0.3', port: 80, weight: 0 },
        { servicegroupname: 'sg web', ip: '10.0.0.4', port: 80 },
      ],
    };
    const bulk = await raw(sim, 'PUT', `${BASE}${TYPE}?onerror=continue`, { ...auth, ...contentType(TYPE, true) }, JSON.stringify(many));
    expect(bulk.statusLine).toBe('207 Multi Status');
    expect(bulk.body).toMatchObject({ errorcode: 1243, message: 'Bulk operation failed', severity: 'ERROR' });
    expect((bulk.body.response as Array<{ errorcode: number }>).map((r) => r.errorcode)).toEqual([0, 278, 0]);
    expect(sim.state.members('sg web')).toEqual(['10.0.0.1:80', '10.0.0.2:80', '10.0.0.4:80']);
    expect(sim.requestLog.entries.at(-1)).toMatchObject({ method: 'PUT', bulk: true, onError: 'continue', credentials: 'set-cookie' });

    // get(service, servicegroupname): the name through quote_plus twice.
    const read = await raw(sim, 'GET', `${BASE}${TYPE}/${queryEscape(queryEscape('sg web'))}`, { ...auth, ...contentType(TYPE) });
    expect((read.body[TYPE] as unknown[]).length).toBe(3);
    // count(service, servicegroupname): ?count=yes.
    const count = await raw(sim, 'GET', `${BASE}${TYPE}/${queryEscape(queryEscape('sg web'))}?count=yes`, auth);
    expect(count.body[TYPE]).toEqual([{ __count: 3 }]);

    // delete(client, resource): delete_resource → args from every set field, values quote_plus'd.
    const del = await raw(sim, 'DELETE', `${BASE}${TYPE}/${queryEscape(queryEscape('sg web'))}?args=servicegroupname:sg+web,ip:10.0.0.1,port:80`, auth);
    expect(del.statusLine).toBe('200 OK');

    // delete(client, [resources]): delete_bulk_request → POST ?action=unbind (a binding type) with an array.
    const unbind = { [TYPE]: [{ servicegroupname: 'sg web', ip: '10.0.0.2', port: 80 }, { servicegroupname: 'sg web', ip: '10.0.0.4', port: 80 }] };
    const res = await raw(sim, 'POST', `${BASE}${TYPE}?action=unbind&onerror=continue`, { ...auth, ...contentType(TYPE, true) }, JSON.stringify(unbind));
    expect(res.statusLine).toBe('200 OK');
    expect(sim.state.members('sg web')).toEqual([]);
  });

  it('stops a bulk add at the first failure without onerror (exit, the documented default)', async () => {
    const sim = await start();
    const auth = await pythonLogin(sim);
    sim.state.addServicegroup({ servicegroupname: 'sg', servicetype: 'HTTP' });
    const many = { [TYPE]: [{ servicegroupname: 'sg', ip: '10.0.0.1', port: 0 }, { servicegroupname: 'sg', ip: '10.0.0.2', port: 80 }] };
    const bulk = await raw(sim, 'PUT', `${BASE}${TYPE}`, { ...auth, ...contentType(TYPE, true) }, JSON.stringify(many));
    expect(bulk.statusLine).toBe('207 Multi Status');
    expect(bulk.body.response).toHaveLength(1);
    expect(sim.state.members('sg')).toEqual([]);
  });
});
