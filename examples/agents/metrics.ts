/**
 * Prometheus metrics of a `serveListWatch` handler with prom-client: the handler's own counters
 * (`handler.stats`) read at scrape time, so nothing is counted twice and `@nitrox/http` needs no metrics library.
 * Copy it into your server; the orchestrator of this example serves it at `/metrics`.
 */
import type { ListWatchHandler } from '@nitrox/http';
import { Counter, Gauge, Registry } from 'prom-client';

/** Register the metrics of `handler` (prefix `nitrox_http_`) in `registry`; returns the registry. */
export function listWatchMetrics(handler: ListWatchHandler, registry = new Registry()): Registry {
  const registers = [registry];
  const counter = (name: string, help: string, read: () => number): void => {
    new Counter({
      name: `nitrox_http_${name}`,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  counter('list_pages_total', 'List pages answered.', () => handler.stats.listPages);
  counter('watches_total', 'Watches opened.', () => handler.stats.watches);
  counter('cut_off_total', 'Watches cut off because the follower fell too far behind.', () => handler.stats.cutOff);
  counter('expired_total', 'Watch requests answered 410 (revision out of history or from another server life).', () => handler.stats.expired);
  counter('catch_ups_total', 'Digest catch-ups answered.', () => handler.stats.catchUps);
  counter('catch_up_items_total', 'Items sent by catch-ups.', () => handler.stats.catchUpItems);
  counter('bytes_sent_total', 'Body bytes sent, after compression, watches included.', () => handler.stats.bytesSent);
  const refusals = { unauthorized: 'unauthorized', too_many: 'tooMany', bad_request: 'badRequests', unavailable: 'unavailable' } as const;
  new Counter({
    name: 'nitrox_http_refused_total',
    help: 'Requests refused, by reason: unauthorized (401), too_many (429), bad_request (400), unavailable (503).',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, field] of Object.entries(refusals)) this.inc({ reason }, handler.stats[field]);
    },
  });
  new Gauge({
    name: 'nitrox_http_watches_open',
    help: 'Watches open now.',
    registers,
    collect() {
      this.set(handler.stats.watchesOpen);
    },
  });
  new Gauge({
    name: 'nitrox_http_watches_idle',
    help: 'Open watches parked on the shared buffer (caught up).',
    registers,
    collect() {
      this.set(handler.idleWatches);
    },
  });
  return registry;
}
