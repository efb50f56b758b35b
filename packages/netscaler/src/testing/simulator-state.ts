/**
 * The configuration a simulated NetScaler holds — lbvservers, servicegroups with their members, servers and
 * lbvserver↔servicegroup bindings — and the NITRO operations on it. Each operation validates like the
 * appliance (names, ports 1–65535, weights 1–100, existence) and throws a {@link NitroFault} with the
 * documented errorcode. Binding a member by IP creates a `server` named after the IP, as NetScaler does
 * (the Terraform provider relies on it: resource_citrixadc_servicegroup_servicegroupmember_binding.go); `ip`
 * and `servername` together answer 1092 (quoted by the Ansible collection, plugins/module_utils/common.py).
 * Tests may also read and edit this state directly (to create the administrator's lbvserver, or drift).
 */
import { isIP } from 'node:net';
import type { NitroRecord } from '../nitro-types.js';
import { type NitroFault, nitroFaults } from './nitro-fault.js';

/** A member of a simulated servicegroup. */
export interface SimMember {
  servername: string;
  ip: string;
  port: number;
  weight: number;
  state: 'ENABLED' | 'DISABLED';
}

/** A simulated servicegroup. */
export interface SimServicegroup {
  servicegroupname: string;
  servicetype: string;
  comment: string | undefined;
  /** `YES` when unbinding a member drains it first (graceful unbind). */
  autodisablegraceful: 'YES' | 'NO';
  /** Longest drain of a graceful unbind, in seconds. */
  autodisabledelay: number | undefined;
  /** `enable`/`disable` of the whole servicegroup. */
  state: 'ENABLED' | 'DISABLED';
  members: Map<string, SimMember>;
  /** Names of the lbmonitors bound to it. */
  monitors: Set<string>;
}

const namePattern = /^[A-Za-z0-9_][A-Za-z0-9_#.:@= -]{0,126}$/;
const servicetypes = new Set(['HTTP', 'SSL', 'TCP', 'UDP', 'SSL_TCP', 'ANY', 'DNS', 'FTP', 'HTTP2', 'GRPC']);

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function requireName(record: NitroRecord, field: string): string {
  const value = str(record[field]);
  if (value === undefined || !namePattern.test(value)) throw nitroFaults.invalidArgument(field);
  return value;
}

function intIn(value: unknown, field: string, min: number, max: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw nitroFaults.invalidArgument(field);
  return n;
}

function yesNo(value: unknown, field: string): 'YES' | 'NO' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'YES' && value !== 'NO') throw nitroFaults.invalidArgument(field);
  return value;
}

const memberKey = (servername: string, port: number): string => `${servername}|${port}`;

/** The configuration of a simulated appliance. */
export class SimulatorState {
  readonly lbvservers = new Map<string, NitroRecord & { name: string }>();
  readonly servicegroups = new Map<string, SimServicegroup>();
  readonly servers = new Map<string, { name: string; ipaddress: string }>();
  /** lbvserver name → names of the servicegroups bound to it. */
  readonly vserverBindings = new Map<string, Set<string>>();
  readonly lbmonitors = new Map<string, NitroRecord & { monitorname: string }>();

  /** Create an lbvserver (the administrator's front end). */
  addLbvserver(record: NitroRecord): void {
    const name = requireName(record, 'name');
    if (this.lbvservers.has(name)) throw nitroFaults.alreadyExists(name);
    const servicetype = str(record.servicetype) ?? 'HTTP';
    if (!servicetypes.has(servicetype)) throw nitroFaults.invalidArgument('servicetype');
    this.lbvservers.set(name, { ...record, name, servicetype });
    this.vserverBindings.set(name, new Set());
  }

