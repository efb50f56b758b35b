/**
 * The REST API of the Marathon simulator (everything but `/v2/events`): apps (list with `embed`, `label` and
 * `id` filters; create by POST, or by PUT on a new id; update, scale, restart, delete, versions), tasks (per
 * app, all, kill one, kill many by app or host, `POST /v2/tasks/delete`), deployments, queue, groups, info,
 * leader and ping. Answers follow Marathon 1.8: a change returns `{ deploymentId, version }` (201 when it
 * created the app), query booleans are read in any case (`scale=True` from Python clients), and unknown apps
 * are 404 `{"message":"App '/x' does not exist"}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorModel } from './simulator-model.js';
import { appJson, embeds, groupJson, matchesLabels, normalizeId, taskJson } from './simulator-json.js';
import type { SimAppDefinition } from './simulator-types.js';

/** Send a JSON answer. */
export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : JSON.parse(text);
}

function flag(url: URL, name: string): boolean {
  return (url.searchParams.get(name) ?? '').toLowerCase() === 'true';
}

const passThrough = ['cmd', 'args', 'cpus', 'mem', 'disk', 'gpus', 'env', 'constraints', 'fetch', 'user', 'backoffSeconds', 'backoffFactor'];

/** A Marathon app JSON (what clients POST or PUT) as a simulator definition. */
export function definitionFromJson(body: Record<string, unknown>, id: string): SimAppDefinition {
  const portDefs = Array.isArray(body.portDefinitions) ? (body.portDefinitions as { name?: unknown }[]) : undefined;
  const ports = portDefs?.map((p, i) => (typeof p?.name === 'string' ? p.name : `port${i}`));
  const networks = Array.isArray(body.networks) ? (body.networks as { mode?: unknown }[]) : [];
  const extra: Record<string, unknown> = {};
  for (const key of passThrough) if (body[key] !== undefined) extra[key] = body[key];
  return {
    id,
    ...(typeof body.instances === 'number' ? { instances: body.instances } : {}),
    ...(typeof body.labels === 'object' && body.labels !== null ? { labels: body.labels as Record<string, string> } : {}),
    ...(ports === undefined ? {} : { ports }),
    healthChecks: Array.isArray(body.healthChecks) && body.healthChecks.length > 0,
    ipPerTask: (typeof body.ipAddress === 'object' && body.ipAddress !== null) || networks.some((n) => n?.mode === 'container'),
    extra,
  };
}

/** Context of one REST request. */
export interface RouteContext {
  readonly model: SimulatorModel;
  /** `host:port` of the leader (this simulator). */
  readonly leader: string;
  readonly now: () => string;
}

/**
 * Answer one REST request. @returns false when no route matched (the caller answers 404).
 */
