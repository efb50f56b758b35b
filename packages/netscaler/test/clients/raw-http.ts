/**
 * Raw HTTP/1.1 over a loopback socket, so a test sends exactly the bytes a Citrix client sends (a `//` in
 * the path, a `Set-Cookie:` request header, a form body) and sees the exact status line the simulator
 * answers (adc-nitro-go matches `207 Multi Status` and `599 Netscaler specific error` as whole strings).
 */
import { connect } from 'node:net';
import { afterEach } from 'vitest';
import { type NitroSimulator, startNitroSimulator, type NitroSimulatorOptions } from '../../src/testing/index.js';
import { PASSWORD, USERNAME } from '../helpers.js';

/** One raw answer. */
export interface RawAnswer {
  /** `200 OK`, `207 Multi Status`, … */
  readonly statusLine: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Record<string, unknown>;
}

/** Send one request as raw text (`Connection: close`) and parse the answer. */
export function raw(
  sim: NitroSimulator,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawAnswer> {
  const { port } = new URL(sim.url);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const text = `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(text));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks).toString('utf8');
      const split = all.indexOf('\r\n\r\n');
      const [first = '', ...rest] = all.slice(0, split).split('\r\n');
      const head: Record<string, string> = {};
      for (const line of rest) {
        const colon = line.indexOf(':');
        head[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      let payload = all.slice(split + 4);
      if (head['transfer-encoding'] === 'chunked') payload = dechunk(payload);
      const statusLine = first.replace(/^HTTP\/1\.1 /, '');
      resolve({
        statusLine,
        status: Number(statusLine.slice(0, 3)),
        headers: head,
        body: payload.trim() === '' ? {} : (JSON.parse(payload) as Record<string, unknown>),
      });
    });
  });
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/** Go's `url.QueryEscape` and Python's `quote_plus`: form encoding (space → `+`). */
export function queryEscape(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** A simulator per test, closed after it, with the administrator's lbvserver `vs web` (a name with a space). */
export function simulators(): (options?: Partial<NitroSimulatorOptions>) => Promise<NitroSimulator> {
  const open: NitroSimulator[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  return async (options = {}) => {
    const sim = await startNitroSimulator({ username: USERNAME, password: PASSWORD, ...options });
    sim.state.addLbvserver({ name: 'vs web', servicetype: 'HTTP', ipv46: '10.0.0.10', port: 80 });
    open.push(sim);
    return sim;
  };
}

export const JSON_TYPE = { 'Content-Type': 'application/json', Accept: 'application/json' };
