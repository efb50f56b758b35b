/**
 * A recorded-shape Engine API on a unix socket, for measuring the swarm source's idle cost at sizes the test
 * bed cannot run (1,000 services): `N` host-mode services with `tasksPerService` running tasks each, built from
 * payloads recorded on the real testbed (test/fixtures/swarm-2node.json), served at `/v1.41/services`,
 * `/tasks` (honouring the `service` filter) and `/nodes`, plus an `/events` stream that stays open and quiet.
 * It counts requests and response bytes per endpoint.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { SwarmNode, SwarmService, SwarmTask } from '../src/engine-types.js';

interface Recorded {
  services: SwarmService[];
  tasks: SwarmTask[];
  nodes: SwarmNode[];
}

/** Counters per endpoint (`services`, `tasks`, `nodes`, `events`). */
export type EndpointCounts = Record<string, { requests: number; bytes: number }>;

/** A running fake Engine; create with {@link FakeEngineServer.start}. */
export class FakeEngineServer {
  readonly counts: EndpointCounts = {};
  readonly #server: Server;
  readonly #services: SwarmService[];
  readonly #tasks: SwarmTask[];
  readonly #nodes: SwarmNode[];
  readonly #open = new Set<ServerResponse>();

  private constructor(server: Server, services: SwarmService[], tasks: SwarmTask[], nodes: SwarmNode[]) {
    this.#server = server;
    this.#services = services;
    this.#tasks = tasks;
    this.#nodes = nodes;
  }

  /** Serve `services` recorded-shape host-mode services on `socketPath`. */
  static start(socketPath: string, services: number, tasksPerService = 2): Promise<FakeEngineServer> {
    const recorded = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'swarm-2node.json'), 'utf8')) as Recorded;
    const template = recorded.services.find((s) => s.Spec?.Name === 'web-host') as SwarmService;
    const taskTemplates = recorded.tasks.filter((t) => t.ServiceID === template.ID && t.Status?.State === 'running');
    const svcList: SwarmService[] = [];
    const taskList: SwarmTask[] = [];
    for (let i = 0; i < services; i++) {
      const id = `svc${String(i).padStart(21, '0')}`;
      svcList.push({ ...template, ID: id, Spec: { ...template.Spec, Name: `web-${i}` }, ServiceStatus: { RunningTasks: tasksPerService, DesiredTasks: tasksPerService } });
      for (let slot = 1; slot <= tasksPerService; slot++) {
        const t = taskTemplates[(slot - 1) % taskTemplates.length] as SwarmTask;
        taskList.push({ ...t, ID: `${id}t${slot}`, ServiceID: id, Slot: slot });
      }
    }
    return new Promise((resolve, reject) => {
      let fake: FakeEngineServer | undefined;
      // Go's http.DefaultMaxHeaderBytes (1 MB), as dockerd: a task poll naming 1,000 service IDs has a ~27 KB URL.
      const server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
        if (fake !== undefined) fake.#handle(req, res);
      });
      fake = new FakeEngineServer(server, svcList, taskList, recorded.nodes);
      server.once('error', reject);
      server.listen(socketPath, () => resolve(fake as FakeEngineServer));
    });
  }

  /** Total requests so far. */
  get requests(): number {
    return Object.values(this.counts).reduce((sum, c) => sum + c.requests, 0);
  }

  /** Stop serving and end open event streams. */
  close(): Promise<void> {
    for (const res of this.#open) res.end();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://engine');
    const endpoint = url.pathname.replace(/^\/v[\d.]+\//, '');
    this.counts[endpoint] ??= { requests: 0, bytes: 0 };
    const count = this.counts[endpoint];
    count.requests++;
    if (endpoint === 'events') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      this.#open.add(res);
      res.on('close', () => this.#open.delete(res));
      return;
    }
    const filters = JSON.parse(url.searchParams.get('filters') ?? '{}') as Record<string, string[]>;
    let body: unknown[];
    if (endpoint === 'services') body = filters.id ? this.#services.filter((s) => filters.id?.includes(s.ID as string)) : this.#services;
    else if (endpoint === 'tasks') {
      const wanted = filters.service ? new Set(filters.service) : undefined;
      body = wanted ? this.#tasks.filter((t) => wanted.has(t.ServiceID as string)) : this.#tasks;
    } else if (endpoint === 'nodes') body = this.#nodes;
    else {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"page not found"}');
      return;
    }
    const data = JSON.stringify(body);
    count.bytes += Buffer.byteLength(data);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(data);
  }
}
