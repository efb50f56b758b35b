/**
 * The configuration of a `marathon` source entry and of a mapping that reads from one, in zod, under the
 * option names of {@link MarathonSourceOptions} and its connection options. Credentials come only from
 * `…From` references; a URL carrying `user:pass@` is refused. Documented in docs/configuration.md, which a
 * test checks against these schemas.
 */
import { backoffSchema, duration, entrySchema, httpUrl, inlineSecret, secretRef, tlsOptions } from '@nitrox/plugin';
import { z } from 'zod';
import { projectionDefaults } from './backend-projection.js';
import { hostResolverDefaults } from './host-resolver.js';
import { connectionDefaults } from './marathon-options.js';
import { marathonSourceDefaults } from './source-options.js';

const labelValue = z.union([z.string(), z.literal(true)], { error: 'expected a label value (a string) or true (label present)' });

/** Which apps a marathon entry follows ({@link AppSelectorCriteria}; a mapping's app must pass it too). */
export const marathonSelectSchema = entrySchema({
  ids: z.array(z.string().min(1)).optional().describe('App ids to include.'),
  groups: z.array(z.string().min(1)).optional().describe('Marathon groups: apps whose id lies under one of them.'),
  labels: z.record(z.string(), labelValue).optional().describe('Labels the app must carry (true: present with any value).'),
  group: z.string().min(1).optional().describe("A marathon-lb group (its --group): the app's groupLabel lists it; '*' matches every app."),
  groupLabel: z.string().min(1).optional().describe('The label that holds an app\'s groups (default "HAPROXY_GROUP").'),
});

