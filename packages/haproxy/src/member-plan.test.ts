import { describe, expect, it } from 'vitest';
import { planMembers } from './member-plan.js';
import { parseInfo, parseServersState, parseSessions, type ServerState } from './server-state.js';

const header = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
const server = (name: string, addr: string, port: number, admin = 0, weight = 1): ServerState => ({ name, address: addr, port, opState: 2, adminState: admin, weight });
const opts = { mode: 'dynamic' as const, prefix: 'nx-', defaultWeight: 1 };

describe('parsers', () => {
  it('reads show servers state by column name (HAProxy 2.6.12 output)', () => {
    const reply = `${header}\n3 be 1 admin1 127.0.0.1 2 0 5 5 1 1 0 2 0 0 0 0 - 18499 - 0 0 - - 0\n3 be 5 nx-a 127.0.0.1 0 1 3 3 1 1 0 0 0 0 0 0 - 18501 - 0 0 - - 0\n`;
    expect(parseServersState(reply)).toEqual([server('admin1', '127.0.0.1', 18499, 0, 5), { ...server('nx-a', '127.0.0.1', 18501, 1, 3), opState: 0 }]);
    expect(() => parseServersState('No such backend.')).toThrow(expect.objectContaining({ code: 'NITROX_SINK' }));
  });
  it('reads Pid and uptime from show info, and sessions from show stat', () => {
    expect(parseInfo('Name: HAProxy\nPid: 842\nUptime: 0d\nUptime_sec: 2\n')).toEqual({ pid: 842, uptimeSec: 2 });
    const stat = '# pxname,svname,qcur,qmax,scur,smax\nbe,BACKEND,0,0,9,9\nbe,nx-a,1,0,2,3\nother,nx-a,0,0,7,7\n';
    expect(parseSessions(stat, 'be')).toEqual(new Map([['nx-a', 3]]));
  });
});

describe('planMembers', () => {
  it('plans nothing when the owned servers match, whatever foreign servers exist', () => {
    const plan = planMembers([server('admin1', '10.0.0.9', 80, 0, 5), server('nx-10.0.0.1-80', '10.0.0.1', 80)], [{ address: '10.0.0.1', port: 80 }], opts);
    expect(plan).toEqual({ add: [], change: [], remove: [], unplaced: [] });
  });
  it('adds, re-weights, revives and removes only owned servers', () => {
    const observed = [server('admin1', '10.0.0.2', 80), server('nx-10.0.0.1-80', '10.0.0.1', 80), server('nx-10.0.0.3-80', '10.0.0.3', 80, 1), server('nx-10.0.0.4-80', '10.0.0.4', 80)];
    const plan = planMembers(observed, [{ address: '10.0.0.1', port: 80, weight: 4 }, { address: '10.0.0.2', port: 80 }, { address: '10.0.0.3', port: 80 }], opts);
    expect(plan.add.map((a) => a.member.address)).toEqual(['10.0.0.2']);
    expect(plan.change).toEqual([{ server: 'nx-10.0.0.1-80', ready: false, weight: 4 }, { server: 'nx-10.0.0.3-80', ready: true }]);
    expect(plan.remove.map((s) => s.name)).toEqual(['nx-10.0.0.4-80']);
  });
  it('in slot mode fills free slots and reports members without one', () => {
    const observed = [server('nx1', '10.0.0.1', 80), server('nx2', '0.0.0.0', 0, 5), server('nx3', '10.0.0.7', 80)];
    const plan = planMembers(observed, [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.5', port: 80 }, { address: '10.0.0.6', port: 80 }], { ...opts, mode: 'slots', prefix: 'nx' });
    expect(plan.add.map((a) => [a.slot?.name, a.member.address])).toEqual([['nx2', '10.0.0.5']]);
    expect(plan.remove.map((s) => s.name)).toEqual(['nx3']);
    expect(plan.unplaced.map((m) => m.address)).toEqual(['10.0.0.6']);
  });
});
