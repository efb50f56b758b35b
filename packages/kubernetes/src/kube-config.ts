/**
 * Loading a `KubeConfig` the way `kubectl` finds one, with the two choices a controller's configuration
 * usually names: a kubeconfig file and a context. Kept here so the CLI and users do not each reimplement the
 * precedence rules.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '@nitrox/core';

/** Options of {@link loadKubeConfig}. */
export interface LoadKubeConfigOptions {
  /** A kubeconfig file. @defaultValue `$KUBECONFIG`, else `~/.kube/config`, else the in-cluster service account */
  path?: string;
  /** Context to use instead of the file's `current-context`. */
  context?: string;
  /** Use the in-cluster service account (`KUBERNETES_SERVICE_HOST`, token and CA files) and nothing else. @defaultValue false */
  inCluster?: boolean;
}

/**
 * Load a `KubeConfig`. Reads files (the only function of this package that does I/O at call time).
 *
 * @throws {@link ConfigError} (path `kubernetes.kubeconfig` or `kubernetes.context`) when the file cannot be read or
 * the context does not exist.
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.inCluster) kc.loadFromCluster();
    else if (options.path !== undefined) kc.loadFromFile(options.path);
    else kc.loadFromDefault();
  } catch (error) {
    const where = options.inCluster ? 'the in-cluster service account' : (options.path ?? 'the default kubeconfig');
    throw new ConfigError('kubernetes.kubeconfig', `cannot load ${where}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  if (options.context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === options.context)) {
      throw new ConfigError('kubernetes.context', `no context named "${options.context}" (have: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()?.server) throw new ConfigError('kubernetes.kubeconfig', 'the current context has no cluster with a server URL');
  return kc;
}
