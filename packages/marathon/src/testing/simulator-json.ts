/**
 * How the simulator renders its state as Marathon 1.8 JSON: apps (with the `embed` options Marathon accepts,
 * under every prefix it accepts: none, `app.`, `apps.`, `group.apps.`), tasks, groups and deployments, and the
 * `label` selector and `id` filter of `GET /v2/apps`. Only fields Marathon itself sends are rendered, so a strict
 * client (the Python client builds its objects from every key it gets) accepts them.
 */
import type { MarathonApp, MarathonTask } from '../marathon-types.js';
import type { SimApp, SimDeployment, SimTask } from './simulator-types.js';

/** `/prod//api/` → `/prod/api`. */
export function normalizeId(id: string): string {
  return `/${id.split('/').filter((s) => s !== '').join('/')}`;
}

/** The hostname of simulated agent `n` when agents register by hostname. */
export function agentName(n: number): string {
  return `mesos-agent-${n}.example`;
}

/** The IP of an agent given its hostname (or the IP itself); what a resolver of the test network answers. */
export function agentAddress(host: string): string {
  const match = /^mesos-agent-(\d+)\.example$/.exec(host);
  return match === null ? host : `10.0.0.${match[1]}`;
}

/** The health check definition of simulated apps (Marathon's defaults). */
export function healthCheckJson(): Record<string, unknown> {
  return {
    protocol: 'MESOS_HTTP',
    path: '/health',
    portIndex: 0,
    gracePeriodSeconds: 300,
    intervalSeconds: 60,
    timeoutSeconds: 20,
    maxConsecutiveFailures: 3,
    delaySeconds: 15,
    ipProtocol: 'IPv4',
  };
}

/** The embed options asked for (`tasks`, `counts`, `deployments`, …), whatever prefix they came with. */
export function embeds(values: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const value of values) {
    for (const part of value.split(',')) {
      const name = part.trim().replace(/^(group\.apps\.|apps\.|app\.)/, '');
      if (name === 'failures') out.add('tasks').add('lastTaskFailure');
      else if (name !== '') out.add(name);
    }
  }
  return out;
}

/** One task as `/v2/apps/{id}/tasks` and `/v2/tasks` show it. */
export function taskJson(app: SimApp, t: SimTask, now: string): MarathonTask {
  const task: Record<string, unknown> = {
    appId: t.appId,
    host: t.host,
    id: t.id,
    ipAddresses: [{ ipAddress: t.ipAddress ?? agentAddress(t.host), protocol: 'IPv4' }],
    ports: app.def.ipPerTask ? [] : [...t.ports],
    servicePorts: [],
    slaveId: t.slaveId,
    state: t.state,
    stagedAt: t.stagedAt,
    startedAt: t.startedAt ?? null,
    version: t.version,
    localVolumes: [],
  };
  if (app.def.healthChecks && t.healthy !== undefined) {
    task.healthCheckResults = [
      {
        alive: t.healthy,
        consecutiveFailures: t.healthy ? 0 : 1,
        firstSuccess: t.startedAt ?? null,
        lastSuccess: t.healthy ? now : null,
        lastFailure: t.healthy ? null : now,
        lastFailureCause: t.healthy ? null : 'HTTP 503',
        instanceId: t.instanceId,
      },
    ];
  }
  return task as unknown as MarathonTask;
}

function counts(app: SimApp): Record<string, number> {
  const tasks = [...app.tasks.values()];
  const running = tasks.filter((t) => t.state === 'TASK_RUNNING');
  return {
    tasksStaged: tasks.filter((t) => t.state === 'TASK_STAGING' || t.state === 'TASK_STARTING').length,
    tasksRunning: running.length,
    tasksHealthy: app.def.healthChecks ? running.filter((t) => t.healthy === true).length : 0,
    tasksUnhealthy: app.def.healthChecks ? running.filter((t) => t.healthy === false).length : 0,
  };
}

