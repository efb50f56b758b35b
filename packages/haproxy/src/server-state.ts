/**
 * Parsers of the Runtime API's read commands: `show servers state <backend>` (format 1: a version line, a `#`
 * header naming the columns, one space-separated line per server), `show info` (`Name: value` lines) and
 * `show stat` CSV (current sessions per server). Columns are found by name in the header, never by position.
 */
import { SinkError } from '@nitrox/core';

/**
 * srv_admin_state bits (HAProxy include/haproxy/server-t.h): forced, inherited and resolver maintenance; drain.
 * 0x04 (CMAINT, `disabled` in the configuration) stays set on a template slot after `state ready` while the
 * server runs (seen on 2.6.12: admin state 4, op state 2), so it does not count as maintenance; HAProxy's
 * SRV_ADMF_MAINT is 0x23 as well.
 */
export const adminFlags = { forcedMaint: 0x01, inheritedMaint: 0x02, configMaint: 0x04, forcedDrain: 0x08, resolverMaint: 0x20 } as const;
const anyMaint = adminFlags.forcedMaint | adminFlags.inheritedMaint | adminFlags.resolverMaint;

/** One server line of `show servers state`. */
export interface ServerState {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping. */
  readonly opState: number;
  /** srv_admin_state bits ({@link adminFlags}). */
  readonly adminState: number;
  /** srv_uweight: the weight set by configuration or `set server … weight`. */
  readonly weight: number;
}

/** Whether the server is in any maintenance state. */
export function inMaintenance(server: ServerState): boolean {
  return (server.adminState & anyMaint) !== 0;
}

/** Whether the server is draining (and not in maintenance). */
export function draining(server: ServerState): boolean {
  return (server.adminState & adminFlags.forcedDrain) !== 0 && !inMaintenance(server);
}

function malformed(what: string, detail: string): SinkError {
  return new SinkError(`haproxy: unexpected ${what}: ${detail.slice(0, 200)}`, { retryable: true, peerCode: 'unexpected-reply' });
}

/**
 * The servers of one backend from the reply to `show servers state <backend>`.
 * @throws SinkError for a reply that is not in format 1
 */
export function parseServersState(reply: string): ServerState[] {
  const lines = reply.split('\n').filter((l) => l !== '');
  if (lines[0] !== '1' || !lines[1]?.startsWith('# ')) throw malformed('servers state', reply);
  const columns = lines[1].slice(2).split(' ');
  const at = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw malformed('servers state header', lines[1] ?? '');
    return i;
  };
  const ix = { name: at('srv_name'), addr: at('srv_addr'), op: at('srv_op_state'), admin: at('srv_admin_state'), weight: at('srv_uweight'), port: at('srv_port') };
  return lines.slice(2).map((line) => {
    const f = line.split(' ');
    const num = (i: number) => {
      const n = Number(f[i]);
      if (!Number.isInteger(n)) throw malformed('servers state line', line);
      return n;
    };
    return { name: f[ix.name] ?? '', address: f[ix.addr] ?? '', port: num(ix.port), opState: num(ix.op), adminState: num(ix.admin), weight: num(ix.weight) };
  });
}

/** The identity of a running HAProxy process, from `show info`. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Seconds since the process started. */
  readonly uptimeSec: number;
}

/**
 * Pid and uptime from the reply to `show info`.
 * @throws SinkError when either is missing
 */
export function parseInfo(reply: string): ProcessIdentity {
  const field = (name: string) => {
    const m = new RegExp(`^${name}: (\\d+)$`, 'm').exec(reply);
    if (!m) throw malformed('show info', reply);
    return Number(m[1]);
  };
  return { pid: field('Pid'), uptimeSec: field('Uptime_sec') };
}

/**
 * Current sessions per server of one backend, from `show stat` CSV (`# pxname,svname,qcur,qmax,scur,…`).
 * @throws SinkError for a reply without the header
 */
export function parseSessions(reply: string, backend: string): Map<string, number> {
  const lines = reply.split('\n');
  const header = lines[0];
  if (!header?.startsWith('# ')) throw malformed('show stat', reply);
  const columns = header.slice(2).split(',');
  const [px, sv, scur, qcur] = ['pxname', 'svname', 'scur', 'qcur'].map((c) => columns.indexOf(c)) as [number, number, number, number];
  const sessions = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    if (f[px] !== backend || f[sv] === 'BACKEND' || f[sv] === 'FRONTEND' || f[sv] === undefined) continue;
    sessions.set(f[sv], (Number(f[scur]) || 0) + (Number(f[qcur]) || 0));
  }
  return sessions;
}