  /** Create a servicegroup. */
  addServicegroup(record: NitroRecord): void {
    const name = requireName(record, 'servicegroupname');
    if (this.servicegroups.has(name)) throw nitroFaults.alreadyExists(name);
    const servicetype = str(record.servicetype);
    if (servicetype === undefined || !servicetypes.has(servicetype)) throw nitroFaults.invalidArgument('servicetype');
    this.servicegroups.set(name, {
      servicegroupname: name,
      servicetype,
      comment: str(record.comment),
      autodisablegraceful: yesNo(record.autodisablegraceful, 'autodisablegraceful') ?? 'NO',
      autodisabledelay: record.autodisabledelay === undefined ? undefined : intIn(record.autodisabledelay, 'autodisabledelay', 0, 2 ** 31 - 1),
      state: 'ENABLED',
      members: new Map(),
      monitors: new Set(),
    });
  }

  /** Create an lbmonitor (`monitorname`, `type`). */
  addLbmonitor(record: NitroRecord): void {
    const name = requireName(record, 'monitorname');
    if (this.lbmonitors.has(name)) throw nitroFaults.alreadyExists(name);
    this.lbmonitors.set(name, { ...record, monitorname: name });
  }

  /** Create a server. */
  addServer(record: NitroRecord): void {
    const name = requireName(record, 'name');
    const ipaddress = str(record.ipaddress);
    if (ipaddress === undefined || ipaddress === '') throw nitroFaults.invalidArgument('ipaddress');
    if (this.servers.has(name)) throw nitroFaults.alreadyExists(name);
    this.servers.set(name, { name, ipaddress });
  }

  /**
   * Bind a member (by `ip` or by `servername`) to a servicegroup. `conflict` decides what binding by an IP
   * that a differently named server holds does (see `NitroSimulatorOptions.serverIpConflict`).
   */
  bindMember(record: NitroRecord, conflict: 'reuse' | 'refuse' = 'reuse'): void {
    const sg = this.#servicegroup(str(record.servicegroupname));
    let servername = str(record.servername);
    let ip = str(record.ip);
    if (servername !== undefined && ip !== undefined) throw nitroFaults.bothArguments('serverName', 'IP');
    const port = intIn(record.port, 'port', 1, 65535);
    const weight = intIn(record.weight, 'weight', 1, 100, 1);
    const state = record.state === 'DISABLED' ? 'DISABLED' : 'ENABLED';
    if (servername !== undefined) {
      const server = this.servers.get(servername);
      if (server === undefined) throw nitroFaults.noSuchResource(servername);
      ip = server.ipaddress;
    } else if (ip !== undefined && ip !== '') {
      if (isIP(ip) === 0) throw nitroFaults.invalidArgument('ip');
      const address = ip;
      const holder = [...this.servers.values()].find((s) => s.ipaddress === address && s.name !== address);
      if (holder !== undefined && conflict === 'refuse') throw nitroFaults.alreadyExists(`server ${holder.name} holds ${address}`);
      servername = holder?.name ?? address;
      if (holder === undefined && !this.servers.has(address)) this.servers.set(address, { name: address, ipaddress: address });
    } else {
      throw nitroFaults.invalidArgument('ip');
    }
    const key = memberKey(servername, port);
    if (sg.members.has(key)) throw nitroFaults.alreadyExists(`${servername}:${port}`);
    sg.members.set(key, { servername, ip: ip as string, port, weight, state });
  }

  /** Unbind a member given `ip`+`port` or `servername`+`port` (other arguments are ignored). */
  unbindMember(servicegroupname: string, args: Record<string, string | undefined>): void {
    if (args.ip !== undefined && args.servername !== undefined) throw nitroFaults.bothArguments('serverName', 'IP');
    const sg = this.#servicegroup(servicegroupname);
    const port = intIn(args.port, 'port', 1, 65535);
    const member = this.#findMember(sg, args, port);
    sg.members.delete(memberKey(member.servername, member.port));
  }

  /** Bind a servicegroup to an lbvserver. */
  bindServicegroup(record: NitroRecord): void {
    const vs = str(record.name);
    const bound = vs === undefined ? undefined : this.vserverBindings.get(vs);
    if (bound === undefined) throw nitroFaults.noSuchResource(vs ?? 'name');
    const sg = this.#servicegroup(str(record.servicegroupname)).servicegroupname;
    if (bound.has(sg)) throw nitroFaults.alreadyExists(sg);
    bound.add(sg);
  }