/** The app as `/v2/apps` shows it, with what `embed` asked for. */
export function appJson(app: SimApp, embed: ReadonlySet<string>, deployments: readonly SimDeployment[], now: string): MarathonApp {
  const d = app.def;
  const json: Record<string, unknown> = {
    id: d.id,
    backoffFactor: 1.15,
    backoffSeconds: 1,
    cmd: null,
    constraints: [],
    container: null,
    cpus: 1,
    disk: 0,
    env: {},
    executor: '',
    fetch: [],
    gpus: 0,
    healthChecks: d.healthChecks ? [healthCheckJson()] : [],
    instances: d.instances,
    killSelection: 'YOUNGEST_FIRST',
    labels: { ...d.labels },
    maxLaunchDelaySeconds: 3600,
    mem: 128,
    networks: d.ipPerTask ? [{ mode: 'container', name: 'dcos' }] : [{ mode: 'host' }],
    portDefinitions: d.ipPerTask ? [] : d.ports.map((name) => ({ port: 0, protocol: 'tcp', name, labels: {} })),
    ipAddress: d.ipPerTask
      ? { networkName: 'dcos', discovery: { ports: d.ports.map((name, i) => ({ name, number: d.containerPorts[i], protocol: 'tcp' })) } }
      : null,
    requirePorts: false,
    secrets: {},
    unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    upgradeStrategy: { maximumOverCapacity: 1, minimumHealthCapacity: 1 },
    version: app.version,
    versionInfo: { lastScalingAt: app.lastScalingAt, lastConfigChangeAt: app.lastConfigChangeAt },
    ...d.extra,
  };
  if (embed.has('counts')) Object.assign(json, counts(app));
  if (embed.has('deployments')) json.deployments = deployments.filter((x) => x.appId === d.id).map((x) => ({ id: x.id }));
  if (embed.has('tasks')) json.tasks = [...app.tasks.values()].map((t) => taskJson(app, t, now));
  if (embed.has('lastTaskFailure')) json.lastTaskFailure = null;
  return json as unknown as MarathonApp;
}

/** A group as `/v2/groups` shows it. */
export interface SimGroupJson {
  id: string;
  apps: unknown[];
  groups: SimGroupJson[];
  pods: unknown[];
  dependencies: string[];
  version: string;
}

/** The group tree (`/v2/groups`) of these apps: one group per path prefix. */
export function groupJson(
  apps: readonly SimApp[],
  version: string,
  render: (app: SimApp) => unknown = (a) => ({ id: a.def.id }),
): SimGroupJson {
  type Group = SimGroupJson;
  const root: Group = { id: '/', apps: [], groups: [], pods: [], dependencies: [], version };
  for (const app of apps) {
    const parts = app.def.id.split('/').filter((s) => s !== '');
    let group = root;
    for (let i = 1; i < parts.length; i++) {
      const id = `/${parts.slice(0, i).join('/')}`;
      let child = group.groups.find((g) => g.id === id);
      if (child === undefined) {
        child = { id, apps: [], groups: [], pods: [], dependencies: [], version };
        group.groups.push(child);
      }
      group = child;
    }
    group.apps.push(render(app));
  }
  return root;
}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '') terms.push(current.trim());
  return terms;
}

/**
 * Marathon's label selector (`GET /v2/apps?label=…`): comma-separated terms that must all hold — `key`,
 * `key==value`, `key!=value`, `key in (a, b)`, `key notin (a, b)`.
 */
export function matchesLabels(labels: Readonly<Record<string, string>>, selector: string): boolean {
  return splitTerms(selector).every((term) => {
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    if (set !== null) {
      const values = (set[3] as string).split(',').map((v) => v.trim());
      const value = labels[set[1] as string];
      const inSet = value !== undefined && values.includes(value);
      return set[2] === 'in' ? inSet : !inSet;
    }
    const compare = /^([^=!]+)(==|!=)(.*)$/.exec(term);
    if (compare !== null) {
      const value = labels[(compare[1] as string).trim()];
      return compare[2] === '==' ? value === (compare[3] as string).trim() : value !== (compare[3] as string).trim();
    }
    return Object.hasOwn(labels, term);
  });
}
