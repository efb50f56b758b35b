/**
 * The `haproxy` sink plugin. An entry is one Runtime API client (one admin socket) shared by every pool mapped
 * to it; `HaproxySink` takes one empty-set policy, so the runtime keeps one sink per `allowEmpty` value over
 * the shared client (and the server-state file, if any, shared with every entry naming the same file) and routes each pool to its backend. Commands are counted by result for the host's metrics.
 */
import { resolve } from 'node:path';
import { defineSinkPlugin, type PluginContext, type PoolSettings, type SinkRuntime } from '@nitrox/plugin';
import { HaproxySink } from './haproxy-sink.js';
import { type HaproxyEntry, type HaproxyMappingOptions, haproxyEntrySchema, haproxyMappingSchema } from './plugin-schema.js';
import { RuntimeApiClient } from './runtime-api-client.js';
import { ServerStateFile } from './server-state-file.js';
import { acquireStateFile, releaseStateFile } from './shared-state-files.js';

/** Build the runtime of one `haproxy` sink entry. */
export function haproxyRuntime(entry: HaproxyEntry, context: PluginContext): SinkRuntime<HaproxyMappingOptions> {
  const client = new RuntimeApiClient({ socket: entry.socket, session: entry.session, timeoutMs: entry.timeoutMs });
  const backendOf = new Map<string, string | undefined>();
  const sinks = new Map<boolean, HaproxySink>();
  // One state file per path, shared by the entry's sinks and by every other entry naming the same file: each
  // rewrite holds all their backends.
  const statePath = entry.stateFile === undefined ? undefined : resolve(context.baseDir, entry.stateFile);
  const stateFile = statePath === undefined ? undefined : acquireStateFile(statePath, () => new ServerStateFile(statePath, context.logger));
  return {
    name: context.name,
    pool(settings: PoolSettings<HaproxyMappingOptions>) {
      backendOf.set(settings.pool, settings.options.backend);
      let sink = sinks.get(settings.allowEmpty);
      if (!sink) {
        sink = new HaproxySink({
          client,
          backend: (key) => backendOf.get(key) ?? key,
          mode: entry.mode,
          serverPrefix: entry.serverPrefix,
          defaultWeight: entry.defaultWeight,
          check: entry.check,
          allowEmpty: settings.allowEmpty,
          drainFirst: entry.drainFirst,
          drainTimeoutMs: entry.drainTimeoutMs,
          drainPollMs: entry.drainPollMs,
          restartCheckIntervalMs: entry.restartCheckIntervalMs,
          ...(stateFile ? { stateFile } : {}),
          clock: context.clock,
          logger: context.logger,
        });
        sinks.set(settings.allowEmpty, sink);
      }
      return sink;
    },
    requests: () => ({ ok: client.stats.ok, error: client.stats.error }),
    counters() {
      // Each of the entry's sinks (one per allowEmpty value) checks for restarts on its own: a reload is noticed once
      // per sink. A state file shared with other entries is counted under each of them.
      const stats = [...sinks.values()].map((s) => s.stats);
      const sum = (field: 'restarts' | 'reapplies' | 'errors') => stats.reduce((n, s) => n + s[field], 0);
      return { peerRestarts: sum('restarts'), reapplies: sum('reapplies'), stateWrites: stateFile?.stats.writes ?? 0, errors: sum('errors') + (stateFile?.stats.errors ?? 0) };
    },
    async close() {
      await Promise.all([...sinks.values()].map((s) => s.stop()));
      if (stateFile) releaseStateFile(stateFile);
      await client.close();
    },
  };
}

/** The plugin of `type: haproxy` sink entries. */
export const haproxyPlugin = defineSinkPlugin({
  type: 'haproxy',
  description: 'HAProxy backends over the Runtime API: dynamic servers (or server-template slots) named by a prefix, only what Nitrox added.',
  schema: haproxyEntrySchema,
  mapping: haproxyMappingSchema,
  create: (entry, context) => haproxyRuntime(entry, context),
});
