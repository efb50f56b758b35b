/**
 * Maps a decoded NITRO config request (method, type, name, query, records) onto {@link SimulatorState}
 * operations, and shapes answers as the appliance does: reads return `{errorcode:0, …, <type>: [...]}` (the
 * key omitted when nothing matched; `args` and `filter` select), `count=yes` returns `__count`, adds answer
 * 201, updates and deletes 200. A binding is added by `PUT` (NITRO docs, NITRO Python SDK, Ansible
 * collection) or `POST` (adc-nitro-go, Terraform provider, Ansible's binding modules), one object or an array.
 * Arrays are bulk writes: each record is applied in turn; with `onerror` `continue` (header or query) every
 * record is tried, with `exit` (the default) the first failure stops the rest; any failure answers 207 with
 * errorcode 1243 and one result per executed record. `POST ?action=unbind` unbinds each record of a binding
 * type (the bulk delete of the official NITRO SDKs) and answers 200; `POST servicegroup?action=enable|disable`
 * changes a servicegroup's or a member's state. `?idempotent=yes` (adc-nitro-go on every non-binding add)
 * makes an add of an existing object succeed.
 */
import type { NitroRecord } from '../nitro-types.js';
import { NitroFault, nitroFaults } from './nitro-fault.js';
import type { SimulatorFaults } from './simulator-faults.js';
import { type SimulatorState, selectRecords } from './simulator-state.js';

/** A decoded config request. */
export interface RoutedRequest {
  readonly method: string;
  readonly type: string;
  readonly name: string | undefined;
  readonly query: Readonly<Record<string, string>>;
  readonly args: Readonly<Record<string, string>>;
  readonly filter: Readonly<Record<string, string>> | undefined;
  /** Records of a write: one for an object body, several for an array (bulk). */
  readonly records: readonly NitroRecord[];
  readonly bulk: boolean;
  readonly onError: string | undefined;
  readonly settings: RouterSettings;
}

/** Behaviours chosen when the simulator starts (see `NitroSimulatorOptions`). */
export interface RouterSettings {
  readonly serverIpConflict: 'reuse' | 'refuse';
  readonly bulkBindingAdds: 'accept' | 'refuse';
}

/** An answer. */
export interface RoutedAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const done = { errorcode: 0, message: 'Done', severity: 'NONE' } as const;

function read(state: SimulatorState, req: RoutedRequest): NitroRecord[] {
  const { type, name } = req;
  switch (type) {
    case 'lbvserver':
    case 'server': {
      const map = type === 'lbvserver' ? state.lbvservers : state.servers;
      if (name === undefined) return [...map.values()];
      const one = map.get(name);
      if (one === undefined) throw nitroFaults.noSuchResource(name);
      return [one];
    }
    case 'servicegroup': {
      const all = state.servicegroupRecords();
      if (name === undefined) return all;
      const one = all.filter((r) => r.servicegroupname === name);
      if (one.length === 0) throw nitroFaults.noSuchResource(name);
      return one;
    }
    case 'servicegroup_servicegroupmember_binding': {
      if (name !== undefined) return state.memberRecords(name);
      if (req.query.bulkbindings !== 'yes') throw nitroFaults.invalidArgument('servicegroupname');
      return [...state.servicegroups.keys()].flatMap((sg) => state.memberRecords(sg));
    }
    case 'lbvserver_servicegroup_binding': {
      if (name !== undefined) return state.vserverBindingRecords(name);
      if (req.query.bulkbindings !== 'yes') throw nitroFaults.invalidArgument('name');
      return [...state.vserverBindings.keys()].flatMap((vs) => state.vserverBindingRecords(vs));
    }
    case 'servicegroupbindings':
      if (name === undefined) throw nitroFaults.invalidArgument('servicegroupname');
      return state.servicegroupBindingRecords(name);
    case 'servicegroup_lbmonitor_binding':
      if (name === undefined) throw nitroFaults.invalidArgument('servicegroupname');
      return state.monitorBindingRecords(name);
    case 'lbmonitor': {
      if (name === undefined) return [...state.lbmonitors.values()];
      const one = state.lbmonitors.get(name);
      if (one === undefined) throw nitroFaults.noSuchResource(name);
      return [one];
    }
    default:
      throw nitroFaults.invalidArgument(`unsupported type ${type}`);
  }
}

function write(state: SimulatorState, req: RoutedRequest, record: NitroRecord): void {
  const { method, type } = req;
  const op = `${method} ${type}`;
  switch (op) {
    case 'POST lbvserver':
      state.addLbvserver(record);
      return;
    case 'POST servicegroup':
      state.addServicegroup(record);
      return;
    case 'POST server':
      state.addServer(record);
      return;
    case 'POST lbmonitor':
      state.addLbmonitor(record);
      return;
    case 'POST servicegroup_servicegroupmember_binding':
    case 'PUT servicegroup_servicegroupmember_binding':
      state.bindMember(record, req.settings.serverIpConflict);
      return;
    case 'POST lbvserver_servicegroup_binding':
    case 'PUT lbvserver_servicegroup_binding':
      state.bindServicegroup(record);
      return;
    case 'POST lbmonitor_servicegroup_binding':
    case 'PUT lbmonitor_servicegroup_binding':
      state.bindMonitor(record);
      return;
    case 'PUT servicegroup':
      state.updateServicegroup(record);
      return;
    case 'PUT lbvserver': {
      const vs = state.lbvservers.get(String(record.name));
      if (vs === undefined) throw nitroFaults.noSuchResource(String(record.name));
      Object.assign(vs, record);
      return;
    }
    default:
      throw nitroFaults.invalidArgument(`unsupported operation ${op}`);
  }
}

