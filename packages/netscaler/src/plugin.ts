/**
 * The `netscaler` sink plugin. An entry is one NITRO client (one login session, one concurrency cap) per
 * appliance, shared by every pool mapped to it. `NetScalerSink` takes one service type and one empty-set
 * policy, so the runtime keeps one sink per distinct (servicegroup type, allowEmpty) pair over the shared
 * client, and routes each pool to its lbvserver. Requests are counted by result for the host's metrics.
 */
import { ConfigError } from '@nitrox/core';
import { defineSinkPlugin, type PluginContext, type PoolSettings, readPemFile, type SinkRuntime } from '@nitrox/plugin';
import { NitroErrorCode } from './nitro-types.js';
import { NitroClient } from './nitro-client.js';
import type { NitroClientOptions } from './nitro-client-options.js';
import { NetScalerSink } from './netscaler-sink.js';
import { type NetscalerEntry, type NetscalerMappingOptions, netscalerEntrySchema, netscalerMappingSchema } from './plugin-schema.js';

/**
 * Requests by result, from the client's own counters: every HTTP request (logins and retries included). A "no such
 * resource" answer is a valid answer to a read, so it counts as ok.
 */
function requestsByResult(client: NitroClient): { ok: number; error: number } {
  const { requests, results } = client.stats;
  const ok = (results.ok ?? 0) + (results[`errorcode:${NitroErrorCode.noSuchResource}`] ?? 0);
  return { ok, error: requests - ok };
}

/** Build the runtime of one `netscaler` sink entry. */
export function netscalerRuntime(entry: NetscalerEntry, context: PluginContext): SinkRuntime<NetscalerMappingOptions> {
  const { path } = context;
  const username = entry.username ?? context.secrets.get('usernameFrom');
  const password = context.secrets.get('passwordFrom');
  if (username === undefined) throw new ConfigError(`${path}.username`, 'expected a username');
  if (password === undefined) throw new ConfigError(`${path}.passwordFrom`, 'expected a password reference');
  const ca = readPemFile(`${path}.caFile`, entry.caFile, context.baseDir);
  const options: NitroClientOptions = {
    url: entry.url,
    username,
    password,
    auth: entry.auth,
    sessionTimeoutSeconds: entry.sessionTimeoutSeconds,
    insecureSkipVerify: entry.insecureSkipTlsVerify,
    maxConcurrent: entry.maxConcurrent,
    timeoutMs: entry.timeoutMs,
    clock: context.clock,
    logger: context.logger,
    ...(ca ? { ca } : {}),
  };
  let client: NitroClient;
  try {
    client = new NitroClient(options);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${path}.${err.path}`, err.message.replace(`${err.path}: `, ''));
    throw err;
  }
  const lbvserverOf = new Map<string, string | undefined>();
  const sinks = new Map<string, NetScalerSink>();
  return {
    name: context.name,
    pool(settings: PoolSettings<NetscalerMappingOptions>) {
      lbvserverOf.set(settings.pool, settings.options.lbvserver);
      const id = `${settings.options.servicegroupType}|${settings.allowEmpty}`;
      let sink = sinks.get(id);
      if (!sink) {
        sink = new NetScalerSink({
          client,
          lbvserver: (key) => lbvserverOf.get(key),
          servicegroupName: (key) => `${entry.servicegroupPrefix}${key}`,
          servicetype: settings.options.servicegroupType,
          allowEmpty: settings.allowEmpty,
          servicegroupPrefix: entry.servicegroupPrefix,
          ownerComment: entry.ownerComment,
          ownByPrefix: entry.ownByPrefix,
          graceful: entry.graceful,
          bindMethod: entry.bindMethod,
          bulkUnbind: entry.bulkUnbind,
          bulkSize: entry.bulkSize,
          defaultWeight: entry.defaultWeight,
          verifyIntervalMs: entry.verifyIntervalMs,
          clock: context.clock,
          logger: context.logger,
          ...(entry.createLbvserver ? { createLbvserver: entry.createLbvserver } : {}),
          ...(entry.gracefulDelaySeconds ? { gracefulDelaySeconds: entry.gracefulDelaySeconds } : {}),
        });
        sinks.set(id, sink);
      }
      return sink;
    },
    requests: () => requestsByResult(client),
    close: () => client.close(),
  };
}

/** The plugin of `type: netscaler` sink entries. */
export const netscalerPlugin = defineSinkPlugin({
  type: 'netscaler',
  description: 'Citrix ADC / NetScaler servicegroups over the NITRO REST API: members bound by IP, only what Nitrox owns.',
  schema: netscalerEntrySchema,
  mapping: netscalerMappingSchema,
  create: (entry, context) => netscalerRuntime(entry, context),
});
