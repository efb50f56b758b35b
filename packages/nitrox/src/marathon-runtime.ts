/**
 * A `sources:` entry of type `marathon`: one `MarathonSource` per distinct port among the entry's mappings
 * (usually one), selecting only the mapped apps, so an event about any other app costs no fetch.
 */
import { ConfigError } from '@nitrox/core';
import { MarathonSource, type MarathonSourceOptions } from '@nitrox/marathon';
import type { SourceRuntime } from './adapters.js';
import type { MarathonSourceConfig } from './config-schema.js';
import { backendSourceOf, groupedSourceRuntime } from './grouped-source.js';
import type { ResolvedMapping } from './load-config.js';
import type { Secret } from './secret.js';
import { readPemFile } from './pem-file.js';

/** Marathon app ids start with `/`; accept `web` for `/web`. */
export function marathonAppId(app: string): string {
  return app.startsWith('/') ? app : `/${app}`;
}

/** Build the runtime of one `marathon` source entry. */
export function marathonRuntime(
  name: string,
  config: MarathonSourceConfig,
  secrets: ReadonlyMap<string, Secret>,
  baseDir: string,
): SourceRuntime {
  const password = secrets.get(`sources.${name}.passwordFrom`)?.reveal();
  if ((config.username === undefined) !== (password === undefined)) {
    throw new ConfigError(`sources.${name}.${config.username === undefined ? 'username' : 'passwordFrom'}`, 'expected both username and passwordFrom, or neither');
  }
  const ca = readPemFile(`sources.${name}.caFile`, config.caFile, baseDir);

  return groupedSourceRuntime(name, 'marathon', {
    groupOf: (m: ResolvedMapping) => String(m.port ?? 0),
    keyOf: (m: ResolvedMapping) => marathonAppId(m.app),
    create(mappings, keys) {
      const options: MarathonSourceOptions = {
        url: config.url,
        select: (app) => keys.has(app.id),
        port: mappings[0]?.port ?? 0,
        ...(config.username !== undefined && password !== undefined ? { auth: { username: config.username, password } } : {}),
        ...(ca || config.insecureSkipTlsVerify ? { tls: { ...(ca ? { ca } : {}), rejectUnauthorized: !config.insecureSkipTlsVerify } } : {}),
      };
      const source = new MarathonSource(options);
      return backendSourceOf(source, () => {
        const s = source.stats;
        return {
          lists: s.snapshots,
          relists: Math.max(0, s.snapshots - 1),
          watchRestarts: s.disconnects,
          errors: s.fetchErrors,
          malformed: s.malformed,
          events: s.events,
        };
      });
    },
  });
}
