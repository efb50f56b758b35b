/**
 * Loading a `KubeConfig` the way `kubectl` finds one, with the two choices a controller's configuration
 * usually names: a kubeconfig file and a context. Kept here so the CLI and users do not each reimplement the
 * precedence rules.
 */
import { accessSync, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '@nitrox/core';

/** Where client-node's default search finds a service-account token inside a pod. */
export const serviceAccountTokenPath = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Where the default search (`$KUBECONFIG`, then `~/.kube/config`, then the in-cluster service account) would
 * find a configuration, or the places it looked in: when it finds none, client-node silently falls back to
 * `http://localhost:8080`, which is never what a user meant.
 */
export function defaultKubeConfigSearch(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): { found: string } | { looked: string[] } {
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (files.length > 0) return { found: `$KUBECONFIG (${files.join(delimiter)})` };
  const looked = ['$KUBECONFIG (unset)'];
  const home = platform === 'win32' ? (env.USERPROFILE ?? env.HOME) : env.HOME;
  let homeOk = false;
  try {
    if (home) accessSync(home);
    homeOk = home !== undefined && home !== '';
  } catch {
    // client-node skips an inaccessible home too
  }
  if (homeOk) {
    const config = join(home as string, '.kube', 'config');
    if (existsSync(config)) return { found: config };
    looked.push(`${config} (absent)`);
  } else {
    looked.push('~/.kube/config ($HOME unset or unreadable)');
  }
  if (platform === 'win32') return { found: 'WSL (not checked)' };
  if (existsSync(serviceAccountTokenPath)) return { found: 'the in-cluster service account' };
  looked.push(`the in-cluster service account (${serviceAccountTokenPath} absent)`);
  return { looked };
}

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
    else {
      const search = defaultKubeConfigSearch();
      if ('looked' in search) throw new ConfigError('kubernetes.kubeconfig', `no kubeconfig found (looked in ${search.looked.join(', ')})`);
      kc.loadFromDefault();
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
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
