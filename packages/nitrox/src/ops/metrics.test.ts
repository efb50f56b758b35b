import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { OpsServer } from './http-server.js';
import { NitroxMetrics } from './metrics.js';

let server: OpsServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('NitroxMetrics', () => {
  it('reads probes at scrape time and counts only the growth of source stats', async () => {
    let now = 10_000;
    const metrics = new NitroxMetrics({ now: () => now, defaultMetrics: false });
    let restarts = 2;
    let depth = 3;
    metrics.probeSource('k8s', () => ({ watchRestarts: restarts, relists: 1 }), () => true);
    metrics.probeQueue('web', () => depth);
    metrics.probeSink('adc', () => ({ ok: 7, error: 1 }));
    metrics.declareMapping('web');
    metrics.reconciled('web', 0.02, 'success');
    now = 12_500;
    let text = await metrics.render();
    expect(text).toContain('nitrox_watch_restarts_total{source="k8s"} 2');
    expect(text).toContain('nitrox_queue_depth{mapping="web"} 3');
    expect(text).toContain('nitrox_sink_requests_total{sink="adc",result="ok"} 7');
    expect(text).toContain('nitrox_seconds_since_last_sync{mapping="web"} 2.5');
    expect(text).toContain('nitrox_reconcile_total{mapping="web",result="success"} 1');
    expect(text).toContain('nitrox_source_synced{source="k8s"} 1');
    restarts = 5;
    depth = 0;
    text = await metrics.render();
    expect(text).toContain('nitrox_watch_restarts_total{source="k8s"} 5');
    expect(text).toContain('nitrox_queue_depth{mapping="web"} 0');
  });

  it('exports exactly the metrics docs/metrics.md lists', async () => {
    const doc = await readFile(new URL('../../../../docs/metrics.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `(nitrox_[a-z_]+)` \|/gm)].map((m) => m[1]));
    const metrics = new NitroxMetrics();
    const exported = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(exported.filter((n) => n.startsWith('nitrox_process_')).length).toBeGreaterThan(0);
    expect(new Set(exported.filter((n) => !n.startsWith('nitrox_process_')))).toEqual(documented);
    expect(doc).toContain('`nitrox_process_`');
  });

  it('counts the growth of a sink\'s background-work counters, for sinks whose plugin has them', async () => {
    const metrics = new NitroxMetrics({ defaultMetrics: false });
    let counters = { peerRestarts: 1, reapplies: 2, stateWrites: 5 };
    metrics.probeSink('lb', () => ({ ok: 0, error: 0 }), () => counters);
    metrics.probeSink('adc', () => ({ ok: 0, error: 0 }));
    let text = await metrics.render();
    expect(text).toContain('nitrox_sink_peer_restarts_total{sink="lb"} 1');
    expect(text).toContain('nitrox_sink_reapplies_total{sink="lb"} 2');
    expect(text).toContain('nitrox_sink_state_writes_total{sink="lb"} 5');
    expect(text).toContain('nitrox_sink_background_errors_total{sink="lb"} 0');
    expect(text).not.toContain('nitrox_sink_peer_restarts_total{sink="adc"}');
    counters = { peerRestarts: 2, reapplies: 4, stateWrites: 9 };
    text = await metrics.render();
    expect(text).toContain('nitrox_sink_peer_restarts_total{sink="lb"} 2');
    expect(text).toContain('nitrox_sink_state_writes_total{sink="lb"} 9');
  });

  it('counts errors by code', async () => {
    const metrics = new NitroxMetrics({ defaultMetrics: false });
    metrics.reconciled('web', 0.1, 'error', 'NITROX_SINK');
    const text = await metrics.render();
    expect(text).toContain('nitrox_reconcile_errors_total{mapping="web",code="NITROX_SINK"} 1');
    expect(text).not.toContain('nitrox_seconds_since_last_sync{');
  });
});

describe('OpsServer', () => {
  it('serves metrics, liveness and readiness over HTTP', async () => {
    const metrics = new NitroxMetrics({ defaultMetrics: false });
    metrics.declareMapping('web');
    let ready = false;
    server = new OpsServer({ listen: '127.0.0.1:0', metrics, readiness: () => ({ ready, waiting: ready ? [] : ['source k8s'], notes: ['leadership: standby (lease default/nitrox held by replica-a)'] }) });
    const address = await server.start();
    const base = `http://${address}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain('source k8s');
    ready = true;
    const readyAnswer = await fetch(`${base}/readyz`);
    expect(readyAnswer.status).toBe(200);
    expect(await readyAnswer.text()).toBe('ready\nleadership: standby (lease default/nitrox held by replica-a)\n');
    const m = await fetch(`${base}/metrics`);
    expect(m.headers.get('content-type')).toContain('text/plain');
    expect(await m.text()).toContain('nitrox_reconcile_total{mapping="web",result="success"} 0');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('keeps an error listener after start: a server error is reported, not thrown', async () => {
    const errors: Error[] = [];
    server = new OpsServer({ listen: '127.0.0.1:0', metrics: new NitroxMetrics({ defaultMetrics: false }), readiness: () => ({ ready: true, waiting: [] }), onError: (e) => errors.push(e) });
    await server.start();
    expect(() => server?.server?.emit('error', new Error('accept EMFILE'))).not.toThrow();
    expect(errors.map((e) => e.message)).toEqual(['accept EMFILE']);
  });

  it('rejects a bad listen address naming the option', () => {
    expect(() => new OpsServer({ listen: 'localhost', metrics: new NitroxMetrics({ defaultMetrics: false }), readiness: () => ({ ready: true, waiting: [] }) })).toThrow(/http.listen/);
  });
});
