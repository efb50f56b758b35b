/**
 * The host's part of the `nitrox` configuration file (YAML or JSON), in zod 4: logging, the metrics/health
 * listener, the plugins to load, named `sources:` and `sinks:` entries (each only `type:` here — its plugin's
 * schema validates the rest, see resolve-entries.ts), the mappings' own keys, and leader election. The host
 * declares no adapter option: a mapping's adapter-specific keys (`port`, `lbvserver`, …) pass through to the
 * plugins' mapping schemas. Every rule carries a message saying what was expected.
 */
import { duration, entrySchema, formatDuration } from '@nitrox/plugin';
import { z } from 'zod';

/** Built-in defaults of the host's mapping options, used where neither the mapping nor `defaults` says otherwise. */
export const mappingDefaults = {
  /** Long enough to fold a rolling update's burst of endpoint changes into one apply, short enough to feel instant. */
  debounceMs: 100,
  /** Under constant churn, still apply at least once a second. */
  maxWaitMs: 1_000,
  /** Repairs hand-made drift within five minutes without loading the load balancer. */
  resyncMs: 300_000,
  /** An empty desired set is more often a broken source than a real intent: hold the pool unless told otherwise. */
  allowEmpty: false,
} as const;

/** A name of a source, sink, mapping or pool. */
export const name = z
  .string({ error: 'expected a name (a string)' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected a name of letters, digits, ".", "_" or "-"' });

/** A `sources:` or `sinks:` entry as the host sees it: a `type` naming its plugin, the rest for the plugin. */
const entry = z.looseObject({ type: z.string({ error: 'expected type: the plugin of the entry' }).min(1) }, { error: 'expected an entry with a type' });

/** Mapping options of the host, that may also be set once under `defaults`. */
export const hostMappingOptions = {
  debounce: duration.optional().describe(`Coalesce a burst of changes for this long before applying (default ${formatDuration(mappingDefaults.debounceMs)}).`),
  maxWait: duration
    .optional()
    .describe(`Apply at least this often under a constant stream of changes; at least debounce (default ${formatDuration(mappingDefaults.maxWaitMs)}).`),
  resync: duration
    .optional()
    .describe(`Re-apply the complete desired set this often, repairing drift made by hand; 0 = off (default ${formatDuration(mappingDefaults.resyncMs)}).`),
  allowEmpty: z
    .boolean({ error: 'expected true or false' })
    .optional()
    .describe(
      `Let an empty desired set (also: an app the source no longer holds) empty the pool; otherwise it is held and logged (default ${mappingDefaults.allowEmpty}).`,
    ),
};

/** The host's keys of a mapping; any other key belongs to the source's or the sink's plugin. */
export const hostMappingKeys = {
  name: name.optional().describe('Name in logs and metrics (default: SOURCE:APP->SINK:POOL, the app spelled as a default pool name, e.g. cluster:shop-web->adc:web).'),
  source: name.describe('Name of a source entry.'),
  app: z
    .string({ error: 'expected the application in the source (its key there, as the source plugin documents)' })
    .min(1)
    .describe('The application in the source.'),
  sink: name.describe('Name of a sink entry.'),
  pool: name.optional().describe('The pool the mapping owns in the sink (default: the app without leading "/", each run of other characters than letters, digits, ".", "_", "-" turned into one "-").'),
  ...hostMappingOptions,
};

/**
 * Leader election, so that only one replica writes to the sinks: over a lease that a source's plugin offers
 * (`type: source`, the default), or over etcd (`type: etcd`, `@nitrox/etcd`) for deployments without Kubernetes.
 */
export const leaderElectionConfig = entrySchema({
  type: z
    .enum(['source', 'etcd'], { error: 'expected "source" or "etcd"' })
    .default('source')
    .describe('Where the lease lives: "source" (a lease the named source\'s plugin offers) or "etcd".'),
  source: name.optional().describe('type source: a source whose plugin offers a lease (see nitrox plugins).'),
  endpoints: z
    .array(z.url({ error: 'expected an etcd client URL, e.g. "http://10.0.0.1:2379"' }), { error: 'expected a list of etcd client URLs' })
    .min(1, { error: 'expected at least one etcd client URL' })
    .optional()
    .describe('type etcd: the etcd client URLs.'),
  prefix: z.string().min(1).default('/nitrox/').describe('type etcd: key prefix; the lock record is at <prefix><namespace>/<name>.'),
  namespace: z.string().min(1).default('default').describe('Namespace of the lease.'),
  name: z.string().min(1).default('nitrox').describe('Name of the lease.'),
  identity: z.string().min(1).optional().describe("This replica's identity in the lease (default: $HOSTNAME-pid, the pod name in a Deployment)."),
  leaseDuration: duration.default(15_000).describe('How long a lease is valid without renewal.'),
  renewDeadline: duration.default(10_000).describe('Give up leading when renewal failed for this long (< leaseDuration).'),
  retryPeriod: duration.default(2_000).describe('How often to try to acquire or renew (< renewDeadline / 1.2).'),
});

/** Built-in defaults of the `readiness:` section. */
export const readinessDefaults = {
  /** A source out of contact this long is not a blip (watch restarts, one failed read take seconds): not ready. */
  sourceGraceMs: 60_000,
} as const;

/** What `/readyz` tolerates. */
export const readinessConfig = entrySchema({
  sourceGrace: duration
    .default(readinessDefaults.sourceGraceMs)
    .describe(`/readyz turns false when a source has been out of contact with its peer longer than this (default ${formatDuration(readinessDefaults.sourceGraceMs)}).`),
});

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, { error: 'expected "host:port", e.g. "0.0.0.0:9090" (port 0 picks one)' });

/** The whole file, as the host validates it before the plugins validate their entries. */
export const nitroxConfig = entrySchema({
  version: z.literal(1, { error: 'expected version 1' }).optional(),
  log: entrySchema({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).default({ level: 'info' }),
  http: entrySchema({ listen: listen.default('0.0.0.0:9090') }).default({ listen: '0.0.0.0:9090' }),
  readiness: readinessConfig.default({ sourceGrace: readinessDefaults.sourceGraceMs }),
  plugins: z.array(z.string({ error: 'expected a package name or a path' }).min(1), { error: 'expected a list of packages' }).default([]),
  sources: z.record(name, entry, { error: 'expected a map of source name → source' }),
  sinks: z.record(name, entry, { error: 'expected a map of sink name → sink' }),
  defaults: z.looseObject(hostMappingOptions).default({}),
  mappings: z.array(z.looseObject(hostMappingKeys), { error: 'expected a list of mappings' }).min(1, { error: 'expected at least one mapping' }),
  leaderElection: leaderElectionConfig.optional(),
}).superRefine((config, ctx) => {
  const le = config.leaderElection;
  if (le) {
    if (le.type === 'source' && le.source === undefined) {
      ctx.addIssue({ code: 'custom', path: ['leaderElection', 'source'], message: 'expected the name of a source whose plugin offers a lease (or type: etcd)' });
    }
    if (le.type === 'etcd' && le.endpoints === undefined) {
      ctx.addIssue({ code: 'custom', path: ['leaderElection', 'endpoints'], message: 'expected the etcd client URLs (type etcd)' });
    }
    if (le.renewDeadline >= le.leaseDuration) ctx.addIssue({ code: 'custom', path: ['leaderElection', 'renewDeadline'], message: 'expected less than leaseDuration' });
    if (le.retryPeriod * 1.2 >= le.renewDeadline) ctx.addIssue({ code: 'custom', path: ['leaderElection', 'retryPeriod'], message: 'expected less than renewDeadline / 1.2 (the elector renews up to 1.2 × retryPeriod apart)' });
  }
});

/** The pool name used when a mapping names none: the app without leading `/`, each run of other characters than letters, digits, `.`, `_`, `-` turned into one `-` (`/shop/web` → `shop-web`). */
export function defaultPoolName(app: string): string {
  return app.replace(/^\/+/, '').replace(/[^A-Za-z0-9_.-]+/g, '-');
}

/**
 * The mapping name used in logs and metrics when a mapping names none: `<source>:<app>-><sink>:<pool>`, the app
 * spelled as {@link defaultPoolName} spells it and the pool as the mapping names it (`cluster:shop-web->adc:web`).
 */
export function defaultMappingName(m: { source: string; app: string; sink: string; pool?: string | undefined }): string {
  return `${m.source}:${defaultPoolName(m.app)}->${m.sink}:${m.pool ?? defaultPoolName(m.app)}`;
}

/** The configuration file as written (before defaults). */
export type NitroxConfigInput = z.input<typeof nitroxConfig>;
/** The host's part of the configuration after validation and defaults. */
export type NitroxConfigParsed = z.output<typeof nitroxConfig>;
/** A mapping's host keys, parsed (plugin keys alongside, unparsed). */
export type MappingConfig = z.output<typeof nitroxConfig>['mappings'][number];
/** Parsed leader-election settings. */
export type LeaderElectionConfig = z.output<typeof leaderElectionConfig>;
