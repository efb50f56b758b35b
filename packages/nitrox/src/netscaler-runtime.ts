/**
 * A `sinks:` entry of type `netscaler` at run time: one NITRO client (one login session, one concurrency cap)
 * per appliance, shared by every pool mapped to it. The `@nitrox/netscaler` sink takes one service type and
 * one empty-set policy, so this runtime keeps one `NetScalerSink` per distinct (servicegroup type, allowEmpty)
 * pair over the shared client, and routes each pool to its lbvserver. Requests are counted by result for the
 * `nitrox_sink_requests_total` metric.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '@nitrox/core';
import { NetScalerSink, NitroClient, type NitroClientOptions, NitroError, NitroErrorCode } from '@nitrox/netscaler';
import type { Logger } from 'pino';
import type { PoolSettings, SinkRuntime } from './adapters.js';
import type { NetScalerSinkConfig } from './config-schema.js';
import type { Secret } from './secret.js';

/** Counts calls by result. A "no such resource" answer is a valid answer, not an error. */
class CountingNitroClient extends NitroClient {
  ok = 0;
  error = 0;

  async #count<T>(call: Promise<T>): Promise<T> {
    try {
      const result = await call;
      this.ok++;
      return result;
    } catch (err) {
      if (err instanceof NitroError && err.errorcode === NitroErrorCode.noSuchResource) this.ok++;
      else this.error++;
      throw err;
    }
  }

  override get: NitroClient['get'] = (type, options) => this.#count(super.get(type, options));
  override add: NitroClient['add'] = (type, record, signal) => this.#count(super.add(type, record, signal));
  override update: NitroClient['update'] = (type, record, signal) => this.#count(super.update(type, record, signal));
  override remove: NitroClient['remove'] = (type, name, args, signal) => this.#count(super.remove(type, name, args, signal));
  override action: NitroClient['action'] = (type, action, record, signal) => this.#count(super.action(type, action, record, signal));
  override bulk: NitroClient['bulk'] = async (method, type, records, options) => {
    const items = await this.#count(super.bulk(method, type, records, options));
    if (items.some((item) => item.errorcode !== 0)) {
      this.ok--;
      this.error++;
    }
    return items;
  };
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
  let ca: string | undefined;
  if (config.caFile) {
    const file = resolve(baseDir, config.caFile);
    try {
      ca = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`${path}.caFile`, `expected a readable PEM file at ${file} (${(err as NodeJS.ErrnoException).code})`);
    }
  }
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
  let client: CountingNitroClient;
  try {
    client = new CountingNitroClient(options);
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
    requests: () => ({ ok: client.ok, error: client.error }),
    close: () => client.close(),
  };
}
