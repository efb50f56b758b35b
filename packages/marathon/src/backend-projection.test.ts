import { ConfigError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { isIpPerTask, projectApp, resolveProjectionOptions } from './backend-projection.js';
import { HealthMemory } from './health-memory.js';
import type { MarathonApp, MarathonTask } from './marathon-types.js';

const task = (over: Partial<MarathonTask> & { id: string }): MarathonTask => ({
  appId: '/web',
  host: '10.0.0.1',
  state: 'TASK_RUNNING',
  ports: [31000, 31001],
  ...over,
});

const app: MarathonApp = {
  id: '/web',
  portDefinitions: [{ port: 0, name: 'http' }, { port: 0, name: 'admin' }],
};

const keys = (a: MarathonApp, tasks: MarathonTask[], options = {}): string[] =>
  projectApp(a, tasks, resolveProjectionOptions(options)).members.map((m) => `${m.address}:${m.port}`);

describe('projectApp', () => {
  it('keeps running tasks only, with host and the first port by default', () => {
    const tasks = [
      task({ id: 'a', host: '10.0.0.2' }),
      task({ id: 'b', state: 'TASK_STAGING' }),
      task({ id: 'c', state: 'TASK_KILLING' }),
      task({ id: 'd', state: 'TASK_FAILED' }),
      task({ id: 'e', host: '10.0.0.1', ports: [31005] }),
    ];
    expect(keys(app, tasks)).toEqual(['10.0.0.1:31005', '10.0.0.2:31000']);
  });

  it('names the pool after the app, or as told', () => {
    expect(projectApp(app, [], resolveProjectionOptions()).name).toBe('/web');
    expect(projectApp(app, [], resolveProjectionOptions({ name: (a) => a.id.slice(1) })).name).toBe('web');
  });

  it('chooses the port by index or by name', () => {
    const tasks = [task({ id: 'a' })];
    expect(keys(app, tasks, { port: 1 })).toEqual(['10.0.0.1:31001']);
    expect(keys(app, tasks, { port: 'admin' })).toEqual(['10.0.0.1:31001']);
    expect(keys(app, tasks, { port: 'nope' })).toEqual([]);
    expect(keys(app, tasks, { port: 5 })).toEqual([]);
  });

  it('finds port names in container port mappings', () => {
    const bridged: MarathonApp = {
      id: '/b',
      container: { type: 'DOCKER', docker: { network: 'BRIDGE', portMappings: [{ name: 'x' }, { name: 'web', containerPort: 80 }] } },
    };
    expect(keys(bridged, [task({ id: 'a' })], { port: 'web' })).toEqual(['10.0.0.1:31001']);
  });

  it('requires passing health checks when the app defines them', () => {
    const checked: MarathonApp = { ...app, healthChecks: [{ protocol: 'HTTP' }] };
    const tasks = [
      task({ id: 'none', host: '10.0.0.1' }),
      task({ id: 'ok', host: '10.0.0.2', healthCheckResults: [{ alive: true }] }),
      task({ id: 'bad', host: '10.0.0.3', healthCheckResults: [{ alive: false }] }),
      task({ id: 'mixed', host: '10.0.0.4', healthCheckResults: [{ alive: true }, { alive: false }] }),
    ];
    expect(keys(checked, tasks)).toEqual(['10.0.0.2:31000']);
    expect(keys(checked, tasks, { health: 'any' })).toEqual(['10.0.0.2:31000', '10.0.0.4:31000']);
    expect(keys(checked, tasks, { health: 'ignore' })).toHaveLength(4);
    // Without health checks, results do not matter.
    expect(keys(app, tasks)).toHaveLength(4);
  });

  it('uses task addresses and container ports for IP-per-task apps', () => {
    const ipt: MarathonApp = {
      id: '/ipt',
      ipAddress: { networkName: 'dcos', discovery: { ports: [{ name: 'http', number: 8080 }] } },
    };
    expect(isIpPerTask(ipt)).toBe(true);
    const t = task({
      id: 'a',
      ports: [],
      ipAddresses: [
        { ipAddress: 'fd00::1', protocol: 'IPv6' },
        { ipAddress: '172.16.0.9', protocol: 'IPv4' },
      ],
    });
    expect(keys(ipt, [t])).toEqual(['172.16.0.9:8080']);
    expect(keys(ipt, [t], { port: 'http' })).toEqual(['172.16.0.9:8080']);
    expect(keys(ipt, [t], { addressMode: 'host' })).toEqual([]);
    const networks: MarathonApp = { id: '/n', networks: [{ mode: 'container', name: 'dcos' }], container: { portMappings: [{ containerPort: 80 }] } };
    expect(keys(networks, [t])).toEqual(['172.16.0.9:80']);
  });

  it('finds a named port of a Marathon 1.5+ IP-per-task app in its port mappings (empty discovery ports)', () => {
    const app15: MarathonApp = {
      id: '/app15',
      networks: [{ mode: 'container', name: 'dcos' }],
      ipAddress: { networkName: 'dcos', discovery: { ports: [] } },
      portDefinitions: [],
      container: {
        portMappings: [
          { name: 'http', containerPort: 8080, hostPort: 0 },
          { name: 'admin', containerPort: 9090, hostPort: 0 },
        ],
      },
    };
    const t = task({ id: 'a', host: '10.0.0.5', ports: [], ipAddresses: [{ ipAddress: '9.0.1.2', protocol: 'IPv4' }] });
    expect(keys(app15, [t], { port: 'admin' })).toEqual(['9.0.1.2:9090']);
    expect(keys(app15, [t], { port: 'http' })).toEqual(['9.0.1.2:8080']);
    expect(keys(app15, [t], { port: 'nope' })).toEqual([]);
    // Host networking with portDefinitions [] and bridge port mappings: names come from the mappings.
    const bridge: MarathonApp = { id: '/b', portDefinitions: [], container: { docker: { portMappings: [{ name: 'web', containerPort: 80 }] } } };
    expect(keys(bridge, [task({ id: 'b', host: '10.0.0.6', ports: [31555] })], { port: 'web' })).toEqual(['10.0.0.6:31555']);
  });

  it('leaves out tasks without an address or a valid port', () => {
    expect(keys(app, [task({ id: 'a', host: '' }), task({ id: 'b', ports: [0] }), task({ id: 'c', ports: [] })])).toEqual([]);
  });

  it('is insensitive to task order and duplicates', () => {
    const a = task({ id: 'a', host: '10.0.0.1' });
    const b = task({ id: 'b', host: '10.0.0.2' });
    expect(projectApp(app, [a, b, a], resolveProjectionOptions())).toEqual(projectApp(app, [b, a], resolveProjectionOptions()));
  });
});

describe('resolveProjectionOptions', () => {
  it('rejects bad options with a ConfigError naming them', () => {
    expect(() => resolveProjectionOptions({ port: -1 })).toThrow(ConfigError);
    expect(() => resolveProjectionOptions({ port: '' })).toThrow(/port/);
    expect(() => resolveProjectionOptions({ addressMode: 'x' as never })).toThrow(/addressMode/);
    expect(() => resolveProjectionOptions({ health: 'x' as never })).toThrow(/health/);
  });
});

describe('projectApp with odd input', () => {
  it('never throws on fields of the wrong type', () => {
    const odd = {
      id: '/odd',
      healthChecks: [{}],
      portDefinitions: 'nope',
      networks: 'x',
      container: { portMappings: [null, 5] },
    } as unknown as MarathonApp;
    const tasks = [
      null,
      7,
      { id: 'a', appId: '/odd', host: '10.0.0.1', state: 'TASK_RUNNING', ports: 'x', healthCheckResults: [null, { alive: true }] },
      { id: 'b', appId: '/odd', host: '10.0.0.2', state: 'TASK_RUNNING', ports: [31000], healthCheckResults: [{ alive: true }] },
      { id: 'c', appId: '/odd', host: 5, state: 'TASK_RUNNING', ports: [31000], healthCheckResults: 'x', ipAddresses: 'y' },
    ] as unknown as MarathonTask[];
    expect(keys(odd, tasks)).toEqual(['10.0.0.2:31000']);
    expect(keys(odd, tasks, { addressMode: 'ip', health: 'ignore' })).toEqual([]);
    expect(keys(odd, tasks, { health: 'any' })).toEqual(['10.0.0.2:31000']);
  });
});

describe('projectApp: task states, remembered health, host resolution', () => {
  const checked: MarathonApp = { ...app, healthChecks: [{ protocol: 'MESOS_HTTP' }] };
  const alive = [{ alive: true }];

  it('keeps TASK_UNREACHABLE and TASK_LOST by default (as marathon-lb), drops them with unreachableTasks: drop', () => {
    const tasks = [task({ id: 'a', host: '10.0.0.2', state: 'TASK_UNREACHABLE' }), task({ id: 'b', state: 'TASK_LOST' })];
    expect(keys(app, tasks)).toEqual(['10.0.0.1:31000', '10.0.0.2:31000']);
    expect(keys(app, tasks, { unreachableTasks: 'drop' })).toEqual([]);
    expect(() => resolveProjectionOptions({ unreachableTasks: 'maybe' as never })).toThrow(/unreachableTasks/);
  });

  it('treats "no results yet" on a task known healthy as healthy, and on a new or known-sick task as not', () => {
    const health = new HealthMemory(10);
    const o = resolveProjectionOptions();
    const before = [task({ id: 'a', host: '10.0.0.1', healthCheckResults: alive }), task({ id: 'b', host: '10.0.0.2', healthCheckResults: [{ alive: false }] })];
    expect(projectApp(checked, before, o, { health }).members).toHaveLength(1);
    // A new leader: no results for anyone, plus a task never seen.
    const after = [task({ id: 'a', host: '10.0.0.1' }), task({ id: 'b', host: '10.0.0.2' }), task({ id: 'c', host: '10.0.0.3' })];
    expect(projectApp(checked, after, o, { health }).members.map((m) => m.address)).toEqual(['10.0.0.1']);
    expect(projectApp(checked, after, o).members).toEqual([]);
  });

  it('uses the resolved address of a named host, and reports (never passes on) a name that did not resolve', () => {
    const errors: Error[] = [];
    const hostAddress = (host: string, taskId: string): string | Error =>
      host === 'agent-1.example' ? '10.1.0.1' : new Error(`${taskId}@${host}`);
    const tasks = [task({ id: 'a', host: 'agent-1.example' }), task({ id: 'b', host: 'ghost.example' })];
    const set = projectApp(app, tasks, resolveProjectionOptions(), { hostAddress, onUnresolved: (e) => errors.push(e) });
    expect(set.members.map((m) => m.address)).toEqual(['10.1.0.1']);
    expect(errors.map((e) => e.message)).toEqual(['b@ghost.example']);
  });
});