  /** Unbind a servicegroup from an lbvserver. */
  unbindServicegroup(vserver: string, servicegroupname: string | undefined): void {
    const bound = this.vserverBindings.get(vserver);
    if (bound === undefined) throw nitroFaults.noSuchResource(vserver);
    if (servicegroupname === undefined || !bound.delete(servicegroupname)) {
      throw nitroFaults.noSuchResource(servicegroupname ?? 'servicegroupname');
    }
  }

  /** Bind an lbmonitor to a servicegroup (`lbmonitor_servicegroup_binding {monitorname, servicegroupname}`). */
  bindMonitor(record: NitroRecord): void {
    const monitor = str(record.monitorname);
    if (monitor === undefined || !this.lbmonitors.has(monitor)) throw nitroFaults.noSuchResource(monitor ?? 'monitorname');
    const sg = this.#servicegroup(str(record.servicegroupname));
    if (sg.monitors.has(monitor)) throw nitroFaults.alreadyExists(monitor);
    sg.monitors.add(monitor);
  }

  /** Unbind an lbmonitor from a servicegroup. */
  unbindMonitor(monitor: string, servicegroupname: string | undefined): void {
    const sg = this.#servicegroup(servicegroupname);
    if (!sg.monitors.delete(monitor)) throw nitroFaults.noSuchResource(monitor);
  }

  /**
   * `enable`/`disable serviceGroup`: the whole group, or one member when `servername` (or `ip`) and `port`
   * are given (the Terraform provider's form; `graceful`/`delay` are accepted).
   */
  setServicegroupState(record: NitroRecord, state: 'ENABLED' | 'DISABLED'): void {
    const sg = this.#servicegroup(str(record.servicegroupname));
    if (record.port !== undefined && (record.servername !== undefined || record.ip !== undefined)) {
      if (record.servername !== undefined && record.ip !== undefined) throw nitroFaults.bothArguments('serverName', 'IP');
      const port = intIn(record.port, 'port', 1, 65535);
      this.#findMember(sg, { servername: str(record.servername), ip: str(record.ip) }, port).state = state;
      return;
    }
    sg.state = state;
  }

  /** `set servicegroup`: a member's weight (when `servername`/`ip` and `port` are given) or the group's comment. */
  updateServicegroup(record: NitroRecord): void {
    const sg = this.#servicegroup(str(record.servicegroupname));
    if (record.port !== undefined && (record.servername !== undefined || record.ip !== undefined)) {
      const port = intIn(record.port, 'port', 1, 65535);
      const member = this.#findMember(sg, { servername: str(record.servername), ip: str(record.ip) }, port);
      if (record.weight !== undefined) member.weight = intIn(record.weight, 'weight', 1, 100);
      return;
    }
    if (record.servicetype !== undefined && record.servicetype !== sg.servicetype) {
      throw nitroFaults.invalidArgument('servicetype');
    }
    if (record.comment !== undefined) sg.comment = str(record.comment);
    const graceful = yesNo(record.autodisablegraceful, 'autodisablegraceful');
    if (graceful !== undefined) sg.autodisablegraceful = graceful;
    if (record.autodisabledelay !== undefined) sg.autodisabledelay = intIn(record.autodisabledelay, 'autodisabledelay', 0, 2 ** 31 - 1);
  }

  /** Delete a servicegroup and every binding of it. */
  deleteServicegroup(name: string): void {
    if (!this.servicegroups.delete(name)) throw nitroFaults.noSuchResource(name);
    for (const bound of this.vserverBindings.values()) bound.delete(name);
  }

  /** Delete an lbvserver and its bindings. */
  deleteLbvserver(name: string): void {
    if (!this.lbvservers.delete(name)) throw nitroFaults.noSuchResource(name);
    this.vserverBindings.delete(name);
  }

  /** Delete a server that no servicegroup uses. */
  deleteServer(name: string): void {
    if (!this.servers.has(name)) throw nitroFaults.noSuchResource(name);
    for (const sg of this.servicegroups.values()) {
      for (const m of sg.members.values()) if (m.servername === name) throw nitroFaults.invalidArgument('server in use');
    }
    this.servers.delete(name);
  }

