import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, isNitroxError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { pluginApiVersion } from '@nitrox/plugin';
import { PluginRegistry } from '../plugins/plugin-registry.js';
import { loadConfig, mappingDefaults, parseConfigText, resolveConfig } from './load-config.js';

const valid = {
  sources: { k8s: { type: 'kubernetes', kubeconfig: '/tmp/kubeconfig' } },
  sinks: { adc: { type: 'netscaler', url: 'https://10.0.0.1', username: 'nsroot', passwordFrom: { env: 'NS_PASS' } } },
  mappings: [{ source: 'k8s', app: 'default/web', sink: 'adc', lbvserver: 'vs-web', port: 'http', resync: '30s' }],
};
const env = { NS_PASS: 'hunter2-secret' };

async function configError(doc: unknown, environment: { env: NodeJS.ProcessEnv } = { env }): Promise<ConfigError> {
  const err = await resolveConfig(doc, environment).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('resolveConfig', () => {
  it('applies defaults and names mappings and pools after the app', async () => {
    const config = await resolveConfig(valid, { env });
    const [m] = config.mappings;
    expect(m).toMatchObject({
      pool: 'default-web',
      debounceMs: mappingDefaults.debounceMs,
      resyncMs: 30_000,
      allowEmpty: false,
      sourceOptions: { mode: 'nodeport', port: 'http' },
      sinkOptions: { servicegroupType: 'HTTP', lbvserver: 'vs-web' },
    });
    expect(m?.name).toBe('k8s:default-web->adc:default-web');
    expect(config.listen).toBe('0.0.0.0:9090');
    expect(config.secrets.get('sinks.adc.passwordFrom')?.reveal()).toBe('hunter2-secret');
  });

  it('lets the defaults section fill options a mapping leaves out', async () => {
    const config = await resolveConfig({ ...valid, defaults: { mode: 'pod', debounce: 250, allowEmpty: true } }, { env });
    expect(config.mappings[0]).toMatchObject({ sourceOptions: { mode: 'pod' }, debounceMs: 250, allowEmpty: true });
  });

  it('names the path and the expectation of a bad field', async () => {
    const err = await configError({ ...valid, mappings: [{ ...valid.mappings[0], port: 70_000 }] });
    expect(err.path).toBe('mappings[0].port');
    expect(err.message).toContain('expected the name of the service port');
    expect(err.code).toBe('NITROX_CONFIG');
    expect(isNitroxError(err)).toBe(true);
  });

  it('rejects an unknown source type and unknown keys', async () => {
    expect((await configError({ ...valid, sources: { k8s: { type: 'nomad' } } })).path).toBe('sources.k8s.type');
    const err = await configError({ ...valid, sinks: { adc: { ...valid.sinks.adc, passwrd: 'x' } } });
    expect(err.path).toBe('sinks.adc');
    expect(err.message).toContain('unknown key "passwrd": expected only url, username, usernameFrom, passwordFrom');
  });

  it('refuses inline secrets', async () => {
    const err = await configError({ ...valid, sinks: { adc: { ...valid.sinks.adc, password: 'inline' } } });
    expect(err.path).toBe('sinks.adc.password');
    expect(err.message).toContain('inline secrets are not accepted');
    expect(err.message).not.toContain('inline"');
  });

  it('checks references between sections', async () => {
    const err = await configError({ ...valid, mappings: [{ ...valid.mappings[0], sink: 'nope' }] });
    expect(err.path).toBe('mappings[0].sink');
    expect(err.message).toContain('expected one of the sinks (adc)');
    const dup = await configError({ ...valid, mappings: [valid.mappings[0], valid.mappings[0]] });
    expect(dup.path).toBe('mappings[1].pool');
    const le = await configError({ ...valid, leaderElection: { source: 'k8s', leaseDuration: '5s' } });
    expect(le.path).toBe('leaderElection.renewDeadline');
    const noLease = await configError({ ...valid, sources: { ...valid.sources, mesos: { type: 'marathon', url: 'http://m:8080' } }, leaderElection: { source: 'mesos' } });
    expect([noLease.path, noLease.message]).toEqual(['leaderElection.source', expect.stringContaining('whose plugin offers a lease (kubernetes), got "mesos"')]);
    const noEndpoints = await configError({ ...valid, leaderElection: { type: 'etcd' } });
    expect([noEndpoints.path, noEndpoints.message]).toEqual(['leaderElection.endpoints', expect.stringContaining('etcd client URLs')]);
    const noSource = await configError({ ...valid, leaderElection: {} });
    expect(noSource.path).toBe('leaderElection.source');
  });

  it('reports a missing environment variable without leaking other secrets', async () => {
    const err = await configError(valid, { env: {} });
    expect(err.path).toBe('sinks.adc.passwordFrom.env');
    expect(err.message).toContain('NS_PASS');
  });

  it('reports maxWait below debounce where it was set: defaults or the mapping', async () => {
    const fromDefaults = await configError({ ...valid, defaults: { debounce: '2s', maxWait: '1s' } });
    expect(fromDefaults.path).toBe('defaults.maxWait');
    const fromMapping = await configError({ ...valid, defaults: { debounce: '2s' }, mappings: [{ ...valid.mappings[0], maxWait: '1s' }] });
    expect(fromMapping.path).toBe('mappings[0].maxWait');
    const debounceOnly = await configError({ ...valid, mappings: [{ ...valid.mappings[0], debounce: '5s' }] });
    expect(debounceOnly.path).toBe('mappings[0].debounce');
  });

  it('reports a bad plugin option under defaults at defaults, once', async () => {
    const err = await configError({ ...valid, defaults: { mode: 'bridge' }, mappings: [valid.mappings[0], { source: 'k8s', app: 'default/api', sink: 'adc' }] });
    expect(err.path).toBe('defaults.mode');
    expect(err.message.match(/defaults\.mode/g) ?? []).toHaveLength(1);
    const unknown = await configError({ ...valid, defaults: { lbvserverr: 'x' } });
    expect(unknown.path).toBe('defaults.lbvserverr');
  });

  it('refuses credentials inside a URL, naming the path', async () => {
    const err = await configError({ ...valid, sinks: { adc: { ...valid.sinks.adc, url: 'https://nsroot:pw@10.0.0.1' } } });
    expect([err.path, err.message]).toEqual(['sinks.adc.url', expect.stringContaining('without credentials')]);
    expect(err.message).not.toContain('pw@');
    const marathon = await configError({ ...valid, sources: { k8s: { type: 'marathon', url: ['http://m1:8080', 'http://u:p@m2:8080'] } } });
    expect(marathon.path).toBe('sources.k8s.url[1]');
  });

  it('refuses credentials in any URL of any entry, even where the plugin takes any string', async () => {
    const registry = new PluginRegistry();
    const loose = { safeParse: (v: unknown) => ({ success: true, data: v }), shape: {} };
    registry.register(
      { apiVersion: pluginApiVersion, kind: 'sink', type: 'loose', description: 'any string', schema: loose, mapping: loose, create: () => undefined },
      'test',
      'test',
    );
    const err = await resolveConfig(
      { ...valid, sinks: { adc: { type: 'loose', upstreams: [{ endpoint: 'tcp://admin:s3cr"et@lb:9000' }] } } },
      { env, registry },
    ).then(
      () => undefined,
      (e: unknown) => e as ConfigError,
    );
    expect([err?.path, err?.message]).toEqual(['sinks.adc.upstreams[0].endpoint', expect.stringContaining('without credentials')]);
    expect(err?.message).not.toContain('s3cr');
  });

  it('reads the readiness grace, 60 s by default', async () => {
    expect((await resolveConfig(valid, { env })).sourceGraceMs).toBe(60_000);
    expect((await resolveConfig({ ...valid, readiness: { sourceGrace: '2m' } }, { env })).sourceGraceMs).toBe(120_000);
    expect((await configError({ ...valid, readiness: { sourceGrace: 'soon' } })).path).toBe('readiness.sourceGrace');
  });

  it('names the loaded types when a type has no plugin', async () => {
    const err = await configError({ ...valid, sources: { k8s: { type: 'nomad' } } });
    expect(err.message).toContain('(kubernetes, marathon, swarm)');
    expect(err.message).toContain('plugins:');
  });

  it('rejects bad durations with the accepted forms', async () => {
    const err = await configError({ ...valid, defaults: { resync: '5 minutes' } });
    expect(err.path).toBe('defaults.resync');
    expect(err.message).toContain('"30s"');
  });
});

describe('kubernetes entries without server, kubeconfig or inCluster', () => {
  it('say where the default search looked when it finds no kubeconfig, at validate time', async () => {
    const home = await mkdtemp(join(tmpdir(), 'nitrox-home-'));
    const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
    try {
      const err = await configError({ ...valid, sources: { k8s: { type: 'kubernetes' } } });
      expect(err.path).toBe('sources.k8s.kubeconfig');
      expect(err.message).toContain(`no kubeconfig found (looked in $KUBECONFIG (unset), ${join(home, '.kube', 'config')} (absent), the in-cluster service account`);
      expect(err.message).toContain('set kubeconfig, server or inCluster');
      await mkdir(join(home, '.kube'));
      await writeFile(join(home, '.kube', 'config'), 'apiVersion: v1\nclusters: [{ name: c, cluster: { server: "https://k8s.example:6443" } }]\nusers: [{ name: u, user: {} }]\ncontexts: [{ name: x, context: { cluster: c, user: u } }]\ncurrent-context: x\n');
      expect((await resolveConfig({ ...valid, sources: { k8s: { type: 'kubernetes' } } }, { env })).sources.k8s?.type).toBe('kubernetes');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('loadConfig', () => {
  it('reads YAML with a secret file relative to the config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nitrox-config-'));
    await writeFile(join(dir, 'ns-password'), 's3cret-from-file\n');
    await writeFile(
      join(dir, 'nitrox.yaml'),
      [
        'sources:',
        '  k8s: { type: kubernetes, server: "https://k8s.example:6443" }',
        'sinks:',
        '  adc:',
        '    type: netscaler',
        '    url: http://127.0.0.1:9',
        '    username: nsroot',
        '    passwordFrom: { file: ns-password }',
        'mappings:',
        '  - { source: k8s, app: default/web, sink: adc, pool: sg-web }',
      ].join('\n'),
    );
    const config = await loadConfig(join(dir, 'nitrox.yaml'));
    expect(config.secrets.get('sinks.adc.passwordFrom')?.reveal()).toBe('s3cret-from-file');
    expect(JSON.stringify([...config.secrets.values()])).not.toContain('s3cret');
    expect(config.mappings[0]?.pool).toBe('sg-web');
  });

  it('reads JSON and reports syntax errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nitrox-config-'));
    await writeFile(join(dir, 'c.json'), JSON.stringify(valid));
    expect((await loadConfig(join(dir, 'c.json'), { env })).mappings).toHaveLength(1);
    expect(() => parseConfigText('sources: [', 'yaml')).toThrow(/expected valid YAML \(line 1/);
    expect(() => parseConfigText('{"a":', 'json')).toThrow(/expected valid JSON/);
  });

  it('names a missing file', async () => {
    await expect(loadConfig('/nonexistent/nitrox.yaml')).rejects.toThrow(/ENOENT/);
  });
});

describe('settings that exclude or need each other', () => {
  it('names the setting before anything connects', async () => {
    const sink = valid.sinks.adc;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ sources: { k8s: { type: 'kubernetes', server: 'https://k:6443', kubeconfig: 'kc' } } }, 'sources.k8s.kubeconfig', 'not both'],
      [{ sources: { k8s: { type: 'kubernetes', tokenFrom: { env: 'T' } } } }, 'sources.k8s.tokenFrom', 'expected server'],
      [{ sources: { k8s: { type: 'marathon', url: 'http://m:8080', username: 'ops' } } }, 'sources.k8s.passwordFrom', 'together'],
      [{ sources: { k8s: { type: 'marathon', url: 'http://m:8080', passwordFrom: { env: 'P' } } } }, 'sources.k8s.username', 'together'],
      [{ sources: { k8s: { type: 'swarm', connection: { socketPath: '/s', host: 'd' } } } }, 'sources.k8s.connection.host', 'not both'],
      [{ sinks: { adc: { ...sink, usernameFrom: { env: 'U' } } } }, 'sinks.adc.usernameFrom', 'not both'],
    ];
    for (const [patch, path, expected] of cases) {
      const doc = { ...valid, ...patch, mappings: [{ source: 'k8s', app: 'default/web', sink: 'adc' }] };
      const err = await configError(doc, { env: { ...env, T: 't', P: 'p', U: 'u' } });
      expect([err.path, err.message]).toEqual([path, expect.stringContaining(expected)]);
    }
  });
});

describe('source-specific mapping rules', () => {
  it('wants port names for kubernetes and no port for swarm', async () => {
    const k = await resolveConfig({ ...valid, mappings: [{ ...valid.mappings[0], port: 8080 }] }, { env }).catch((e: unknown) => e);
    expect((k as ConfigError).path).toBe('mappings[0].port');
    expect((k as ConfigError).message).toContain('name of the service port');
    const swarm = { ...valid, sources: { k8s: { type: 'swarm' } }, mappings: [{ source: 'k8s', app: 'web', sink: 'adc', port: 'http' }] };
    const s = await resolveConfig(swarm, { env }).catch((e: unknown) => e);
    expect((s as ConfigError).path).toBe('mappings[0].port');
    const mode = await resolveConfig({ ...swarm, mappings: [{ source: 'k8s', app: 'web', sink: 'adc', mode: 'pod' }] }, { env }).catch((e: unknown) => e);
    expect((mode as ConfigError).path).toBe('mappings[0].mode');
  });
});
