/**
 * The configuration of a `netscaler` sink entry and of a mapping that writes to one, in zod, under the option
 * names of {@link NitroClientOptions} and {@link NetScalerSinkOptions} (TLS as the shared `caFile` and
 * `insecureSkipTlsVerify`). Documented in docs/configuration.md, which a test checks against these schemas.
 */
import { duration, entrySchema, httpUrl, inlineSecret, secretRef, tlsOptions } from '@nitrox/plugin';
import { z } from 'zod';
import { nitroClientDefaults } from './nitro-client-options.js';
import { netScalerSinkDefaults } from './sink-options.js';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected a name of letters, digits, ".", "_" or "-"' });

/** A `netscaler` entry under `sinks:`. */
export const netscalerEntrySchema = entrySchema({
  url: httpUrl.describe('NITRO management address, e.g. https://10.0.0.10.'),
  username: z.string().min(1).optional().describe('NITRO user (or usernameFrom).'),
  usernameFrom: secretRef.optional().describe('NITRO user from an environment variable or file.'),
  passwordFrom: secretRef.describe('NITRO password.'),
  password: inlineSecret('passwordFrom'),
  auth: z.enum(['session', 'headers']).default(nitroClientDefaults.auth).describe('session: log in once and reuse the cookie; headers: send the credentials with every request.'),
  sessionTimeoutSeconds: z.number().int().min(1).default(nitroClientDefaults.sessionTimeoutSeconds).describe('Idle timeout of the login session.'),
  maxConcurrent: z.number().int().min(1).max(64).default(nitroClientDefaults.maxConcurrent).describe('Most NITRO requests in flight at once, for every pool of this appliance.'),
  timeoutMs: duration.default(nitroClientDefaults.timeoutMs).describe('Deadline of one request.'),
  createLbvserver: z.record(z.string(), z.union([z.string(), z.number()])).optional().describe('Create a missing lbvserver with these attributes (never changed or deleted).'),
  servicegroupPrefix: z.string().default(netScalerSinkDefaults.servicegroupPrefix).describe('Prefix of servicegroup names.'),
  ownerComment: z.string().min(1).default(netScalerSinkDefaults.ownerComment).describe('Comment marking the servicegroups Nitrox created (and owns).'),
  ownByPrefix: z.boolean().default(netScalerSinkDefaults.ownByPrefix).describe('Also own servicegroups whose name starts with servicegroupPrefix.'),
  graceful: z.boolean().default(netScalerSinkDefaults.graceful).describe('Unbind members gracefully, letting their connections drain.'),
  gracefulDelaySeconds: z.number().int().min(1).optional().describe('With graceful: the longest drain.'),
  bindMethod: z.enum(['put', 'post']).default(netScalerSinkDefaults.bindMethod).describe('How members are added: put (an array with onerror continue, the NITRO docs and Python SDK form; per member if the appliance refuses the array) or post (one object per member, the adc-nitro-go/Terraform form).'),
  bulkUnbind: z.boolean().default(netScalerSinkDefaults.bulkUnbind).describe('Unbind surplus members in bulk requests.'),
  bulkSize: z.number().int().min(1).default(netScalerSinkDefaults.bulkSize).describe('Most records per bulk request.'),
  defaultWeight: z.number().int().min(1).max(100).default(netScalerSinkDefaults.defaultWeight).describe('Weight of a member that names none.'),
  verifyIntervalMs: duration.default(netScalerSinkDefaults.verifyIntervalMs).describe('How long confirmed ownership and binding are trusted before they are read again.'),
  ...tlsOptions,
}).superRefine((entry, ctx) => {
  if (entry.username !== undefined && entry.usernameFrom !== undefined) ctx.addIssue({ code: 'custom', path: ['usernameFrom'], message: 'expected username or usernameFrom, not both' });
  if (entry.username === undefined && entry.usernameFrom === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'expected a username (or usernameFrom: { env } | { file })' });
  if (entry.ownByPrefix && entry.servicegroupPrefix === '') ctx.addIssue({ code: 'custom', path: ['ownByPrefix'], message: 'expected a non-empty servicegroupPrefix with ownByPrefix' });
});

/** The options a mapping (or `defaults`) sets for a netscaler sink. */
export const netscalerMappingSchema = entrySchema({
  lbvserver: name.optional().describe("The administrator's virtual server to bind the pool to (never created unless createLbvserver, never changed or deleted)."),
  servicegroupType: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, { error: 'expected a NITRO service type such as "HTTP", "TCP", "SSL" or "UDP"' })
    .default(netScalerSinkDefaults.servicetype)
    .describe('servicetype of the servicegroup when Nitrox creates it.'),
});

/** A parsed netscaler entry. */
export type NetscalerEntry = z.output<typeof netscalerEntrySchema>;
/** Parsed netscaler mapping options. */
export type NetscalerMappingOptions = z.output<typeof netscalerMappingSchema>;
