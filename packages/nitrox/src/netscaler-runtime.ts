/**
 * A `sinks:` entry of type `netscaler` at run time: one NITRO client (one login session, one concurrency cap)
 * per appliance, shared by every pool mapped to it. The `@nitrox/netscaler` sink takes one service type and
 * one empty-set policy, so this runtime keeps one `NetScalerSink` per distinct (servicegroup type, allowEmpty)
 * pair over the shared client, and routes each pool to its lbvserver. Requests are counted by result for the
 * `nitrox_sink_requests_total` metric.
 */
import { ConfigError } from '@nitrox/core';
import { NetScalerSink, NitroClient, type NitroClientOptions, NitroErrorCode } from '@nitrox/netscaler';
import type { Logger } from 'pino';
import type { PoolSettings, SinkRuntime } from './adapters.js';
import type { NetScalerSinkConfig } from './config-schema.js';
import type { Secret } from './secret.js';
import { readPemFile } from './pem-file.js';

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
export function netscalerRuntime(
  name: string,
  config: NetScalerSinkConfig,
  secrets: ReadonlyMap<string, Secret>,
  logger: Logger,
  baseDir: string,
): SinkRuntime {
  const path = `sinks.${name}`;
  const username = config.username ?? secrets.get(`${path}.usernameFrom`)?.reveal();
  const password = secrets.get(`${path}.passwordFrom`)?.reveal();
  if (username === undefined) throw new ConfigError(`${path}.username`, 'expected a username');
  if (password === undefined) throw new ConfigError(`${path}.passwordFrom`, 'expected a password reference');
  const ca = readPemFile(`${path}.caFile`, config.caFile, baseDir);

  const log = logger.child({ sink: name });
  const options: NitroClientOptions = {
    url: config.url,
    username,
    password,
    insecureSkipVerify: config.insecureSkipTlsVerify,
    logger: log,
    ...(ca ? { ca } : {}),
    ...(config.maxConcurrency ? { maxConcurrent: config.maxConcurrency } : {}),
    ...(config.timeout ? { timeoutMs: config.timeout } : {}),
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
    name,
    pool(settings: PoolSettings) {
      lbvserverOf.set(settings.pool, settings.lbvserver);
      const id = `${settings.servicegroupType}|${settings.allowEmpty}`;
      let sink = sinks.get(id);
      if (!sink) {
        sink = new NetScalerSink({
          client,
          lbvserver: (key) => lbvserverOf.get(key),
          servicegroupName: (key) => key,
          servicetype: settings.servicegroupType,
          allowEmpty: settings.allowEmpty,
          logger: log,
        });
        sinks.set(id, sink);
      }
      return sink;
    },
    requests: () => requestsByResult(client),
    close: () => client.close(),
  };
}