  /** Members of a servicegroup as NITRO returns them (`weight` as a string, like a real appliance). */
  memberRecords(servicegroupname: string): NitroRecord[] {
    const sg = this.#servicegroup(servicegroupname);
    return [...sg.members.values()].map((m) => ({
      servicegroupname: sg.servicegroupname,
      ip: m.ip,
      port: m.port,
      weight: String(m.weight),
      servername: m.servername,
      state: m.state,
    }));
  }

  /** Every servicegroup as NITRO returns it. */
  servicegroupRecords(): NitroRecord[] {
    return [...this.servicegroups.values()].map((sg) => ({
      servicegroupname: sg.servicegroupname,
      servicetype: sg.servicetype,
      state: sg.state,
      ...(sg.comment === undefined ? {} : { comment: sg.comment }),
      autodisablegraceful: sg.autodisablegraceful,
      ...(sg.autodisabledelay === undefined ? {} : { autodisabledelay: sg.autodisabledelay }),
    }));
  }

  /** `servicegroupbindings/<sg>`: the lbvservers a servicegroup is bound to (`vservername`). */
  servicegroupBindingRecords(servicegroupname: string): NitroRecord[] {
    const sg = this.#servicegroup(servicegroupname).servicegroupname;
    return [...this.vserverBindings.entries()]
      .filter(([, bound]) => bound.has(sg))
      .map(([vservername]) => ({ servicegroupname: sg, vservername }));
  }

  /** `servicegroup_lbmonitor_binding/<sg>`: its monitors (`monitor_name`, as the Terraform provider reads). */
  monitorBindingRecords(servicegroupname: string): NitroRecord[] {
    const sg = this.#servicegroup(servicegroupname);
    return [...sg.monitors].map((monitor_name) => ({ servicegroupname: sg.servicegroupname, monitor_name }));
  }

  /** Bindings of an lbvserver as NITRO returns them. */
  vserverBindingRecords(vserver: string): NitroRecord[] {
    const bound = this.vserverBindings.get(vserver);
    if (bound === undefined) throw nitroFaults.noSuchResource(vserver);
    return [...bound].map((servicegroupname) => ({ name: vserver, servicegroupname }));
  }

  /** Convenience for tests: `address:port` (weight) of every member of a servicegroup, sorted. */
  members(servicegroupname: string): string[] {
    const sg = this.servicegroups.get(servicegroupname);
    if (sg === undefined) return [];
    return [...sg.members.values()].map((m) => `${m.ip}:${m.port}`).sort();
  }

  #servicegroup(name: string | undefined): SimServicegroup {
    const sg = name === undefined ? undefined : this.servicegroups.get(name);
    if (sg === undefined) throw nitroFaults.noSuchResource(name ?? 'servicegroupname');
    return sg;
  }

  #findMember(sg: SimServicegroup, by: { servername?: string | undefined; ip?: string | undefined }, port: number): SimMember {
    let found: SimMember | undefined;
    if (by.servername !== undefined) found = sg.members.get(memberKey(by.servername, port));
    else if (by.ip !== undefined) {
      for (const m of sg.members.values()) if (m.ip === by.ip && m.port === port) found = m;
    } else throw nitroFaults.invalidArgument('ip');
    if (found === undefined) throw nitroFaults.noSuchResource(`${by.servername ?? by.ip}:${port}`);
    return found;
  }
}

/** Pick `attrs` from records and keep only those matching every `filter` pair (exact match). */
export function selectRecords(
  records: readonly NitroRecord[],
  filter: Record<string, string> | undefined,
  attrs: readonly string[] | undefined,
): NitroRecord[] {
  let out = records.filter((r) => filter === undefined || Object.entries(filter).every(([k, v]) => str(r[k]) === v));
  if (attrs !== undefined && attrs.length > 0) {
    out = out.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => attrs.includes(k))));
  }
  return out;
}

export type { NitroFault };
