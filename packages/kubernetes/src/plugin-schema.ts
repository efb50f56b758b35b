/**
 * The configuration of a `kubernetes` source entry and of a mapping that reads from one, in zod, under the
 * option names of {@link KubernetesSourceOptions} and {@link KubeConnectionOptions}. Used by the plugin
 * (plugin.ts); documented in docs/configuration.md, which a test checks against these schemas.
 */
import { backoffSchema, duration, entrySchema, httpUrl, inlineSecret, secretRef, tlsOptions } from '@nitrox/plugin';
import { z } from 'zod';
import { kubeConnectionDefaults } from './kube-connection.js';
import { kubeListWatchDefaults } from './kube-list-watch.js';
import { kubernetesSourceDefaults } from './kubernetes-source.js';

/** A `kubernetes` entry under `sources:`. */
export const kubernetesEntrySchema = entrySchema({
  kubeconfig: z.string().min(1).optional().describe('kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the in-cluster service account).'),
  context: z.string().min(1).optional().describe("Context of the kubeconfig to use instead of its current-context."),
  inCluster: z.boolean().default(false).describe('Use the in-cluster service account and nothing else.'),
  server: httpUrl.optional().describe('API server URL (instead of a kubeconfig).'),
  tokenFrom: secretRef.optional().describe('Bearer token; a file is re-read every tokenRefreshMs (projected service-account tokens rotate).'),
  token: inlineSecret('tokenFrom'),
  namespace: z.string().min(1).optional().describe("Namespace to watch; '*' for every namespace (default: the mapped services' namespace, else the context's, else 'default')."),
  labelSelector: z.string().min(1).optional().describe('Follow only the services matching this label selector (applied by the server).'),
  endpointsApi: z
    .enum(['endpointslices', 'endpoints'], { error: 'expected "endpointslices" or "endpoints"' })
    .default(kubernetesSourceDefaults.endpointsApi)
    .describe('Read discovery.k8s.io/v1 EndpointSlices or v1 Endpoints.'),
  nodeAddressType: z
    .enum(['InternalIP', 'ExternalIP'], { error: 'expected "InternalIP" or "ExternalIP"' })
    .default(kubernetesSourceDefaults.nodeAddressType)
    .describe('Node address used in nodeport mode.'),
  includeNotReady: z.boolean().default(kubernetesSourceDefaults.includeNotReady).describe('Include endpoints that are not ready.'),
  watchTimeoutSeconds: z.number().int().min(1).optional().describe('Server-side watch timeout (default: 300–600 s at random per watch, as client-go).'),
  idleTimeoutMs: duration.optional().describe('Reopen a watch silent for this long (default: the watch timeout plus 30 s).'),
  pageSize: z.number().int().min(1).default(kubeListWatchDefaults.pageSize).describe('List page size.'),
  resyncMs: duration.default(0).describe("Re-emit every cached object this often (0 = off); the mapping's resync already re-applies pools."),
  tokenRefreshMs: duration.default(kubeConnectionDefaults.tokenRefreshMs).describe('How often a token file is re-read.'),
  headersTimeoutMs: duration.default(kubeConnectionDefaults.headersTimeoutMs).describe('Timeout for the response headers of every request.'),
  backoff: backoffSchema.optional().describe("Reconnect backoff (default: client-go's 800 ms doubling to 30 s, reset after 2 min healthy)."),
  ...tlsOptions,
}).superRefine((entry, ctx) => {
  if (entry.server && entry.kubeconfig) ctx.addIssue({ code: 'custom', path: ['kubeconfig'], message: 'expected either server or kubeconfig, not both' });
  if (entry.tokenFrom && 'env' in entry.tokenFrom && !entry.server) {
    ctx.addIssue({ code: 'custom', path: ['tokenFrom'], message: 'expected server with tokenFrom: { env } (with a kubeconfig, use the kubeconfig user)' });
  }
});

/** The options a mapping (or `defaults`) sets for a kubernetes source. */
export const kubernetesMappingSchema = entrySchema({
  mode: z
    .enum(['nodeport', 'pod'], { error: 'expected "nodeport" or "pod"' })
    .default('nodeport')
    .describe('nodeport: node address : nodePort of the nodes running a ready pod (what the original Nitrox did); pod: pod IP : target port.'),
  port: z
    .string({ error: 'expected the name of the service port (kubernetes sources select ports by name)' })
    .min(1)
    .optional()
    .describe('Name of the service port (default: the first port).'),
});

/** A parsed kubernetes entry. */
export type KubernetesEntry = z.output<typeof kubernetesEntrySchema>;
/** Parsed kubernetes mapping options. */
export type KubernetesMappingOptions = z.output<typeof kubernetesMappingSchema>;
