/**
 * A `sources:` entry of type `swarm`: one `SwarmSource` (Engine events for speed, polling for completeness)
 * selecting only the mapped services by name. Which port a service publishes to the pool comes from the
 * service's own labels, as the `@nitrox/swarm` projection defines; a mapping's `port` is not used.
 */
import { ConfigError } from '@nitrox/core';
import { SwarmSource, type SwarmSourceOptions } from '@nitrox/swarm';
import type { SourceRuntime } from './adapters.js';
import type { SwarmSourceConfig } from './config-schema.js';
import { backendSourceOf, groupedSourceRuntime } from './grouped-source.js';

/** Engine connection options from the `url` of a swarm source (`http(s)://host:port`). */
function connectionOf(name: string, config: SwarmSourceConfig): SwarmSourceOptions['connection'] {
  if (config.socketPath) return { socketPath: config.socketPath };
  if (!config.url) return undefined;
  const url = new URL(config.url);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port ? Number(url.port) : protocol === 'https' ? 2376 : 2375;
  if (url.pathname !== '/' && url.pathname !== '') throw new ConfigError(`sources.${name}.url`, 'expected a URL without a path');
  return { host: url.hostname, port, protocol };
}

/** Build the runtime of one `swarm` source entry. */
export function swarmRuntime(name: string, config: SwarmSourceConfig): SourceRuntime {
  const connection = connectionOf(name, config);
  return groupedSourceRuntime(name, 'swarm', {
    groupOf: () => 'all',
    keyOf: (m) => m.app,
    create(_mappings, keys) {
      const source = new SwarmSource({
        ...(connection ? { connection } : {}),
        select: { names: [...keys] },
        ...(config.pollInterval ? { pollIntervalMs: config.pollInterval } : {}),
      });
      return backendSourceOf(source, () => {
        const s = source.stats;
        return {
          lists: s.fullPasses,
          relists: Math.max(0, s.fullPasses - 1),
          watchRestarts: Math.max(0, s.eventConnects - 1),
          errors: s.errors,
          malformed: s.malformed,
          events: s.events,
        };
      });
    },
  });
}
