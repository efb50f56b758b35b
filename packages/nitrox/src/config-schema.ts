/**
 * The schema of the `nitrox` configuration file (YAML or JSON), in zod 4. It declares named sources
 * (orchestrators), named sinks (load balancers) and mappings — which application of which source feeds which
 * pool of which sink — plus logging, the metrics/health HTTP listener and optional leader election. Secrets are
 * never accepted inline: they come from environment variables or files (`passwordFrom: { env } | { file }`).
 * Every rule carries a message saying what was expected, so that a `ConfigError` names the path and the fix.
 */
import { z } from 'zod';
import { durationPattern, parseDuration } from './duration.js';

/**
 * A `z.strictObject` whose unknown-key error says what was expected: the keys the section accepts. (A typo
 * must never fall back silently to a default, and the message should show the right spelling.)
 */
function strict<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: expected only ${known}`
        : undefined,
  });
}

const name = z
  .string({ error: 'expected a name (a string)' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected a name of letters, digits, ".", "_" or "-"' });

const durationExpected = 'expected a duration: milliseconds (a non-negative integer) or a string like "250ms", "30s", "5m"';
/** A duration: milliseconds, or a string such as `250ms`, `30s`, `5m`, `1h`; parsed to milliseconds. */
export const duration = z
  .union(
    [
      z.number({ error: durationExpected }).int({ error: durationExpected }).nonnegative({ error: durationExpected }),
      z.string({ error: durationExpected }).regex(durationPattern, { error: durationExpected }),
    ],
    { error: durationExpected },
  )
  .transform((value) => parseDuration(value) as number);

/** Where a secret comes from: an environment variable or a file (trailing newline trimmed). */
export const secretRef = z.union(
  [
    strict({ env: z.string().min(1) }),
    strict({ file: z.string().min(1) }),
  ],
  { error: 'expected { env: VARIABLE } or { file: /path/to/secret } (inline secrets are not accepted)' },
);

const inlineSecret = z
  .never({ error: 'inline secrets are not accepted: use passwordFrom/tokenFrom with { env } or { file }' })
  .optional();

const tls = {
  /** Skip verification of the peer's TLS certificate (test setups only). */
  insecureSkipTlsVerify: z.boolean({ error: 'expected true or false' }).default(false),
  /** PEM file of the CA that signed the peer's certificate. */
  caFile: z.string().min(1).optional(),
};

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** A Kubernetes cluster: a server URL and token, or a kubeconfig (default: $KUBECONFIG, then ~/.kube/config, then the in-cluster service account). */
export const kubernetesSource = strict({
  type: z.literal('kubernetes'),
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  server: httpUrl.optional(),
  tokenFrom: secretRef.optional(),
  token: inlineSecret,
  namespace: z.string().min(1).optional(),
  endpoints: z.enum(['endpointslices', 'endpoints'], { error: 'expected "endpointslices" or "endpoints"' }).default('endpointslices'),
  ...tls,
});

/** A Marathon master. */
export const marathonSource = strict({
  type: z.literal('marathon'),
  url: httpUrl,
  username: z.string().min(1).optional(),
  passwordFrom: secretRef.optional(),
  password: inlineSecret,
  ...tls,
});

/** A Docker Swarm manager (Engine API over a unix socket or HTTP). */
export const swarmSource = strict({
  type: z.literal('swarm'),
  socketPath: z.string().min(1).optional(),
  url: httpUrl.optional(),
  pollInterval: duration.optional(),
});

/** One source entry; `type` selects the adapter. */
export const sourceConfig = z.discriminatedUnion('type', [kubernetesSource, marathonSource, swarmSource], {
  error: 'expected a source with type "kubernetes", "marathon" or "swarm"',
});

/** A NetScaler (Citrix ADC) reached over NITRO. */
export const netscalerSink = strict({
  type: z.literal('netscaler'),
  url: httpUrl,
  username: z.string().min(1).optional(),
  usernameFrom: secretRef.optional(),
  passwordFrom: secretRef,
  password: inlineSecret,
  maxConcurrency: z.number().int().min(1).max(64).optional(),
  timeout: duration.optional(),
  ...tls,
});

/** One sink entry; `type` selects the adapter. */
export const sinkConfig = z.discriminatedUnion('type', [netscalerSink], { error: 'expected a sink with type "netscaler"' });

/** Mapping options that may also be set once under `defaults`. */
const mappingOptions = {
  /** Kubernetes: `nodeport` (node address : nodePort, nodes running a ready pod) or `pod` (pod IP : target port). */
  mode: z.enum(['nodeport', 'pod'], { error: 'expected "nodeport" or "pod"' }).optional(),
  /** Type of the servicegroup created for the pool. */
  servicegroupType: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, { error: 'expected a NITRO service type such as "HTTP", "TCP", "SSL" or "UDP"' })
    .optional(),
  /** Coalesce a burst of changes for this long before applying. */
  debounce: duration.optional(),
  /** Apply at least this often under a constant stream of changes. */
  maxWait: duration.optional(),
  /** Re-apply the complete desired set this often, repairing drift made by hand (0 = off). */
  resync: duration.optional(),
  /** Let an empty desired set empty the pool (otherwise it is held and logged). */
  allowEmpty: z.boolean({ error: 'expected true or false' }).optional(),
};

const portExpected = 'expected a port name, or a number (Marathon: index into the task ports)';

/** Which application of which source feeds which pool of which sink. */
export const mappingConfig = strict({
  name: name.optional(),
  source: name,
  app: z.string({ error: 'expected the application (Kubernetes "namespace/service", Marathon "/app", Swarm service name)' }).min(1),
  sink: name,
  pool: name.optional(),
  lbvserver: name.optional(),
  port: z
    .union(
      [
        z.number({ error: portExpected }).int({ error: portExpected }).min(0, { error: portExpected }).max(65_535, { error: portExpected }),
        z.string({ error: portExpected }).min(1, { error: portExpected }),
      ],
      { error: portExpected },
    )
    .optional(),
  ...mappingOptions,
});

/** Leader election over a Kubernetes Lease, so that only one replica writes to the sinks. */
export const leaderElectionConfig = strict({
  source: name,
  namespace: z.string().min(1).default('default'),
  name: z.string().min(1).default('nitrox'),
  identity: z.string().min(1).optional(),
  leaseDuration: duration.default(15_000),
  renewDeadline: duration.default(10_000),
  retryPeriod: duration.default(2_000),
});

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, { error: 'expected "host:port", e.g. "0.0.0.0:9090" (port 0 picks one)' });

/** The whole file. */
export const nitroxConfig = strict({
    version: z.literal(1, { error: 'expected version 1' }).optional(),
    log: strict({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).default({ level: 'info' }),
    http: strict({ listen: listen.default('0.0.0.0:9090') }).default({ listen: '0.0.0.0:9090' }),
    sources: z.record(name, sourceConfig, { error: 'expected a map of source name → source' }),
    sinks: z.record(name, sinkConfig, { error: 'expected a map of sink name → sink' }),
    defaults: strict(mappingOptions).default({}),
    mappings: z.array(mappingConfig, { error: 'expected a list of mappings' }).min(1, { error: 'expected at least one mapping' }),
    leaderElection: leaderElectionConfig.optional(),
  })
  .superRefine((config, ctx) => {
    // Settings that exclude or need each other, checked here so that `validate` reports them too.
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    for (const [n, source] of Object.entries(config.sources)) {
      if (source.type === 'kubernetes') {
        if (source.server && source.kubeconfig) issue(['sources', n, 'kubeconfig'], 'expected either server or kubeconfig, not both');
        if (source.tokenFrom && 'env' in source.tokenFrom && !source.server) issue(['sources', n, 'tokenFrom'], 'expected server with tokenFrom: { env } (with a kubeconfig, use the kubeconfig user)');
      }
      if (source.type === 'marathon' && (source.username === undefined) !== (source.passwordFrom === undefined)) {
        issue(['sources', n, source.username === undefined ? 'username' : 'passwordFrom'], 'expected username and passwordFrom together (or neither)');
      }
      if (source.type === 'swarm' && source.socketPath && source.url) issue(['sources', n, 'url'], 'expected either socketPath or url, not both');
    }
    for (const [n, sink] of Object.entries(config.sinks)) {
      if (sink.username !== undefined && sink.usernameFrom !== undefined) issue(['sinks', n, 'usernameFrom'], 'expected username or usernameFrom, not both');
    }
    const pools = new Map<string, number>();
    config.mappings.forEach((m, i) => {
      const source = config.sources[m.source];
      if (!source) ctx.addIssue({ code: 'custom', path: ['mappings', i, 'source'], message: `expected one of the sources (${Object.keys(config.sources).join(', ') || 'none declared'}), got "${m.source}"` });
      if (!config.sinks[m.sink]) ctx.addIssue({ code: 'custom', path: ['mappings', i, 'sink'], message: `expected one of the sinks (${Object.keys(config.sinks).join(', ') || 'none declared'}), got "${m.sink}"` });
      if (source?.type === 'kubernetes' && source.namespace && m.app.includes('/') && !m.app.startsWith(`${source.namespace}/`)) {
        ctx.addIssue({ code: 'custom', path: ['mappings', i, 'app'], message: `expected a service in namespace "${source.namespace}" (the source is restricted to it), got "${m.app}"` });
      }
      if (m.port !== undefined && source?.type === 'swarm') ctx.addIssue({ code: 'custom', path: ['mappings', i, 'port'], message: 'expected no port: a swarm service names its port with the label nitrox.port' });
      if (typeof m.port === 'number' && source?.type === 'kubernetes') ctx.addIssue({ code: 'custom', path: ['mappings', i, 'port'], message: 'expected the name of the service port (kubernetes sources select ports by name)' });
      if (m.mode !== undefined && source && source.type !== 'kubernetes') ctx.addIssue({ code: 'custom', path: ['mappings', i, 'mode'], message: 'expected no mode: it applies to kubernetes sources only' });
      const poolKey = `${m.sink}/${m.pool ?? defaultPoolName(m.app)}`;
      const first = pools.get(poolKey);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['mappings', i, 'pool'], message: `expected a pool no other mapping owns: mappings[${first}] already feeds ${poolKey}` });
      else pools.set(poolKey, i);
    });
    const names = new Map<string, number>();
    config.mappings.forEach((m, i) => {
      const n = m.name ?? defaultMappingName(m);
      if (names.has(n)) ctx.addIssue({ code: 'custom', path: ['mappings', i, 'name'], message: `expected a unique mapping name, "${n}" is used twice` });
      names.set(n, i);
    });
    const le = config.leaderElection;
    if (le) {
      const src = config.sources[le.source];
      if (src?.type !== 'kubernetes') ctx.addIssue({ code: 'custom', path: ['leaderElection', 'source'], message: `expected the name of a kubernetes source, got "${le.source}"` });
      if (le.renewDeadline >= le.leaseDuration) ctx.addIssue({ code: 'custom', path: ['leaderElection', 'renewDeadline'], message: 'expected less than leaseDuration' });
      if (le.retryPeriod >= le.renewDeadline) ctx.addIssue({ code: 'custom', path: ['leaderElection', 'retryPeriod'], message: 'expected less than renewDeadline' });
    }
  });

/** The pool (servicegroup) name used when a mapping names none: the app with `/` turned into `-`. */
export function defaultPoolName(app: string): string {
  return app.replace(/^\/+/, '').replace(/[^A-Za-z0-9_.-]+/g, '-');
}

/** The mapping name used in logs and metrics when a mapping names none: `<source>/<app>-><sink>/<pool>`. */
export function defaultMappingName(m: { source: string; app: string; sink: string; pool?: string | undefined }): string {
  return `${m.source}:${defaultPoolName(m.app)}->${m.sink}:${m.pool ?? defaultPoolName(m.app)}`;
}

/** The configuration file as written (before defaults). */
export type NitroxConfigInput = z.input<typeof nitroxConfig>;
/** The configuration after validation and defaults. */
export type NitroxConfigParsed = z.output<typeof nitroxConfig>;
/** A secret reference. */
export type SecretRef = z.output<typeof secretRef>;
/** A parsed source entry. */
export type SourceConfig = z.output<typeof sourceConfig>;
/** A parsed sink entry. */
export type SinkConfig = z.output<typeof sinkConfig>;
/** A parsed Kubernetes source entry. */
export type KubernetesSourceConfig = z.output<typeof kubernetesSource>;
/** A parsed Marathon source entry. */
export type MarathonSourceConfig = z.output<typeof marathonSource>;
/** A parsed Swarm source entry. */
export type SwarmSourceConfig = z.output<typeof swarmSource>;
/** A parsed NetScaler sink entry. */
export type NetScalerSinkConfig = z.output<typeof netscalerSink>;
/** A parsed mapping as written. */
export type MappingConfig = z.output<typeof mappingConfig>;
/** Parsed leader-election settings. */
export type LeaderElectionConfig = z.output<typeof leaderElectionConfig>;
