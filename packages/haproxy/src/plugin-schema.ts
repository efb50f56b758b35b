/**
 * The configuration of a `haproxy` sink entry and of a mapping that writes to one, in zod, under the option
 * names of {@link RuntimeApiClientOptions} and {@link HaproxySinkOptions}. Documented in docs/configuration.md,
 * which a test checks against these schemas.
 */
import { duration, entrySchema } from '@nitrox/plugin';
import { z } from 'zod';
import { haproxySinkDefaults } from './sink-options.js';

const name = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { error: 'expected an HAProxy name of letters, digits, ".", "_", ":" or "-"' });

/** A `haproxy` entry under `sinks:`. */
export const haproxyEntrySchema = entrySchema({
  socket: z
    .string()
    .min(1)
    .refine((s) => !/[\s;]/.test(s), { error: 'expected a socket path or ipv4@host:port without spaces or ";"' })
    .describe('Admin socket (stats socket … level admin): a unix socket path or ipv4@127.0.0.1:9999.'),
  session: z.enum(['persistent', 'per-command']).default('persistent').describe('persistent: one pipelined prompt session per apply; per-command: one connection per command.'),
  timeoutMs: duration.default(5_000).describe('Deadline of one command or pipelined batch.'),
  mode: z.enum(['dynamic', 'slots']).default(haproxySinkDefaults.mode).describe('dynamic: add server / del server (HAProxy ≥ 2.4, dynamic balance); slots: set the backend\'s server-template slots by address and state.'),
  serverPrefix: z.string().regex(/^[A-Za-z0-9_.-]{1,20}$/).default(haproxySinkDefaults.serverPrefix).describe('Name prefix of the servers Nitrox adds (slots: the server-template prefix); others are never touched.'),
  defaultWeight: z.number().int().min(0).max(256).default(haproxySinkDefaults.defaultWeight).describe('Weight of a member that names none.'),
  check: z.boolean().default(haproxySinkDefaults.check).describe('Add servers with check and start it (enable health); the backend\'s check settings apply.'),
  drainFirst: z.boolean().default(haproxySinkDefaults.drainFirst).describe('Remove with drain → wait → maint → del (3 commands); false: maint → wait → del (2 commands, in-flight requests still finish, sticky ones do not).'),
  drainTimeoutMs: duration.default(haproxySinkDefaults.drainTimeoutMs).describe('Longest wait for a drained server\'s sessions to end before it is forced out (0: no drain).'),
  drainPollMs: duration.default(haproxySinkDefaults.drainPollMs).describe('How often sessions are read while draining.'),
  restartCheckIntervalMs: duration.default(haproxySinkDefaults.restartCheckIntervalMs).describe('How often show info is read to notice a reload or restart (0: only at applies).'),
  stateFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Slots only: a server-state file Nitrox rewrites after every change (relative to the configuration file), for HAProxy to load on reload (server-state-file + load-server-state-from-file; slots declared with a host name and init-addr last,0.0.0.0): a reload then loses no member.',
    ),
}).check((ctx) => {
  if (ctx.value.stateFile !== undefined && ctx.value.mode !== 'slots')
    ctx.issues.push({ code: 'custom', input: ctx.value.stateFile, path: ['stateFile'], message: 'needs mode "slots": HAProxy does not restore dynamic servers from a state file' });
});

/** The options a mapping (or `defaults`) sets for a haproxy sink. */
export const haproxyMappingSchema = entrySchema({
  backend: name.optional().describe("The administrator's backend of the pool (default: the pool name); never created or deleted."),
});

/** A parsed haproxy entry. */
export type HaproxyEntry = z.output<typeof haproxyEntrySchema>;
/** Parsed haproxy mapping options. */
export type HaproxyMappingOptions = z.output<typeof haproxyMappingSchema>;
