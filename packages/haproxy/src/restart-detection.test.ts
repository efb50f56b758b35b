/**
 * Restart detection of HaproxySink over a scripted client on virtual time: a new Pid, or the same Pid with an
 * uptime below the expected one (a restart that reused the pid), makes the sink re-apply every known pool; a
 * steady process does not.
 */
import { VirtualClock } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { HaproxySink } from './haproxy-sink.js';
import { RuntimeApiClient } from './runtime-api-client.js';

const header = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_port';

/** A client whose HAProxy is a pid, an uptime and the servers of each backend. */
class ScriptedHaproxy extends RuntimeApiClient {
  pid = 100;
  startedAt = 0;
  readonly servers = new Map<string, string[]>();
  readonly writes: string[] = [];
  constructor(private readonly clock: VirtualClock) {
    super({ socket: '/unused' });
  }
  private info() {
    return `Name: HAProxy\nPid: ${this.pid}\nUptime_sec: ${Math.floor((this.clock.now() - this.startedAt) / 1000)}\n`;
  }
  override async send(commands: readonly string[]): Promise<string[]> {
    return commands.map((c) => {
      if (c === 'show info') return this.info();
      const show = /^show servers state (\S+)$/.exec(c);
      if (show) return [header, ...(this.servers.get(show[1] as string) ?? [])].join('\n');
      this.writes.push(c);
      const add = /^add server (\S+)\/(\S+) (\S+):(\d+) weight (\d+)$/.exec(c);
      if (add) {
        const [, be, name, addr, port, weight] = add as unknown as [string, string, string, string, string, string];
        this.servers.set(be, [...(this.servers.get(be) ?? []), `1 ${be} 1 ${name} ${addr} 0 1 ${weight} ${weight} ${port}`]);
        return 'New server registered.';
      }
      const ready = /^set server (\S+)\/(\S+) state ready$/.exec(c);
      if (ready) this.servers.set(ready[1] as string, (this.servers.get(ready[1] as string) ?? []).map((l) => (l.split(' ')[3] === ready[2] ? l.replace(/ 0 1 (\d+)/, ' 2 0 $1') : l)));
      return '';
    });
  }
  override async probe(command: string): Promise<string> {
    return (await this.send([command]))[0] ?? '';
  }
  override renew(): void {}
  /** Restart: every dynamic server gone. */
  restart(pid: number) {
    this.pid = pid;
    this.startedAt = this.clock.now();
    this.servers.clear();
  }
}

const set = (name: string) => ({ name, members: [{ address: '10.0.0.1', port: 80 }] });

describe('HaproxySink restart detection', () => {
  it.each([
    ['a new pid', 200],
    ['the same pid with a smaller uptime', 100],
  ])('re-applies every known pool after %s', async (_, newPid) => {
    const clock = new VirtualClock();
    const haproxy = new ScriptedHaproxy(clock);
    const sink = new HaproxySink({ client: haproxy, restartCheckIntervalMs: 1_000, clock });
    await sink.apply('a', set('a'));
    await sink.apply('b', set('b'));
    await clock.advance(60_000);
    expect(sink.stats.restarts).toBe(0);
    haproxy.restart(newPid);
    await clock.advance(1_000);
    await clock.advanceUntil(() => haproxy.servers.size === 2);
    expect(sink.stats).toMatchObject({ restarts: 1, reapplies: 2, errors: 0 });
    expect(haproxy.writes.filter((w) => w.startsWith('add server'))).toHaveLength(4);
    await sink.stop();
  });
});