/** `POST <type>?action=unbind`: one record, identified by its body as a DELETE is by its path and args. */
function unbind(state: SimulatorState, type: string, record: NitroRecord): void {
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
  switch (type) {
    case 'servicegroup_servicegroupmember_binding': {
      const args: Record<string, string> = {};
      for (const key of ['ip', 'servername', 'port']) {
        const value = text(record[key]);
        if (value !== undefined) args[key] = value;
      }
      state.unbindMember(text(record.servicegroupname) ?? '', args);
      return;
    }
    case 'lbvserver_servicegroup_binding':
      state.unbindServicegroup(text(record.name) ?? '', text(record.servicegroupname));
      return;
    case 'lbmonitor_servicegroup_binding':
      state.unbindMonitor(text(record.monitorname) ?? '', text(record.servicegroupname));
      return;
    default:
      throw nitroFaults.invalidArgument(`unsupported action unbind on ${type}`);
  }
}

function remove(state: SimulatorState, req: RoutedRequest): void {
  const { type, name, args } = req;
  if (name === undefined) throw nitroFaults.invalidArgument('name');
  switch (type) {
    case 'lbvserver':
      state.deleteLbvserver(name);
      return;
    case 'servicegroup':
      state.deleteServicegroup(name);
      return;
    case 'server':
      state.deleteServer(name);
      return;
    case 'servicegroup_servicegroupmember_binding':
      state.unbindMember(name, args);
      return;
    case 'lbvserver_servicegroup_binding':
      state.unbindServicegroup(name, args.servicegroupname);
      return;
    case 'lbmonitor_servicegroup_binding':
      state.unbindMonitor(name, args.servicegroupname);
      return;
    default:
      throw nitroFaults.invalidArgument(`unsupported type ${type}`);
  }
}

/** The record operation of a write: add/update, `unbind`, or `enable`/`disable` of a servicegroup. */
function operation(state: SimulatorState, req: RoutedRequest): (record: NitroRecord) => void {
  const action = req.query.action;
  if (action === undefined) {
    if (req.method === 'POST' && req.query.idempotent === 'yes') {
      return (record) => {
        try {
          write(state, req, record);
        } catch (error) {
          if (!(error instanceof NitroFault && error.errorcode === 273)) throw error;
        }
      };
    }
    return (record) => write(state, req, record);
  }
  if (req.method !== 'POST') throw nitroFaults.invalidArgument(`unsupported action ${action}`);
  if (action === 'unbind') return (record) => unbind(state, req.type, record);
  if ((action === 'enable' || action === 'disable') && req.type === 'servicegroup') {
    return (record) => state.setServicegroupState(record, action === 'enable' ? 'ENABLED' : 'DISABLED');
  }
  throw nitroFaults.invalidArgument(`unsupported action ${action}`);
}

function failure(error: unknown): NitroFault {
  if (error instanceof NitroFault) return error;
  return new NitroFault(278, `Invalid argument [${(error as Error).message}]`, 400);
}

/** Answer one config request against `state`. */
export function route(state: SimulatorState, faults: SimulatorFaults, req: RoutedRequest): RoutedAnswer {
  try {
    if (req.method === 'GET') {
      const select = req.query.args === undefined ? req.filter : { ...req.args, ...req.filter };
      const records = selectRecords(read(state, req), select, req.query.attrs?.split(','));
      if (req.query.count === 'yes') return { status: 200, body: { ...done, [req.type]: [{ __count: records.length }] } };
      return { status: 200, body: records.length === 0 ? { ...done } : { ...done, [req.type]: records } };
    }
    if (req.method === 'DELETE') {
      remove(state, req);
      return { status: 200, body: { ...done } };
    }
    if (req.method !== 'POST' && req.method !== 'PUT') throw new NitroFault(278, 'Invalid argument [method]', 405);
    const action = req.query.action;
    const apply = operation(state, req);
    if (req.records.length === 0) throw nitroFaults.invalidArgument(req.type);
    if (req.bulk && action === undefined && req.type.endsWith('_binding') && req.settings.bulkBindingAdds === 'refuse') {
      throw nitroFaults.invalidArgument('bulk binding add');
    }
    const success = req.method === 'POST' && action === undefined ? 201 : 200;
    if (!req.bulk) {
      const record = req.records[0] as NitroRecord;
      const fault = faults.takeItemFault(req.type, record);
      if (fault !== undefined) throw fault;
      apply(record);
      return { status: success, body: { ...done } };
    }
    const results: Array<{ errorcode: number; message: string; severity: string }> = [];
    let failed = false;
    for (const record of req.records) {
      try {
        const fault = faults.takeItemFault(req.type, record);
        if (fault !== undefined) throw fault;
        apply(record);
        results.push({ ...done });
      } catch (error) {
        failed = true;
        results.push(failure(error).toBody());
        if (req.onError !== 'continue') break;
      }
    }
    if (!failed) return { status: success, body: { ...done } };
    return {
      status: 207,
      body: { errorcode: 1243, message: 'Bulk operation failed', severity: 'ERROR', response: results },
    };
  } catch (error) {
    const fault = failure(error);
    return { status: fault.status, body: fault.toBody() };
  }
}