export async function route(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<boolean> {
  const { model } = ctx;
  const method = req.method ?? 'GET';
  const reply = (status: number, body: unknown): true => {
    send(res, status, body);
    return true;
  };
  const changed = (deploymentId: string, status = 200): true => reply(status, { deploymentId, version: ctx.now() });
  const app = (id: string) => appJson(model.app(id), embeds(url.searchParams.getAll('embed')), model.deployments(), ctx.now());
  const missing = (id: string): true => reply(404, { message: `App '${normalizeId(id)}' does not exist` });

  if (path === '/ping' && method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('pong');
    return true;
  }
  if (path === '/v2/leader' && method === 'GET') return reply(200, { leader: ctx.leader });
  if (path === '/v2/info' && method === 'GET') {
    send(res, 200, {
      name: 'marathon',
      version: '1.8.222',
      buildref: 'simulator',
      elected: true,
      leader: ctx.leader,
      frameworkId: 'simulated-framework-0000',
      marathon_config: { master: 'zk://127.0.0.1:2181/mesos', ha: true, checkpoint: true, framework_name: 'marathon', hostname: '127.0.0.1' },
      zookeeper_config: { zk: 'zk://127.0.0.1:2181/marathon', zk_timeout: 10_000, zk_session_timeout: 10_000, zk_max_versions: 50 },
      http_config: { http_port: Number(ctx.leader.split(':')[1]), https_port: 8443 },
      event_subscriber: null,
    });
    return true;
  }
  if (path === '/v2/deployments' && method === 'GET') {
    const list = model.deployments().map((d) => {
      const action = { action: d.action, app: d.appId, readinessCheckResults: [] };
      return { id: d.id, version: d.version, affectedApps: [d.appId], affectedPods: [], steps: [{ actions: [action] }], currentActions: [action], currentStep: 1, totalSteps: 1 };
    });
    return reply(200, list);
  }
  if (path === '/v2/queue' && method === 'GET') return reply(200, { queue: [] });
  if (path === '/v2/groups' && method === 'GET') {
    const embed = embeds(url.searchParams.getAll('embed'));
    return reply(200, groupJson(model.apps(), ctx.now(), (a) => appJson(a, embed, model.deployments(), ctx.now())));
  }
  if (path === '/v2/tasks' && method === 'GET') {
    const tasks = model.apps().flatMap((a) => [...a.tasks.values()].map((t) => taskJson(a, t, ctx.now())));
    return reply(200, { tasks });
  }
  if (path === '/v2/tasks/delete' && method === 'POST') {
    const body = (await readBody(req)) as { ids?: unknown };
    const ids = Array.isArray(body.ids) ? body.ids.filter((x): x is string => typeof x === 'string') : [];
    const killed = ids.flatMap((id) => {
      try {
        return [model.killTask(id, { scale: flag(url, 'scale') })];
      } catch {
        return [];
      }
    });
    const first = killed[0];
    if (flag(url, 'scale')) changed(first === undefined ? 'none' : model.scale(first.appId, model.app(first.appId).def.instances));
    else send(res, 200, { tasks: killed.map((t) => taskJson(model.app(t.appId), t, ctx.now())) });
    return true;
  }
  if (path === '/v2/apps' && method === 'GET') {
    const label = url.searchParams.get('label');
    const id = url.searchParams.get('id');
    const apps = model
      .apps()
      .filter((a) => (label === null || matchesLabels(a.def.labels, label)) && (id === null || a.def.id.includes(id)))
      .map((a) => app(a.def.id));
    return reply(200, { apps });
  }
  if (path === '/v2/apps' && method === 'POST') {
    const body = (await readBody(req)) as Record<string, unknown>;
    if (typeof body.id !== 'string' || body.id === '') return reply(422, { message: 'Object is not valid', details: [{ path: '/id' }] });
    if (model.has(body.id)) return reply(409, { message: `An app with id [${normalizeId(body.id)}] already exists.` });
    model.create(definitionFromJson(body, body.id));
    return reply(201, appJson(model.app(body.id), embeds(['counts', 'deployments', 'tasks']), model.deployments(), ctx.now()));
  }
  const sub = /^\/v2\/apps(\/.+?)\/(tasks|versions|restart)(?:\/([^/]+))?$/.exec(path);
  if (sub !== null) {
    const id = decodeURIComponent(sub[1] as string);
    if (!model.has(id)) return missing(id);
    const [kind, taskId] = [sub[2], sub[3] === undefined ? undefined : decodeURIComponent(sub[3])];
    if (kind === 'versions' && method === 'GET' && taskId === undefined) return reply(200, { versions: [...model.app(id).versions].reverse() });
    if (kind === 'restart' && method === 'POST') return changed(model.restart(id));
    if (kind === 'tasks' && method === 'GET' && taskId === undefined) {
      const a = model.app(id);
      return reply(200, { tasks: [...a.tasks.values()].map((t) => taskJson(a, t, ctx.now())) });
    }
    if (kind === 'tasks' && method === 'DELETE') {
      const a = model.app(id);
      const host = url.searchParams.get('host');
      const targets = taskId !== undefined ? [taskId] : model.taskIds(id).filter((t) => host === null || a.tasks.get(t)?.host === host);
      if (taskId !== undefined && !a.tasks.has(taskId)) return reply(404, { message: `Task '${taskId}' does not exist` });
      const killed = targets.map((t) => model.killTask(t, { scale: flag(url, 'scale') }));
      if (flag(url, 'scale')) return changed(model.scale(id, a.def.instances));
      if (taskId !== undefined) return reply(200, { task: taskJson(a, killed[0] as (typeof killed)[number], ctx.now()) });
      return reply(200, { tasks: killed.map((t) => taskJson(a, t, ctx.now())) });
    }
    return false;
  }
  const one = /^\/v2\/apps(\/.+)$/.exec(path);
  if (one !== null) {
    const id = decodeURIComponent(one[1] as string);
    if (method === 'GET') {
      if (!model.has(id)) return missing(id);
      const embed = embeds([...url.searchParams.getAll('embed'), 'counts', 'deployments']);
      return reply(200, { app: appJson(model.app(id), embed, model.deployments(), ctx.now()) });
    }
    if (method === 'PUT') {
      const body = (await readBody(req)) as Record<string, unknown>;
      if (!model.has(id)) return changed(model.create(definitionFromJson(body, id)), 201);
      const def = definitionFromJson(body, id);
      const change: Parameters<SimulatorModel['update']>[1] = {};
      if (def.labels !== undefined) change.labels = { ...def.labels };
      if (Array.isArray(body.healthChecks)) change.healthChecks = def.healthChecks ?? false;
      if (def.ports !== undefined) change.ports = [...def.ports];
      if (def.instances !== undefined) change.instances = def.instances;
      return changed(model.update(id, change));
    }
    if (method === 'DELETE') {
      if (!model.has(id)) return missing(id);
      return changed(model.destroy(id));
    }
  }
  return false;
}
