/**
 * The configuration of a `swarm` source entry, in zod, under the option names of {@link SwarmSourceOptions}
 * (and `connection` under those of {@link EngineConnectionOptions}, with PEM files instead of PEM text). A
 * mapping sets no swarm option: a service names its port and mode with its own labels. Documented in
 * docs/configuration.md, which a test checks against these schemas.
 */
import { duration, entrySchema } from '@nitrox/plugin';
import { z } from 'zod';
import { projectionDefaults } from './backend-projection.js';
import { engineConnectionDefaults } from './engine-client.js';
import { swarmSourceDefaults } from './swarm-source-options.js';

const labelValue = z.union([z.string(), z.literal(true)], { error: 'expected a label value (a string) or true (label present)' });

/** How to reach the manager's Engine API. */
/** A polling period: 0 (or a few ms) would poll without pause, so it is refused here rather than when the source starts. */
const period = duration.refine((ms) => ms >= 10, { error: 'expected a period of at least 10ms (polling cannot be turned off: use a long period)' });

export const swarmConnectionSchema = entrySchema({
  socketPath: z.string().min(1).optional().describe('Unix socket of the Engine API.'),
  host: z.string().min(1).optional().describe('Host name or address for TCP (instead of socketPath).'),
  port: z.number().int().min(1).max(65_535).optional().describe('TCP port (default 2375 for http, 2376 for https).'),
  protocol: z.enum(['http', 'https']).optional().describe('default https when caFile, certFile and keyFile are given, else http.'),
  caFile: z.string().min(1).optional().describe('TLS: CA certificate (PEM file).'),
  certFile: z.string().min(1).optional().describe('TLS: client certificate (PEM file).'),
  keyFile: z.string().min(1).optional().describe('TLS: client key (PEM file).'),
  apiVersion: z.string().regex(/^\d+\.\d+$/, { error: 'expected an Engine API version such as "1.41"' }).default(engineConnectionDefaults.apiVersion).describe('Engine API version to speak (at least 1.41).'),
  requestTimeoutMs: duration.default(engineConnectionDefaults.requestTimeoutMs).describe('Timeout of one request and of opening the event stream.'),
}).superRefine((c, ctx) => {
  if (c.socketPath && c.host) ctx.addIssue({ code: 'custom', path: ['host'], message: 'expected either socketPath or host, not both' });
});

/** A `swarm` entry under `sources:`. */
export const swarmEntrySchema = entrySchema({
  connection: swarmConnectionSchema.optional().describe('Engine API of a manager (default: $DOCKER_HOST, else /var/run/docker.sock).'),
  select: entrySchema({
    labels: z.record(z.string(), labelValue).optional().describe('Only services carrying every one of these labels (true: present with any value).'),
  })
    .optional()
    .describe('Which services to follow besides the mapped names.'),
  events: z.boolean().default(swarmSourceDefaults.events).describe('Follow the /events stream as interrupts; false polls only.'),
  pollIntervalMs: period.default(swarmSourceDefaults.pollIntervalMs).describe('Full poll period while the event stream is healthy (at least 10ms).'),
  fallbackPollMs: period.default(swarmSourceDefaults.fallbackPollMs).describe('Full poll period while the event stream is down or disabled (at least 10ms).'),
  pollJitter: z.number().min(0).max(1).default(swarmSourceDefaults.pollJitter).describe('Jitter of every poll delay, as a fraction of it.'),
  debounceMs: duration.default(swarmSourceDefaults.debounceMs).describe('Quiet time that closes a burst of interrupts before the fetch.'),
  maxWaitMs: duration.default(swarmSourceDefaults.maxWaitMs).describe('Longest an interrupt waits under constant churn.'),
  taskPollMs: duration.default(swarmSourceDefaults.taskPollMs).refine((ms) => ms === 0 || ms >= 10, { error: 'expected 0 (off) or at least 10ms' }).describe('Period of the cheap task poll that catches a dead task within a second (stretched so a read takes at most 5% of the time); 0 = off.'),
  unknownNodeGraceMs: duration.default(swarmSourceDefaults.unknownNodeGraceMs).describe('How long a node the manager reports "unknown" (as after a manager restart) keeps its members.'),
  settlePollMs: period.default(swarmSourceDefaults.settlePollMs).describe('Follow-up fetch period of a service whose tasks are still converging (at least 10ms).'),
  settleTimeoutMs: duration.default(swarmSourceDefaults.settleTimeoutMs).describe('Stop following an unsettled service after this long.'),
  eventsIdleTimeoutMs: duration.default(swarmSourceDefaults.eventsIdleTimeoutMs).describe('Reopen the event stream after this long without a line (0 = never).'),
  historyLimit: z.number().int().min(1).default(swarmSourceDefaults.historyLimit).describe('Changes kept for watch replay.'),
  backoff: entrySchema({
    initialMs: duration.optional().describe('First delay.'),
    maxMs: duration.optional().describe('Longest delay.'),
    resetAfterMs: duration.optional().describe('Healthy time after which the delay starts over.'),
  })
    .optional()
    .describe('Event stream reconnect backoff (default 800 ms doubling to 30 s).'),
  ingressNodes: z.enum(['all', 'running']).default(projectionDefaults.ingressNodes).describe('Ingress mode pool: every ready, active node, or only those running a task.'),
  portLabel: z.string().min(1).default(projectionDefaults.portLabel).describe('Service label naming the target port.'),
  networkLabel: z.string().min(1).default(projectionDefaults.networkLabel).describe('Service label naming the network of task mode.'),
  modeLabel: z.string().min(1).default(projectionDefaults.modeLabel).describe('Service label forcing the mode (host, ingress or task).'),
  defaultTargetPort: z.number().int().min(1).max(65_535).optional().describe('Target port for task mode when a service neither publishes one nor carries the port label.'),
});

/** A mapping sets no swarm option (the port comes from the service's label). */
export const swarmMappingSchema = entrySchema({});

/** A parsed swarm entry. */
export type SwarmEntry = z.output<typeof swarmEntrySchema>;
