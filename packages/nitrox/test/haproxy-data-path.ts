/**
 * The data-path scenario of the HAProxy sink, shared by test/kubernetes-to-haproxy.test.ts and bench/haproxy.ts:
 * real backends (Node HTTP servers on 127.0.0.k, one target port), the nitrox runtime with the Kubernetes source
 * over the API-server simulator, the `haproxy` sink plugin and a real master-worker HAProxy. A client loop sends
 * GETs through HAProxy the whole time (each backend holds its answer 3 ms, so requests are in flight at every
 * removal) while the pool scales 2 → 10 → 3, every backend is replaced one by one (new endpoint ready first, old
 * one removed, its process stopped only after HAProxy let it go — in maintenance or deleted, not merely draining —
 * as a pod's grace period does), and HAProxy is reloaded once (in slot mode, optionally with the sink's
 * server-state file loaded by the reload). Reported: failed requests per phase, and for every added member the
 * time from the source change to its first request through HAProxy.
 */
import { readFile } from 'node:fs/promises';
import { endpointSlice, service, startKubeSimulator } from '@nitrox/kubernetes/testing';
import { adminFlags, inMaintenance, parseServersState, RuntimeApiClient, type ServerState } from '@nitrox/haproxy';
import { freePort, type HttpBackend, startHaproxy, startHttpBackends, trafficLoop } from '@nitrox/haproxy/testing';
import { resolveConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/ops/logger.js';
import { NitroxMetrics } from '../src/ops/metrics.js';
import { createFactories } from '../src/runtime/factories.js';
import { NitroxRuntime } from '../src/runtime/runtime.js';

/** Options of {@link runHaproxyDataPath}. */
export interface DataPathOptions {
  /** Sink mode (dynamic servers, or 16 `server-template` slots). */
  readonly mode: 'dynamic' | 'slots';
  /**
   * Slots only: the sink keeps a server-state file that HAProxy loads at the reload (slots declared with a
   * host name and `init-addr last,0.0.0.0`). @defaultValue false
   */
  readonly stateFile?: boolean;
  /** The mappings' debounce. */
  readonly debounceMs: number;
  /** Client loop workers. */
  readonly concurrency: number;
  /** The sink's restart check: bounds how long a reload leaves the backend empty. */
  readonly restartCheckIntervalMs: number;
  /** Successful requests to let through after each phase. @defaultValue 200 */
  readonly settleRequests?: number;
}

/** One phase's outcome. */
export interface PhaseReport {
  readonly phase: string;
  readonly requests: number;
  readonly failed: number;
  readonly reasons: Record<string, number>;
  readonly ms: number;
}

/** What the scenario measured. */
export interface DataPathReport {
  readonly mode: 'dynamic' | 'slots';
  readonly stateFile: boolean;
  readonly debounceMs: number;
  readonly requests: number;
  readonly failed: number;
  readonly phases: readonly PhaseReport[];
  /** Per added member: ms from the source change to its first request through HAProxy. */
  readonly serveLatencyMs: readonly number[];
  /** ms from the reload to HAProxy holding the full pool again. */
  readonly reloadRecoveryMs: number;
  /** ms from the first to the last failed request after the reload signal (0: none failed). */
  readonly reloadFailureWindowMs: number;
  /** The sink's restart check interval. */
  readonly restartCheckIntervalMs: number;
  /** The sink's background-work counters on the runtime's /metrics after the reload. */
  readonly metrics: { readonly peerRestarts: number; readonly stateWrites: number; readonly backgroundErrors: number };
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > end) throw new Error(`data path: ${what} not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Run the scenario; every process and server it starts is stopped before it returns or throws. */
export async function runHaproxyDataPath(options: DataPathOptions): Promise<DataPathReport> {
  const targetPort = await freePort();
  const kube = await startKubeSimulator();
  const prefix = options.mode === 'slots' ? 'nx' : 'nitrox-';
  const stateFile = options.mode === 'slots' && options.stateFile === true;
  const slots = stateFile ? ['server-template nx 16 nitrox-slot.invalid:1 init-addr last,0.0.0.0 disabled'] : ['server-template nx 16 0.0.0.0:0 disabled'];
  const hp = await startHaproxy({ masterWorker: true, stateFile, backends: [{ name: 'be_web', lines: options.mode === 'slots' ? slots : [] }] });
  const admin = new RuntimeApiClient({ socket: hp.socket, session: 'per-command' });
  const live = new Map<string, HttpBackend>();
  let nextHost = 2;
  let runtime: NitroxRuntime | undefined;
  const traffic = { loop: undefined as ReturnType<typeof trafficLoop> | undefined };
  try {
    const start = async (n: number) => {
      const addresses = Array.from({ length: n }, () => `127.0.0.${nextHost++}`);
      const started = await startHttpBackends(n, { addresses, port: targetPort });
      for (const b of started) {
        // Every answer takes a moment, so requests are in flight whenever a member is removed.
        b.delayMs = 3;
        live.set(b.address, b);
      }
      return started;
    };
    /** Publish `addresses` as the service's ready endpoints; returns when the source changed. */
    const publish = (addresses: readonly string[]) => {
      kube.store.apply(endpointSlice({ name: 'web-1', service: 'web', endpoints: addresses.map((ip) => ({ ip })), ports: [{ name: 'http', port: targetPort }] }));
      return performance.now();
    };
    /** The servers of be_web that the sink owns. */
    const ownedServers = async () => {
      const [state = ''] = await admin.send(['show servers state be_web']);
      return parseServersState(state).filter((s) => s.name.startsWith(prefix));
    };
    /** Addresses HAProxy holds as live owned servers: running, neither in maintenance nor draining. */
    const running = (servers: readonly ServerState[]) =>
      servers
        .filter((s) => s.opState === 2 && !inMaintenance(s) && (s.adminState & adminFlags.forcedDrain) === 0)
        .map((s) => s.address)
        .sort();
    const holds = async (addresses: readonly string[]) => JSON.stringify(running(await ownedServers())) === JSON.stringify([...addresses].sort());
    /**
     * HAProxy let `addresses` go: each owned server at them is deleted or in forced maintenance. A draining server
     * is not let go yet: the sink puts it in maintenance once its sessions ended.
     */
    const released = async (addresses: readonly string[]) =>
      (await ownedServers()).every((s) => !addresses.includes(s.address) || (s.adminState & adminFlags.forcedMaint) !== 0);

    kube.store.apply(service({ name: 'web', ports: [{ name: 'http', port: 80, targetPort }] }));
    let members = (await start(2)).map((b) => b.address);
    publish(members);
    const config = await resolveConfig({
      sources: { cluster: { type: 'kubernetes', server: kube.url } },
      sinks: { lb: { type: 'haproxy', socket: hp.socket, mode: options.mode, serverPrefix: prefix, restartCheckIntervalMs: `${options.restartCheckIntervalMs}ms`, drainTimeoutMs: '5s', drainPollMs: '10ms', ...(stateFile ? { stateFile: hp.stateFile } : {}) } },
      defaults: { debounce: `${options.debounceMs}ms` },
      mappings: [{ source: 'cluster', app: 'default/web', sink: 'lb', pool: 'web', backend: 'be_web', mode: 'pod', port: 'http' }],
    });
    const logger = createLogger({ level: 'silent' });
    const metrics = new NitroxMetrics({ defaultMetrics: false });
    runtime = new NitroxRuntime({ config, factories: await createFactories(config, logger), logger, metrics });
    runtime.start();
    await until('the first 2 members', () => holds(members));

    const loop = trafficLoop(hp.port, { concurrency: options.concurrency });
    traffic.loop = loop;
    const phases: PhaseReport[] = [];
    const latencies: number[] = [];
    let mark = { ok: 0, failed: 0, reasons: {} as Record<string, number>, at: performance.now() };
    const endPhase = async (phase: string) => {
      const target = loop.counts.ok + (options.settleRequests ?? 200);
      await until(`traffic after ${phase}`, () => loop.counts.ok >= target);
      const c = loop.counts;
      const reasons: Record<string, number> = {};
      for (const [k, v] of Object.entries(c.reasons)) if (v - (mark.reasons[k] ?? 0) > 0) reasons[k] = v - (mark.reasons[k] ?? 0);
      const failed = c.failed - mark.failed;
      phases.push({ phase, requests: c.ok - mark.ok + failed, failed, reasons, ms: Math.round(performance.now() - mark.at) });
      mark = { ok: c.ok, failed: c.failed, reasons: { ...c.reasons }, at: performance.now() };
    };
    /** Add backends and wait until each has had a request through HAProxy. */
    const addAndServe = async (added: readonly HttpBackend[], keep: readonly string[]) => {
      const at = publish([...keep, ...added.map((b) => b.address)]);
      await until('new members served', () => added.every((b) => b.firstRequestAt !== undefined));
      for (const b of added) latencies.push((b.firstRequestAt as number) - at);
      return [...keep, ...added.map((b) => b.address)];
    };
    /** Remove members from the source; stop their processes once HAProxy no longer holds them. */
    const removeAndStop = async (removed: readonly string[], keep: readonly string[]) => {
      publish(keep);
      await until('removed members gone from HAProxy', async () => (await holds(keep)) && (await released(removed)));
      await Promise.all(removed.map((a) => live.get(a)?.close()));
      for (const a of removed) live.delete(a);
      return [...keep];
    };

    await until('warm-up traffic', () => loop.counts.ok >= 20);
    await endPhase('warm-up (2 members)');
    members = await addAndServe(await start(8), members);
    await endPhase('scale 2 → 10');
    members = await removeAndStop(members.slice(3), members.slice(0, 3));
    await endPhase('scale 10 → 3');
    for (const old of [...members]) {
      const [fresh] = await start(1);
      members = await addAndServe(fresh ? [fresh] : [], members);
      members = await removeAndStop([old], members.filter((a) => a !== old));
    }
    await endPhase('rolling replacement of 3');
    if (stateFile) {
      // The sink writes the file in the background a moment after each change; a reload reads what is there.
      const file = hp.stateFile as string;
      await until('the state file holds the pool', async () => {
        const text = await readFile(file, 'utf8').catch(() => '');
        const inFile = text === '' ? [] : running(parseServersState(text).filter((s) => s.name.startsWith(prefix)));
        return JSON.stringify(inFile) === JSON.stringify([...members].sort());
      });
    }
    const reloadAt = performance.now();
    await hp.reload();
    await until('the pool back after the reload', () => holds(members));
    const reloadRecoveryMs = Math.round(performance.now() - reloadAt);
    await endPhase('reload');
    const failures = loop.counts.failureTimes.filter((t) => t >= reloadAt);
    const reloadFailureWindowMs = failures.length > 0 ? Math.round(Math.max(...failures) - Math.min(...failures)) : 0;
    const exposition = await metrics.render();
    const counted = (name: string) => Number(new RegExp(`^${name}\\{sink="lb"\\} (\\d+)$`, 'm').exec(exposition)?.[1] ?? Number.NaN);
    const total = await loop.stop();
    traffic.loop = undefined;
    return {
      mode: options.mode,
      stateFile,
      debounceMs: options.debounceMs,
      requests: total.ok + total.failed,
      failed: total.failed,
      phases,
      serveLatencyMs: latencies.map((l) => Math.round(l)),
      reloadRecoveryMs,
      reloadFailureWindowMs,
      restartCheckIntervalMs: options.restartCheckIntervalMs,
      metrics: { peerRestarts: counted('nitrox_sink_peer_restarts_total'), stateWrites: counted('nitrox_sink_state_writes_total'), backgroundErrors: counted('nitrox_sink_background_errors_total') },
    };
  } finally {
    await traffic.loop?.stop();
    await runtime?.stop();
    await admin.close();
    await hp.stop();
    await kube.close();
    await Promise.all([...live.values()].map((b) => b.close()));
  }
}