/** A `marathon` entry under `sources:`. */
export const marathonEntrySchema = entrySchema({
  url: z
    .union([httpUrl, z.array(httpUrl).min(1)], { error: 'expected an http(s) URL or a list of them (the masters of an HA Marathon)' })
    .describe('Base URL of Marathon, or several (requests move to the next master after a transport error or a 5xx).'),
  username: z.string().min(1).optional().describe('HTTP basic user (with passwordFrom).'),
  passwordFrom: secretRef.optional().describe('HTTP basic password.'),
  password: inlineSecret('passwordFrom'),
  tokenFrom: secretRef.optional().describe('Token for DC/OS (Authorization: token=…) or a bearer token (tokenType).'),
  token: inlineSecret('tokenFrom'),
  tokenType: z.enum(['dcos', 'bearer']).default('dcos').describe('How the token is sent.'),
  select: marathonSelectSchema.optional().describe('Which apps to follow (every app a mapping names must also pass it).'),
  addressMode: z.enum(['auto', 'host', 'ip']).default(projectionDefaults.addressMode).describe('host: agent host : host port; ip: task IP : container port; auto: ip for IP-per-task apps.'),
  health: z.enum(['all', 'any', 'ignore']).default(projectionDefaults.health).describe('With health checks: keep a task when all (Marathon) or any (marathon-lb) results are alive, or ignore them.'),
  unreachableTasks: z.enum(['keep', 'drop']).default(projectionDefaults.unreachableTasks).describe('TASK_UNREACHABLE / TASK_LOST tasks: keep routing to them (marathon-lb) or drop them.'),
  resolveHostnames: z.boolean().default(marathonSourceDefaults.resolveHostnames).describe('Resolve agents known by hostname to addresses (a name is never sent as an address: unresolved tasks are left out and reported).'),
  resolver: entrySchema({
    ttlMs: duration.default(hostResolverDefaults.ttlMs).describe('How long a resolved address is trusted.'),
    negativeTtlMs: duration.default(hostResolverDefaults.negativeTtlMs).describe('How long a failed lookup is remembered.'),
    maxEntries: z.number().int().min(1).default(hostResolverDefaults.maxEntries).describe('Most hostnames cached.'),
    timeoutMs: duration.default(hostResolverDefaults.timeoutMs).describe('Deadline of one lookup.'),
  }).optional().describe('The hostname cache (defaults: 60 s, 10 s negative, 10,000 names, 3 s per lookup).'),
  healthMemorySize: z.number().int().min(0).default(marathonSourceDefaults.healthMemorySize).describe('Tasks whose last known health is remembered across a Marathon failover (0 = off).'),
  maxRedirects: z.number().int().min(0).max(10).default(connectionDefaults.maxRedirects).describe('Redirects followed to the leader for /v2/events (a standby master redirects).'),
  events: z.boolean().default(marathonSourceDefaults.events).describe('Follow /v2/events; false polls only.'),
  eventTypes: z.array(z.string().min(1)).optional().describe('event_type filters of the stream (default: the types that can change a pool).'),
  idleTimeoutMs: duration.default(marathonSourceDefaults.idleTimeoutMs).describe('Silence after which the event stream is reopened.'),
  debounceMs: duration.default(marathonSourceDefaults.debounceMs).describe('Quiet time after the last event before dirty apps are fetched.'),
  maxWaitMs: duration.default(marathonSourceDefaults.maxWaitMs).describe('Longest delay of a fetch under a constant stream of events.'),
  snapshotIntervalMs: duration.default(marathonSourceDefaults.snapshotIntervalMs).describe('Full snapshot interval that repairs lost events (0 = off).'),
  maxAppFetches: z.number().int().min(0).default(marathonSourceDefaults.maxAppFetches).describe('With more dirty apps, one snapshot replaces the per-app fetches.'),
  fetchConcurrency: z.number().int().min(1).default(marathonSourceDefaults.fetchConcurrency).describe('Per-app fetches in flight.'),
  historyLimit: z.number().int().min(1).default(marathonSourceDefaults.historyLimit).describe('Changes kept for watch replay.'),
  requestTimeoutMs: duration.default(connectionDefaults.requestTimeoutMs).describe('Deadline for the headers and each body read of a REST call.'),
  connectTimeoutMs: duration.default(connectionDefaults.connectTimeoutMs).describe('Deadline for the TCP/TLS connection.'),
  backoff: backoffSchema.optional().describe('Backoff of stream reconnects and failed fetches (default 800 ms … 30 s, full jitter).'),
  certFile: z.string().min(1).optional().describe('Client certificate (PEM) for mutual TLS.'),
  keyFile: z.string().min(1).optional().describe('Client key (PEM) for mutual TLS.'),
  passphraseFrom: secretRef.optional().describe('Passphrase of the client key.'),
  servername: z.string().min(1).optional().describe('Server name for SNI and certificate verification.'),
  ...tlsOptions,
}).superRefine((entry, ctx) => {
  if ((entry.username === undefined) !== (entry.passwordFrom === undefined)) {
    ctx.addIssue({ code: 'custom', path: [entry.username === undefined ? 'username' : 'passwordFrom'], message: 'expected username and passwordFrom together (or neither)' });
  }
  if (entry.tokenFrom && entry.username !== undefined) ctx.addIssue({ code: 'custom', path: ['tokenFrom'], message: 'expected either tokenFrom or username/passwordFrom, not both' });
  if ((entry.certFile === undefined) !== (entry.keyFile === undefined)) {
    ctx.addIssue({ code: 'custom', path: [entry.certFile === undefined ? 'certFile' : 'keyFile'], message: 'expected certFile and keyFile together' });
  }
});

const portExpected = 'expected an index into the task ports (a number) or a port name';

/** The options a mapping (or `defaults`) sets for a marathon source. */
export const marathonMappingSchema = entrySchema({
  port: z
    .union([z.number({ error: portExpected }).int({ error: portExpected }).min(0, { error: portExpected }), z.string({ error: portExpected }).min(1)], { error: portExpected })
    .default(projectionDefaults.port)
    .describe('Which port of the tasks: an index into their ports, or a port name.'),
});

/** A parsed marathon entry. */
export type MarathonEntry = z.output<typeof marathonEntrySchema>;
/** Parsed marathon mapping options. */
export type MarathonMappingOptions = z.output<typeof marathonMappingSchema>;
