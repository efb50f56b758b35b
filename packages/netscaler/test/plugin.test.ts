/**
 * The netscaler plugin as the nitrox host drives it: an entry parsed by the plugin's schema, credentials through
 * the context, one pool applied to the NITRO simulator. The entry's servicegroupPrefix, graceful removal and
 * default weight reach the library.
 */
import { systemClock } from '@nitrox/core';
import type { PluginContext } from '@nitrox/plugin';
import { expect, it } from 'vitest';
import { netscalerPlugin } from '../src/index.js';
import { PASSWORD, simulator, USERNAME, VSERVER } from './helpers.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

it('reaches the library options from a file: prefix, graceful removal, weights, mapping lbvserver and type', async () => {
  const sim = await simulator();
  const context: PluginContext = { name: 'adc', path: 'sinks.adc', logger: silent, secrets: { get: (p) => (p === 'passwordFrom' ? PASSWORD : undefined) }, baseDir: '/', clock: systemClock, signal: new AbortController().signal };
  const entry = netscalerPlugin.schema.parse({ url: sim.url, username: USERNAME, passwordFrom: { env: 'NS_PW' }, servicegroupPrefix: 'nx-', graceful: true, gracefulDelaySeconds: 30, defaultWeight: 5 });
  const runtime = await netscalerPlugin.create(entry, context);
  try {
    const options = netscalerPlugin.mapping.parse({ lbvserver: VSERVER, servicegroupType: 'TCP' });
    const sink = runtime.pool({ pool: 'web', allowEmpty: false, options });
    const result = await sink.apply('web', { name: 'web', members: [{ address: '10.0.0.1', port: 80 }] });
    expect(result.added).toBe(1);
    const group = sim.state.servicegroups.get('nx-web');
    expect(group).toMatchObject({ servicetype: 'TCP', autodisablegraceful: 'YES', autodisabledelay: 30 });
    expect([...(group?.members.values() ?? [])].map((m) => m.weight)).toEqual([5]);
    expect(runtime.requests().ok).toBeGreaterThan(0);
  } finally {
    await runtime.close();
    await sim.close();
  }
});

it('reaches bindMethod: post adds members one POST each, the default put adds them in one PUT', async () => {
  const sim = await simulator();
  const context: PluginContext = { name: 'adc', path: 'sinks.adc', logger: silent, secrets: { get: (p) => (p === 'passwordFrom' ? PASSWORD : undefined) }, baseDir: '/', clock: systemClock, signal: new AbortController().signal };
  const members = [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 80 }];
  try {
    for (const bindMethod of ['post', undefined] as const) {
      const entry = netscalerPlugin.schema.parse({ url: sim.url, username: USERNAME, passwordFrom: { env: 'NS_PW' }, ...(bindMethod ? { bindMethod } : {}) });
      expect(entry.bindMethod).toBe(bindMethod ?? 'put');
      const runtime = await netscalerPlugin.create(entry, context);
      try {
        const sink = runtime.pool({ pool: `web-${entry.bindMethod}`, allowEmpty: false, options: netscalerPlugin.mapping.parse({ lbvserver: VSERVER }) });
        sim.requestLog.clear();
        await sink.apply(`web-${entry.bindMethod}`, { name: `web-${entry.bindMethod}`, members });
        const adds = sim.requestLog.entries.filter((e) => e.type === 'servicegroup_servicegroupmember_binding' && e.write);
        expect(adds.map((e) => e.method)).toEqual(entry.bindMethod === 'post' ? ['POST', 'POST'] : ['PUT']);
      } finally {
        await runtime.close();
      }
    }
  } finally {
    await sim.close();
  }
});

it('refuses credentials in the URL, inline passwords and a missing user, naming the option', () => {
  const base = { url: 'https://10.0.0.1', username: 'nsroot', passwordFrom: { env: 'P' } };
  expect(netscalerPlugin.schema.safeParse({ ...base, url: 'https://nsroot:pw@10.0.0.1' }).error?.issues[0]?.path).toEqual(['url']);
  expect(netscalerPlugin.schema.safeParse({ ...base, password: 'pw' }).error?.issues[0]?.path).toEqual(['password']);
  expect(netscalerPlugin.schema.safeParse({ url: base.url, passwordFrom: base.passwordFrom }).error?.issues[0]?.path).toEqual(['username']);
});
