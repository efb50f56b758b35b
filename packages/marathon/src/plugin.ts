/**
 * The `marathon` source plugin. An entry builds one `MarathonSource` per distinct port among its mappings
 * (usually one), selecting only the mapped apps (and the entry's own `select`), so an event about any other app
 * costs no fetch.
 */
import { ConfigError } from '@nitrox/core';
import { backendSourceOf, ContactTracker, defineSourcePlugin, groupedSourceRuntime, type PluginContext, readPemFile, type SourceRuntime } from '@nitrox/plugin';
import { type AppSelectorCriteria, compileSelector } from './app-selector.js';
import { MarathonSource } from './marathon-source.js';
import type { MarathonTlsOptions } from './marathon-options.js';
import { type MarathonEntry, type MarathonMappingOptions, marathonEntrySchema, marathonMappingSchema } from './plugin-schema.js';
import type { MarathonSourceOptions } from './source-options.js';

/** Marathon app ids start with `/`; accept `web` for `/web`. */
export function marathonAppId(app: string): string {
  return app.startsWith('/') ? app : `/${app}`;
}

function tlsOf(entry: MarathonEntry, context: PluginContext): MarathonTlsOptions | undefined {
  const ca = readPemFile(`${context.path}.caFile`, entry.caFile, context.baseDir);
  const cert = readPemFile(`${context.path}.certFile`, entry.certFile, context.baseDir);
  const key = readPemFile(`${context.path}.keyFile`, entry.keyFile, context.baseDir);
  const passphrase = context.secrets.get('passphraseFrom');
  const tls: MarathonTlsOptions = {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(passphrase ? { passphrase } : {}),
    ...(entry.servername ? { servername: entry.servername } : {}),
    ...(entry.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}),
  };
  return Object.keys(tls).length > 0 ? tls : undefined;
}

function authOf(entry: MarathonEntry, context: PluginContext): MarathonSourceOptions['auth'] {
  const token = context.secrets.get('tokenFrom');
  if (token !== undefined) return { token, type: entry.tokenType };
  const password = context.secrets.get('passwordFrom');
  if (entry.username !== undefined && password !== undefined) return { username: entry.username, password };
  if ((entry.username === undefined) !== (password === undefined)) {
    throw new ConfigError(`${context.path}.${entry.username === undefined ? 'username' : 'passwordFrom'}`, 'expected both username and passwordFrom, or neither');
  }
  return undefined;
}

/** Build the runtime of one `marathon` source entry. */
export function marathonRuntime(entry: MarathonEntry, context: PluginContext): SourceRuntime<MarathonMappingOptions> {
  const auth = authOf(entry, context);
  const tls = tlsOf(entry, context);
  // The schema's output has the criteria's shape (strings only where the library also takes RegExps).
  const selected = compileSelector(entry.select as AppSelectorCriteria | undefined, `${context.path}.select`);
  return groupedSourceRuntime<MarathonMappingOptions>(context.name, 'marathon', {
    groupOf: (m) => String(m.options.port),
    keyOf: (m) => marathonAppId(m.app),
    create(mappings, keys) {
      const options: MarathonSourceOptions = {
        url: entry.url,
        select: (app) => keys.has(app.id) && selected(app),
        port: mappings[0]?.options.port ?? 0,
        addressMode: entry.addressMode,
        health: entry.health,
        unreachableTasks: entry.unreachableTasks,
        resolveHostnames: entry.resolveHostnames,
        healthMemorySize: entry.healthMemorySize,
        maxRedirects: entry.maxRedirects,
        ...(entry.resolver ? { resolver: entry.resolver } : {}),
        events: entry.events,
        idleTimeoutMs: entry.idleTimeoutMs,
        debounceMs: entry.debounceMs,
        maxWaitMs: entry.maxWaitMs,
        snapshotIntervalMs: entry.snapshotIntervalMs,
        maxAppFetches: entry.maxAppFetches,
        fetchConcurrency: entry.fetchConcurrency,
        historyLimit: entry.historyLimit,
        requestTimeoutMs: entry.requestTimeoutMs,
        connectTimeoutMs: entry.connectTimeoutMs,
        clock: context.clock,
        ...(entry.eventTypes ? { eventTypes: entry.eventTypes } : {}),
        ...(entry.backoff ? { backoff: Object.fromEntries(Object.entries(entry.backoff).filter(([, v]) => v !== undefined)) } : {}),
        ...(auth ? { auth } : {}),
        ...(tls ? { tls } : {}),
      };
      const source = new MarathonSource(options);
      // In contact while the event stream is open (when followed) and the last fetch succeeded: a failure or a
      // dropped stream loses contact, the next full snapshot with the stream up (the source takes one on every
      // reconnect) regains it.
      const contact = new ContactTracker(context.clock);
      source.on('disconnected', () => contact.lost());
      source.on('error', () => contact.lost());
      source.on('snapshot', () => {
        if (!entry.events || source.connected) contact.regained();
      });
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
      }, contact);
    },
  });
}

/** The plugin of `type: marathon` source entries. */
export const marathonPlugin = defineSourcePlugin({
  type: 'marathon',
  description: 'Marathon apps and their tasks: the /v2/events stream as interrupts, plus per-app fetches and periodic snapshots.',
  schema: marathonEntrySchema,
  mapping: marathonMappingSchema,
  create: (entry, context) => marathonRuntime(entry, context),
});
