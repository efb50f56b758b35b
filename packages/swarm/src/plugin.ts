/**
 * The `swarm` source plugin. An entry builds one `SwarmSource` (Engine events for speed, polling for
 * completeness) selecting only the mapped services by name (and the entry's `select.labels`). Which port a
 * service publishes to the pool comes from the service's own labels, as the projection defines.
 */
import { backendSourceOf, ContactTracker, defineSourcePlugin, groupedSourceRuntime, type PluginContext, readPemFile, type SourceRuntime } from '@nitrox/plugin';
import type { EngineConnectionOptions } from './engine-client.js';
import { type SwarmEntry, swarmEntrySchema, swarmMappingSchema } from './plugin-schema.js';
import { SwarmSource } from './swarm-source.js';

function connectionOf(entry: SwarmEntry, context: PluginContext): EngineConnectionOptions | undefined {
  const c = entry.connection;
  if (!c) return undefined;
  const pem = (key: 'caFile' | 'certFile' | 'keyFile') => readPemFile(`${context.path}.connection.${key}`, c[key], context.baseDir);
  const ca = pem('caFile');
  const cert = pem('certFile');
  const key = pem('keyFile');
  return {
    apiVersion: c.apiVersion,
    requestTimeoutMs: c.requestTimeoutMs,
    ...(c.socketPath ? { socketPath: c.socketPath } : {}),
    ...(c.host ? { host: c.host } : {}),
    ...(c.port ? { port: c.port } : {}),
    ...(c.protocol ? { protocol: c.protocol } : {}),
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
  };
}

/** Build the runtime of one `swarm` source entry. */
export function swarmRuntime(entry: SwarmEntry, context: PluginContext): SourceRuntime<Record<string, never>> {
  const connection = connectionOf(entry, context);
  return groupedSourceRuntime<Record<string, never>>(context.name, 'swarm', {
    groupOf: () => 'all',
    keyOf: (m) => m.app,
    create(_mappings, keys) {
      const source = new SwarmSource({
        ...(connection ? { connection } : {}),
        select: { names: [...keys], ...(entry.select?.labels ? { labels: entry.select.labels } : {}) },
        events: entry.events,
        pollIntervalMs: entry.pollIntervalMs,
        fallbackPollMs: entry.fallbackPollMs,
        pollJitter: entry.pollJitter,
        debounceMs: entry.debounceMs,
        maxWaitMs: entry.maxWaitMs,
        taskPollMs: entry.taskPollMs,
        unknownNodeGraceMs: entry.unknownNodeGraceMs,
        settlePollMs: entry.settlePollMs,
        settleTimeoutMs: entry.settleTimeoutMs,
        eventsIdleTimeoutMs: entry.eventsIdleTimeoutMs,
        historyLimit: entry.historyLimit,
        ingressNodes: entry.ingressNodes,
        portLabel: entry.portLabel,
        networkLabel: entry.networkLabel,
        modeLabel: entry.modeLabel,
        clock: context.clock,
        ...(entry.defaultTargetPort ? { defaultTargetPort: entry.defaultTargetPort } : {}),
        ...(entry.backoff ? { backoff: Object.fromEntries(Object.entries(entry.backoff).filter(([, v]) => v !== undefined)) } : {}),
      });
      // In contact while reads succeed: a failed read or a dropped event stream loses contact, the next successful
      // pass regains it. While the stream is down the fallback poll reads every fallbackPollMs (2 s), so the sets
      // stay fresh and the source counts as in contact; a manager that answers nothing does not. A malformed event
      // line is the daemon talking, not silence.
      const contact = new ContactTracker(context.clock);
      source.on('eventsDisconnected', () => contact.lost());
      source.on('error', (error) => {
        if (error.code !== 'NITROX_MALFORMED_EVENT') contact.lost();
      });
      source.on('pass', (pass) => {
        if (pass.requests > 0) contact.regained(); // a pass that asked nothing proves nothing
      });
      return backendSourceOf(source, () => {
        const s = source.stats;
        return {
          lists: s.fullPasses,
          relists: Math.max(0, s.fullPasses - 1),
          watchRestarts: Math.max(0, s.eventConnects - 1),
          errors: s.errors,
          malformed: s.malformed,
          events: s.events,
        };
      }, contact);
    },
  });
}

/** The plugin of `type: swarm` source entries. */
export const swarmPlugin = defineSourcePlugin({
  type: 'swarm',
  description: 'Docker Swarm services, tasks and nodes: Engine /events as interrupts, full polls for completeness.',
  schema: swarmEntrySchema,
  mapping: swarmMappingSchema,
  create: (entry, context) => swarmRuntime(entry, context),
});
