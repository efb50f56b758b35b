/**
 * The `kubernetes` source plugin: what the `nitrox` host (or any other) needs to run this adapter from a
 * configuration file — the entry and mapping schemas (plugin-schema.ts), a factory building one shared set of
 * informers per entry (plugin-runtime.ts), the mapping check that a service lies in the entry's namespace,
 * and a Lease lock on the same cluster for leader election.
 */
import { defineSourcePlugin } from '@nitrox/plugin';
import { KubernetesLeaseLock } from './kubernetes-lease-lock.js';
import { kubeAccess, kubeConnection, kubernetesRuntime } from './plugin-runtime.js';
import { kubernetesEntrySchema, kubernetesMappingSchema } from './plugin-schema.js';

/** The plugin of `type: kubernetes` source entries. */
export const kubernetesPlugin = defineSourcePlugin({
  type: 'kubernetes',
  description: 'Kubernetes Services and their EndpointSlices (or Endpoints) and Nodes, over list+watch.',
  schema: kubernetesEntrySchema,
  mapping: kubernetesMappingSchema,
  checkMapping(entry, mapping) {
    if (entry.namespace && entry.namespace !== '*' && mapping.app.includes('/') && !mapping.app.startsWith(`${entry.namespace}/`)) {
      return [{ key: 'app', message: `expected a service in namespace "${entry.namespace}" (the source is restricted to it), got "${mapping.app}"` }];
    }
    return [];
  },
  // Without server, kubeconfig or inCluster, client-node would silently fall back to http://localhost:8080 when its
  // default search finds nothing: validate says where it looked instead (local files only).
  checkEntry(entry, context) {
    if (entry.server || entry.kubeconfig || entry.inCluster) return;
    kubeAccess(entry, context);
  },
  create: (entry, context) => kubernetesRuntime(entry, context),
  async leaseLock(entry, context, lease) {
    const connection = kubeConnection(entry, kubeAccess(entry, context), context);
    return {
      lock: new KubernetesLeaseLock({ connection, namespace: lease.namespace, name: lease.name }),
      close: () => connection.close(),
    };
  },
});
