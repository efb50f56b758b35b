/**
 * `/events`: the dashboard's Server-Sent Events stream. A `snapshot` event at once, then a `change` event (the
 * change and the snapshot after it) whenever the runtime reports one, and a comment line every `heartbeatMs` so
 * proxies and the browser keep the connection open. When the client goes away its subscription and its heartbeat
 * timer go with it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardState } from './dashboard-state.js';

/** Default interval of the heartbeat comment. */
export const dashboardHeartbeatMs = 15_000;

/** Serve one SSE client until it disconnects. */
export function serveDashboardEvents(req: IncomingMessage, res: ServerResponse, state: DashboardState, heartbeatMs = dashboardHeartbeatMs): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  res.write('retry: 2000\n\n');
  res.write(`event: snapshot\ndata: ${JSON.stringify(state.snapshot())}\n\n`);
  const unsubscribe = state.subscribe((change, snapshot) => {
    res.write(`event: change\ndata: ${JSON.stringify({ change, snapshot })}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  heartbeat.unref();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
  };
  req.on('close', close);
  res.on('close', close);
  res.on('error', close);
}
