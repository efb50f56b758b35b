/**
 * Records real Engine API payloads from a 2-node testbed swarm into test/fixtures/, for the projection unit
 * tests: services in host, ingress and dnsrr-overlay modes, the same swarm with node2 drained, the `/events`
 * lines seen meanwhile, and a worker's 503 answer. Run as root: `npx tsx packages/swarm/test/record-fixtures.ts`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SwarmTestbed, waitFor } from '../src/testing/index.js';

const out = join(import.meta.dirname, 'fixtures');
const tb = await SwarmTestbed.start({ nodes: 2, log: (line) => console.log(line) });
try {
  const docker = tb.manager.docker;
  const events = (await docker.getEvents({ filters: { type: ['service', 'node', 'container'] } })) as NodeJS.ReadableStream;
  let eventText = '';
  events.on('data', (chunk: Buffer) => {
    eventText += chunk.toString();
  });
  await docker.createNetwork({ Name: 'backend', Driver: 'overlay', Attachable: true });
  await tb.createHttpService({ name: 'web-host', replicas: 2, constraints: [] });
  await tb.createHttpService({ name: 'web-ingress', replicas: 2, publishMode: 'ingress', publishedPort: 30080 });
  await tb.createHttpService({
    name: 'web-dnsrr',
    replicas: 2,
    publishMode: 'none',
    endpointMode: 'dnsrr',
    networks: ['backend'],
    labels: { 'nitrox.port': '8080' },
  });
  const snapshot = async (): Promise<{ services: unknown[]; tasks: unknown[]; nodes: unknown[] }> => ({
    services: (await docker.listServices({ status: true } as never)) as unknown as unknown[],
    tasks: (await docker.listTasks({ filters: { 'desired-state': ['running'] } })) as unknown[],
    nodes: (await docker.listNodes()) as unknown[],
  });
  const settled = async (count: number): Promise<{ services: unknown[]; tasks: unknown[]; nodes: unknown[] } | undefined> => {
    const s = await snapshot();
    const running = (s.tasks as { Status: { State: string } }[]).filter((t) => t.Status.State === 'running');
    return running.length === count && running.length === s.tasks.length ? s : undefined;
  };
  const both = await waitFor(() => settled(6), { timeoutMs: 60_000, what: '6 running tasks' });
  await writeFile(join(out, 'swarm-2node.json'), `${JSON.stringify(both, null, 1)}\n`);
  await tb.setAvailability('node2', 'drain');
  const drained = await waitFor(
    async () => {
      const s = await settled(6);
      const nodes = new Map((s?.nodes as { ID: string; Description: { Hostname: string } }[] | undefined)?.map((n) => [n.ID, n.Description.Hostname]));
      return s !== undefined && (s.tasks as { NodeID: string }[]).every((t) => nodes.get(t.NodeID) === 'node1') ? s : undefined;
    },
    { timeoutMs: 60_000, what: 'tasks moved off node2' },
  );
  await writeFile(join(out, 'swarm-2node-drained.json'), `${JSON.stringify(drained, null, 1)}\n`);
  try {
    await tb.node('node2').docker.listServices();
  } catch (error) {
    const e = error as { statusCode: number; json: unknown };
    await writeFile(join(out, 'worker-services-503.json'), `${JSON.stringify({ status: e.statusCode, body: e.json }, null, 1)}\n`);
  }
  (events as unknown as { destroy(): void }).destroy();
  await writeFile(join(out, 'events.jsonl'), eventText);
  console.log('recorded');
} finally {
  await tb.stop();
}
