/**
 * Shared set-up of the integration tests: a simulator with the administrator's lbvserver, a client and a
 * sink pointed at it, a logger that records every line, and a condition-based wait.
 */
import type { BackendSet } from '@nitrox/core';
import { NetScalerSink } from '../src/netscaler-sink.js';
import type { NetScalerSinkOptions } from '../src/sink-options.js';
import type { NitroLogger } from '../src/logger.js';
import { NitroClient } from '../src/nitro-client.js';
import type { NitroClientOptions } from '../src/nitro-client-options.js';
import { type NitroSimulatorOptions, type NitroSimulator, startNitroSimulator } from '../src/testing/index.js';

export const USERNAME = 'nsroot';
export const PASSWORD = 'S3cr3t-pa55w0rd!';
export const VSERVER = 'vs-web';

/** A logger that keeps every call, to assert on (and to search for leaked secrets). */
export function recordingLogger(): NitroLogger & { lines: Array<{ level: string; fields: unknown; message: string }> } {
  const lines: Array<{ level: string; fields: unknown; message: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export async function simulator(options: Partial<NitroSimulatorOptions> = {}): Promise<NitroSimulator> {
  const sim = await startNitroSimulator({ username: USERNAME, password: PASSWORD, ...options });
  sim.state.addLbvserver({ name: VSERVER, servicetype: 'HTTP', ipv46: '10.0.0.10', port: 80, lbmethod: 'ROUNDROBIN' });
  return sim;
}

export function client(sim: NitroSimulator, options: Partial<NitroClientOptions> = {}): NitroClient {
  return new NitroClient({ url: sim.url, username: USERNAME, password: PASSWORD, ...options });
}

export function sink(sim: NitroSimulator, options: Partial<NetScalerSinkOptions> = {}): NetScalerSink {
  return new NetScalerSink({
    client: { url: sim.url, username: USERNAME, password: PASSWORD },
    lbvserver: VSERVER,
    ...options,
  });
}

/** A backend set of `count` members 10.0.0.1..n on `port`. */
export function pool(name: string, count: number, port = 8080, from = 1): BackendSet {
  return {
    name,
    members: Array.from({ length: count }, (_, i) => ({ address: `10.0.0.${from + i}`, port })),
  };
}

/** Everything a value exposes when serialized, stack and cause included, for secret scanning. */
export function dump(value: unknown): string {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (v instanceof Error) {
      return { name: v.name, message: v.message, stack: v.stack, cause: walk(v.cause), ...(walk({ ...v }) as object) };
    }
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return JSON.stringify(walk(value)) ?? String(value);
}
